import Foundation

/// Runs the built `argosy` binary against a private `$ARGOSY_HOME`, as a user would from a shell.
public struct CLIRunner: Sendable {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    public let home: URL
    public let binary: URL
    public var environment: [String: String]

    /// A fresh home under `parent` (the system temp folder by default); removed by ``cleanUp()``.
    public init(homeUnder parent: URL = FileManager.default.temporaryDirectory) throws {
        home = parent.appendingPathComponent("argosy-test-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        binary = Self.buildProducts.appendingPathComponent("argosy")
        var env = ProcessInfo.processInfo.environment
        env["ARGOSY_HOME"] = home.path
        env["NO_COLOR"] = "1"
        env.removeValue(forKey: "ARGO_NAMESPACE")
        environment = env
        try Data("killGraceSeconds: 2\n".utf8).write(to: home.appendingPathComponent("config.yaml"))
    }

    /// The repository root (three levels above this file).
    public static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// Where `swift build` put `argosy` and `argosy-exec` (`$ARGOSY_BUILD_DIR` overrides).
    public static var buildProducts: URL {
        if let dir = ProcessInfo.processInfo.environment["ARGOSY_BUILD_DIR"] { return URL(fileURLWithPath: dir) }
        // The test bundle lives in the same folder as the executables.
        let candidates = [
            Bundle.main.bundleURL.deletingLastPathComponent(), Bundle.main.bundleURL,
            repositoryRoot.appendingPathComponent(".build/debug"),
        ]
        for c in candidates where FileManager.default.isExecutableFile(atPath: c.appendingPathComponent("argosy").path)
        {
            return c
        }
        return repositoryRoot.appendingPathComponent(".build/debug")
    }

    /// Runs `argosy ARGS…` and waits (at most `timeout` seconds, then kills it and says so in stderr).
    @discardableResult
    public func run(_ args: [String], stdin: String? = nil, timeout: Double = 60, cwd: URL? = nil) throws -> Result {
        let process = Process()
        process.executableURL = binary
        process.arguments = args
        process.environment = environment
        process.currentDirectoryURL = cwd ?? Self.repositoryRoot
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
        let outData = ReadAll(out.fileHandleForReading)
        let errData = ReadAll(err.fileHandleForReading)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        var timedOut = false
        if process.isRunning {
            timedOut = true
            process.terminate()
            usleep(200_000)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        var stderr = errData.wait()
        if timedOut { stderr += "\n[test: argosy \(args.joined(separator: " ")) timed out after \(timeout)s]" }
        return Result(status: process.terminationStatus, stdout: outData.wait(), stderr: stderr)
    }

    /// Starts `argosy ARGS…` without waiting; the caller stops it.
    public func start(_ args: [String]) throws -> Process {
        let process = Process()
        process.executableURL = binary
        process.arguments = args
        process.environment = environment
        process.currentDirectoryURL = Self.repositoryRoot
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Polls `argosy get NAME -o json` until the workflow's phase is final; returns the JSON.
    public func waitFinished(_ name: String, namespace: String? = nil, timeout: Double = 60) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        var last: [String: Any] = [:]
        while Date() < deadline {
            let r = try run(["get", name, "-o", "json"] + (namespace.map { ["-n", $0] } ?? []))
            if r.status == 0, let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] {
                last = obj
                let phase = (obj["status"] as? [String: Any])?["phase"] as? String
                if ["Succeeded", "Failed", "Error"].contains(phase ?? "") { return obj }
            }
            usleep(100_000)
        }
        throw TestFailure("workflow \(name) did not finish in \(timeout)s: \(last["status"] ?? "no status")")
    }

    /// Stops any background controller of this home and deletes the home.
    public func cleanUp() {
        if let pids = try? String(contentsOf: home.appendingPathComponent("controller.pid"), encoding: .utf8),
            let pid = Int32(pids.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            kill(pid, SIGTERM)
        }
        try? FileManager.default.removeItem(at: home)
    }
}

/// A failure raised by test helpers.
public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Reads a pipe to its end on a background thread.
final class ReadAll: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func wait() -> String {
        done.wait()
        return String(decoding: data, as: UTF8.self)
    }
}
