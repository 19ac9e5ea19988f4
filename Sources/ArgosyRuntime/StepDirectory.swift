import ArgosyModel
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The files of one step attempt, written by `argosy-exec`: `pids`, `log`, `stdout`, `exit`, `outputs/`.
///
/// `log` and `stdout` appear once the step writes to them: a missing one is empty.
public struct StepDirectory: Sendable {
    public let url: URL

    public init(home: URL, workflowUID: String, podName: String) {
        url = home.appendingPathComponent("steps").appendingPathComponent(workflowUID).appendingPathComponent(podName)
    }

    public var logURL: URL { url.appendingPathComponent("log") }
    var exitURL: URL { url.appendingPathComponent("exit") }
    var stdoutURL: URL { url.appendingPathComponent("stdout") }
    /// The supervisor's pid on the first line, the step's (its process group) on the second once it started.
    var pidsURL: URL { url.appendingPathComponent("pids") }

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
    public var hasExited: Bool { FileManager.default.fileExists(atPath: exitURL.path) }

    /// The supervisor's pid once it has written it, waiting up to `seconds`.
    func awaitSupervisorPID(seconds: Double) -> pid_t? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let pid = supervisorPID { return pid }
            usleep(10_000)
        }
        return supervisorPID
    }

    /// Line `index` of `pids`, once it is complete (each line is written whole, in one write).
    func pid(line index: Int) -> pid_t? {
        guard let text = try? String(contentsOf: pidsURL, encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()  // after the last "\n"
        return index < lines.count ? pid_t(lines[lines.startIndex + index]) : nil
    }

    var supervisorPID: pid_t? { pid(line: 0) }
    var stepPID: pid_t? { pid(line: 1) }

    /// The largest `outputs.result` kept, as Argo limits it.
    static let resultLimit = 256 * 1024

    /// Reads the exit record and outputs into a result. Nil while the step has not exited.
    func result(workflowUID: String, nodeID: String, outputNames: [String], now: Date) -> StepResult? {
        guard let text = try? String(contentsOf: exitURL, encoding: .utf8), let record = try? JSONValue.parse(text)
        else { return nil }
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
