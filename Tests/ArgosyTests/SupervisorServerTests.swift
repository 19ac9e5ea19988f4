import ArgosyTestSupport
import Foundation
import Testing

@testable import ArgosyRuntime

/// The runtime starts supervisors through one `argosy-exec --serve`; a server that dies is replaced, and
/// without one the supervisor is spawned directly.
@Suite("Supervisor server")
struct SupervisorServerTests {
    static let exec = CLIRunner.buildProducts.appendingPathComponent("argosy-exec").path

    /// Runs `echo WORD` under a supervisor started by `server` and returns the step's log once it exited.
    static func echo(_ word: String, through server: SupervisorServer, in root: URL) throws -> (pid_t, String) {
        let step = StepDirectory(folder: root, name: word)
        let log = StatusLog(folder: root)
        #expect(try log.claim(word))
        let started = server.start(
            [exec, "--dir", root.path, "--name", word, "--", "/bin/echo", word], ["PATH=/usr/bin:/bin"])
        guard started.pid > 0 else { throw TestFailure("start failed: \(started.pid)") }
        // The pidfd names the supervisor: it turns readable when that exits, whoever reaps it and whatever
        // process gets its pid afterwards.
        #expect(started.pidfd >= 0, "a pidfd comes with the pid")
        #expect(started.doneFD >= 0, "so does the done pipe")
        defer {
            if started.pidfd >= 0 { close(started.pidfd) }
            if started.doneFD >= 0 { close(started.doneFD) }
        }
        var done = pollfd(fd: started.doneFD, events: Int16(POLLIN), revents: 0)
        #expect(poll(&done, 1, 10_000) == 1, "the done pipe reports the end of the step")
        #expect(log.entry(word)?.exit != nil, "the exit record is written before the done pipe closes")
        var exited = pollfd(fd: started.pidfd, events: Int16(POLLIN), revents: 0)
        #expect(poll(&exited, 1, 10_000) == 1, "the pidfd reports the supervisor's exit")
        #expect(log.entry(word)?.exit != nil, "the exit record is written before the supervisor exits")
        return (started.pid, (try? String(contentsOf: step.logURL, encoding: .utf8)) ?? "")
    }

    /// The done pipe stays open while the step runs and reaches end of file when its supervisor dies without
    /// a record, so that the controller reports the step lost instead of waiting for ever.
    @Test func theDonePipeEndsWhenTheSupervisorDies() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("argosy-serve-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let server = SupervisorServer(path: Self.exec)
        defer { server.shutDown() }
        let log = StatusLog(folder: root)
        #expect(try log.claim("sleeper"))
        let started = server.start(
            [Self.exec, "--dir", root.path, "--name", "sleeper", "--", "/bin/sleep", "30"], ["PATH=/usr/bin:/bin"])
        #expect(started.pid > 0 && started.doneFD >= 0)
        defer { close(started.doneFD) }
        if started.pidfd >= 0 { close(started.pidfd) }
        var done = pollfd(fd: started.doneFD, events: Int16(POLLIN), revents: 0)
        #expect(poll(&done, 1, 300) == 0, "open while the step runs")
        kill(started.pid, SIGKILL)
        #expect(poll(&done, 1, 10_000) == 1, "end of file once the supervisor is gone")
        #expect(log.entry("sleeper")?.exit == nil)
    }

    @Test func aKilledServerIsReplacedAndAMissingOneFallsBackToSpawning() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("argosy-serve-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let server = SupervisorServer(path: Self.exec)
        let (_, first) = try Self.echo("first", through: server, in: root)
        #expect(first == "first\n")
        let original = try #require(server.serverPID)
        kill(original, SIGKILL)
        // Once it is gone (a zombie of ours), the next request finds its socket closed and starts a new server.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline,
            !((try? String(contentsOfFile: "/proc/\(original)/stat", encoding: .utf8))?.contains(") Z ") ?? true)
        {
            usleep(10_000)
        }
        let (_, second) = try Self.echo("second", through: server, in: root)
        #expect(second == "second\n", "a new server took over")
        let replacement = try #require(server.serverPID)
        #expect(replacement != original)

        // Shutting down reaps the server; the next step starts a new one.
        server.shutDown()
        #expect(server.serverPID == nil)
        #expect(kill(replacement, 0) != 0, "the server is gone, not left a zombie")
        let (_, third) = try Self.echo("third", through: server, in: root)
        #expect(third == "third\n")
        server.shutDown()

        let missing = SupervisorServer(path: root.appendingPathComponent("no-such-argosy-exec").path)
        let failed = missing.start(["no-such-argosy-exec", "--dir", root.path, "--", "/bin/true"], [])
        #expect(failed.pid == -ENOENT, "the direct spawn's error comes back")
        #expect(failed.pidfd == -1)
        #expect(missing.serverPID == nil)
    }
}
