import CArgosySupport
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Waits for many processes on one thread, using pidfds, without reaping anyone else's children.
///
/// Children of this process are reaped (waitpid on their pid only); other processes (steps re-attached after
/// a restart) are just observed.
public final class ProcessWatcher: @unchecked Sendable {
    private let lock = NSLock()
    /// By the descriptor polled: a pidfd, or the read end of a supervisor's done pipe (`reap` false).
    private var watched: [Int32: (pid: pid_t, reap: Bool, onExit: @Sendable (Int32?) -> Void)] = [:]
    private var wakeRead: Int32 = -1
    private var wakeWrite: Int32 = -1
    private var thread: Thread?

    public init() {
        var fds: [Int32] = [0, 0]
        _ = pipe(&fds)
        wakeRead = fds[0]
        wakeWrite = fds[1]
        _ = fcntl(wakeRead, F_SETFL, O_NONBLOCK)
        _ = fcntl(wakeRead, F_SETFD, FD_CLOEXEC)
        _ = fcntl(wakeWrite, F_SETFD, FD_CLOEXEC)
        let t = Thread { [weak self] in self?.loop() }
        t.name = "argosy-process-watcher"
        t.stackSize = 256 * 1024
        thread = t
        t.start()
    }

    /// Calls `onExit` once `pid` has exited, with its exit code when it was our child (nil otherwise).
    /// `pidfd`, when given, is a pidfd of it opened when it was known alive; otherwise one is opened now.
    /// `doneFD`, when given, is a pipe that the process closes when its work is done (a supervisor: once it has
    /// written its exit record); then `onExit` is called (with nil) at its end of file instead, which may come
    /// before the process exits. The watcher owns both descriptors from now on. Returns false when the process
    /// does not exist any more.
    @discardableResult
    public func watch(
        _ pid: pid_t, pidfd: Int32 = -1, doneFD: Int32 = -1, onExit: @escaping @Sendable (Int32?) -> Void
    ) -> Bool {
        if doneFD >= 0 {
            if pidfd >= 0 { close(pidfd) }
            add(doneFD, (pid, false, onExit))
            return true
        }
        let fd = pidfd >= 0 ? pidfd : argosy_pidfd_open(pid)
        guard fd >= 0 else {
            let code = argosy_try_reap(pid)
            onExit(code >= 0 ? code : nil)
            return false
        }
        add(fd, (pid, true, onExit))
        return true
    }

    private func add(_ fd: Int32, _ entry: (pid: pid_t, reap: Bool, onExit: @Sendable (Int32?) -> Void)) {
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        lock.lock()
        watched[fd] = entry
        lock.unlock()
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    private func loop() {
        while true {
            lock.lock()
            var fds = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            for fd in watched.keys { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
            lock.unlock()
            let n = poll(&fds, nfds_t(fds.count), -1)
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            if fds[0].revents != 0 {
                var buffer = [UInt8](repeating: 0, count: 256)
                while read(wakeRead, &buffer, buffer.count) > 0 {}
            }
            for p in fds.dropFirst() where p.revents != 0 {
                lock.lock()
                let entry = watched.removeValue(forKey: p.fd)
                lock.unlock()
                close(p.fd)
                guard let entry else { continue }
                guard entry.reap else {
                    entry.onExit(nil)
                    continue
                }
                var code = argosy_try_reap(entry.pid)
                // A child can signal its pidfd an instant before waitpid sees it.
                var tries = 0
                while code == -1, tries < 1000 {
                    usleep(100)
                    code = argosy_try_reap(entry.pid)
                    tries += 1
                }
                entry.onExit(code >= 0 ? code : nil)
            }
        }
    }
}
