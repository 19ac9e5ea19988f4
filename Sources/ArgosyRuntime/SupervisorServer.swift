import CArgosySupport
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Starts step supervisors through one long-lived `argosy-exec --serve`, which forks them instead of this
/// process spawning `argosy-exec` anew per step (a process start saved per step; see main.c for the protocol).
/// When the server cannot be started or dies, the server is started again; when that fails too, the
/// supervisor is spawned directly as before. The server ends when this process closes its socket.
final class SupervisorServer: @unchecked Sendable {
    private let path: String
    /// Directories every sandboxed step of the server hides (`--serve --hide DIR`): Argosy's home.
    private let hidden: [String]
    private let lock = NSLock()
    private var socket: Int32 = -1
    private var pid: pid_t = 0

    init(path: String, hidden: [String] = []) {
        self.path = path
        self.hidden = hidden
    }

    deinit {
        if socket >= 0 { close(socket) }
    }

    /// Starts a supervisor with `argv` (argv[0] the program) and `env`: its pid, or -errno. `-EINPROGRESS`: the
    /// request reached a server that died before answering, so the supervisor may or may not have started (the
    /// caller looks for its `status` file; sending the request again could start the step twice).
    func start(_ argv: [String], _ env: [String]) -> Started {
        let request = Self.encode(argv, env)
        lock.lock()
        defer { lock.unlock() }
        for _ in 0..<2 {
            if socket < 0, !startServer() { break }
            switch exchange(request) {
            case .started(let started):
                return started
            case .notSent:
                // The server is gone (killed, or it stopped at a request it did not understand): a new one gets
                // the next try.
                stopServer()
            case .noReply:
                stopServer()
                return Started(pid: -EINPROGRESS)
            }
        }
        return spawnDirectly(argv, env)
    }

    /// A supervisor started (or -errno as `pid`), with a pidfd of it when the kernel has them (else -1): the
    /// caller watches that, not the pid, which may name another process by the time it looks. `doneFD` (or -1),
    /// from the server only: the read end of a pipe that reaches end of file as soon as the supervisor has
    /// written its exit record (or died), before its fsync and exit.
    struct Started {
        var pid: pid_t
        var pidfd: Int32 = -1
        var doneFD: Int32 = -1
    }

    /// Ends the server (it exits when its socket closes) and reaps it; supervisors it started run on. A later
    /// `start` starts a new one.
    func shutDown() {
        lock.lock()
        defer { lock.unlock() }
        closeAndReap()
    }

    /// The pid of the running server (for tests), or nil.
    var serverPID: pid_t? {
        lock.lock()
        defer { lock.unlock() }
        return socket >= 0 ? pid : nil
    }

    /// A request: argc, envc and the payload size as native UInt32, then the NUL-terminated strings.
    static func encode(_ argv: [String], _ env: [String]) -> [UInt8] {
        var payload: [UInt8] = []
        for s in argv + env {
            payload.append(contentsOf: s.utf8)
            payload.append(0)
        }
        var out: [UInt8] = []
        out.reserveCapacity(12 + payload.count)
        for n in [UInt32(argv.count), UInt32(env.count), UInt32(payload.count)] {
            withUnsafeBytes(of: n) { out.append(contentsOf: $0) }
        }
        return out + payload
    }

    private enum Exchange {
        case started(Started)
        case notSent
        case noReply
    }

    private func exchange(_ request: [UInt8]) -> Exchange {
        guard request.withUnsafeBytes({ argosy_send_all(socket, $0.baseAddress, $0.count) }) == request.count else {
            return .notSent
        }
        var reply: Int32 = 0
        var pidfd: Int32 = -1
        var doneFD: Int32 = -1
        guard argosy_recv_reply(socket, &reply, &pidfd, &doneFD) == 4 else { return .noReply }
        return .started(Started(pid: reply, pidfd: pidfd, doneFD: doneFD))
    }

    private func startServer() -> Bool {
        var args: [UnsafeMutablePointer<CChar>?] =
            [strdup(path), strdup("--serve")] + hidden.flatMap { [strdup("--hide"), strdup($0)] } + [nil]
        defer { args.forEach { free($0) } }
        var fd: Int32 = -1
        let started = argosy_spawn_server(path, &args, environ, &fd)
        guard started > 0 else { return false }
        pid = started
        socket = fd
        // Its exit is noticed at the next request; reaping it is all that is left to do then.
        return true
    }

    /// Kills the server (it may hang on a request it half read) and reaps it.
    private func stopServer() {
        if pid > 0 { kill(pid, SIGKILL) }
        closeAndReap()
    }

    /// Closes the socket (the server exits when it sees that) and waits for the server to end.
    private func closeAndReap() {
        if socket >= 0 { close(socket) }
        socket = -1
        if pid > 0 {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        }
        pid = 0
    }

    private func spawnDirectly(_ argv: [String], _ env: [String]) -> Started {
        var cArgs = argv.map { strdup($0) } + [nil]
        var cEnv = env.map { strdup($0) } + [nil]
        defer {
            cArgs.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        let pid = argosy_spawn(path, &cArgs, &cEnv, 1)
        // Our own child: nobody else can reap it before we open the pidfd.
        return Started(pid: pid, pidfd: pid > 0 ? argosy_pidfd_open(pid) : -1)
    }
}
