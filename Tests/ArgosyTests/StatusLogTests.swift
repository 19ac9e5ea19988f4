import Foundation
import Testing

@testable import ArgosyRuntime

/// The status file a workflow's steps share: claims, supervisor lines, and lines still being written.
@Suite("Status log")
struct StatusLogTests {
    static func folder() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("argosy-status-\(UUID().uuidString)")
            .appendingPathComponent("wf")
    }

    static func append(_ text: String, to log: StatusLog) throws {
        let handle = try FileHandle(forWritingTo: log.url)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
    }

    @Test func anAttemptIsClaimedOnceEvenByAnotherReader() throws {
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        let log = StatusLog(folder: folder)
        #expect(try log.claim("pod-a"), "the first claim makes the folder and the file")
        #expect(log.takeNewFolder(), "whose entries the first step's supervisor makes durable")
        #expect(!log.takeNewFolder(), "once")
        #expect(try !log.claim("pod-a"))
        // A controller that restarts reads the file from the start.
        #expect(try !StatusLog(folder: folder).claim("pod-a"))
        let restarted = StatusLog(folder: folder)
        #expect(try restarted.claim("pod-b"))
        #expect(!restarted.takeNewFolder(), "the folder was there")
        #expect(try String(contentsOf: log.url, encoding: .utf8) == "pod-a claim\npod-b claim\n")
    }

    /// A claim looks and writes under a lock on the file: a controller that claims while another holds it (and
    /// claims the same attempt) waits, then sees the other's claim instead of starting the step a second time.
    @Test func aClaimWaitsForAnotherClaimInProgress() throws {
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        let log = StatusLog(folder: folder)
        #expect(try log.claim("first"))
        let other = open(log.url.path, O_WRONLY | O_APPEND)
        #expect(other >= 0 && flock(other, LOCK_EX) == 0)
        let result = Locked<Bool?>(nil)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            let claimed = (try? log.claim("pod")) ?? true
            result.with { $0 = claimed }
            done.signal()
        }
        #expect(done.wait(timeout: .now() + 0.3) == .timedOut, "the claim waits for the lock")
        _ = write(other, "pod claim\n", 10)
        flock(other, LOCK_UN)
        close(other)
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(result.with { $0 } == false, "it saw the other controller's claim")
    }

    @Test func linesAreTakenOnlyWhenComplete() throws {
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        let log = StatusLog(folder: folder)
        #expect(try log.claim("p"))
        try Self.append("p supervisor 41\np step 42\np exit {\"exitCode\":", to: log)
        let running = try #require(log.entry("p"))
        #expect(running.supervisor == 41 && running.step == 42 && running.exit == nil)
        try Self.append("3,\"error\":\"a b\"}\n", to: log)
        #expect(log.entry("p")?.exit == #"{"exitCode":3,"error":"a b"}"#)
        log.forget("p")
        #expect(log.entry("p") == nil, "a finished attempt is not kept")
    }

    @Test func aResetAttemptCanBeClaimedAgain() throws {
        let folder = Self.folder()
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }
        let log = StatusLog(folder: folder)
        #expect(try log.claim("p"))
        try Self.append("p supervisor 7\np exit {\"exitCode\":1}\n", to: log)
        #expect(log.entry("p")?.exit != nil)
        log.forget("p")  // as the runtime does once it has taken the result
        log.reset("p")
        #expect(log.entry("p") == nil)
        #expect(StatusLog(folder: folder).entry("p") == nil, "a new reader sees the reset too")
        #expect(try log.claim("p"))
    }
}
