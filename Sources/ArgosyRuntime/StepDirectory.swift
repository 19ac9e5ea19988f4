import ArgosyModel
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The files of one step attempt, written by `argosy-exec`: `status`, `log`, `stdout`, `outputs/`.
///
/// `status` has a line per event, each written whole: `supervisor PID`, `step PID` (its process group) once the
/// step runs, and last `exit {JSON}`, the exit record. `log` and `stdout` appear once the step writes to them: a
/// missing one is empty.
public struct StepDirectory: Sendable {
    public let url: URL

    public init(home: URL, workflowUID: String, podName: String) {
        url = home.appendingPathComponent("steps").appendingPathComponent(workflowUID).appendingPathComponent(podName)
    }

    init(url: URL) { self.url = url }

    public var logURL: URL { url.appendingPathComponent("log") }
    var stdoutURL: URL { url.appendingPathComponent("stdout") }
    var statusURL: URL { url.appendingPathComponent("status") }

    /// Makes the directory (and the workflow's, for its first step); false when it existed already.
    func create() throws(ArgosyError) -> Bool {
        if mkdir(url.path, 0o755) == 0 { return true }
        var err = errno
        if err == ENOENT {
            do {
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            } catch {
                throw ArgosyError(.io, "cannot create \(url.deletingLastPathComponent().path): \(error)")
            }
            if mkdir(url.path, 0o755) == 0 { return true }
            err = errno
        }
        if err == EEXIST { return false }
        throw ArgosyError(.io, "cannot create \(url.path): \(String(cString: strerror(err)))")
    }

    /// The complete lines of `status` (a line still being written has no "\n" yet), by their first word.
    func status() -> [Substring: Substring] {
        guard let text = try? String(contentsOf: statusURL, encoding: .utf8) else { return [:] }
        var lines: [Substring: Substring] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2 { lines[parts[0]] = parts[1] }
        }
        return lines
    }

    public var hasExited: Bool { status()["exit"] != nil }

    /// The supervisor's pid once it has written it, waiting up to `seconds`.
    func awaitSupervisorPID(seconds: Double) -> pid_t? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let pid = supervisorPID { return pid }
            usleep(10_000)
        }
        return supervisorPID
    }

    var supervisorPID: pid_t? { status()["supervisor"].flatMap { pid_t($0) } }
    var stepPID: pid_t? { status()["step"].flatMap { pid_t($0) } }

    /// The largest `outputs.result` kept, as Argo limits it.
    static let resultLimit = 256 * 1024

    /// Reads the exit record and outputs into a result. Nil while the step has not exited.
    func result(workflowUID: String, nodeID: String, outputNames: [String], now: Date) -> StepResult? {
        guard let text = status()["exit"], let record = try? JSONValue.parse(String(text)) else { return nil }
        let exitCode = record["exitCode"].flatMap { $0.doubleValue.map { Int($0) } }
        var result = StepResult(workflowUID: workflowUID, nodeID: nodeID, exitCode: exitCode, finishedAt: now)
        if let error = record["error"]?.stringValue { result.error = error }
        let stdout = (try? Data(contentsOf: stdoutURL)) ?? Data()
        result.stdout = String(decoding: stdout.prefix(Self.resultLimit), as: UTF8.self)
        for name in outputNames {
            let u = url.appendingPathComponent("outputs").appendingPathComponent(name)
            if let data = try? Data(contentsOf: u) {
                var value = String(decoding: data, as: UTF8.self)
                if value.hasSuffix("\n") { value.removeLast() }
                result.outputValues[name] = value
            }
        }
        return result
    }
}
