import ArgosyModel
import Foundation

/// The files of one step attempt, written by `argosy-exec`: `log`, `stdout`, `pid`, `exit`, `outputs/`.
public struct StepDirectory: Sendable {
    public let url: URL

    public init(home: URL, workflowUID: String, podName: String) {
        url = home.appendingPathComponent("steps").appendingPathComponent(workflowUID).appendingPathComponent(podName)
    }

    public var logURL: URL { url.appendingPathComponent("log") }
    var exitURL: URL { url.appendingPathComponent("exit") }
    var stdoutURL: URL { url.appendingPathComponent("stdout") }
    var supervisorPIDURL: URL { url.appendingPathComponent("supervisor.pid") }
    var stepPIDURL: URL { url.appendingPathComponent("pid") }

    public var exists: Bool { FileManager.default.fileExists(atPath: url.path) }
    public var hasExited: Bool { FileManager.default.fileExists(atPath: exitURL.path) }

    /// The supervisor's pid once its pid file appears, waiting up to `seconds`.
    func awaitSupervisorPID(seconds: Double) -> pid_t? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let pid = supervisorPID { return pid }
            usleep(10_000)
        }
        return supervisorPID
    }

    func readPID(_ u: URL) -> pid_t? {
        guard let text = try? String(contentsOf: u, encoding: .utf8) else { return nil }
        return pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    var supervisorPID: pid_t? { readPID(supervisorPIDURL) }
    var stepPID: pid_t? { readPID(stepPIDURL) }

    /// The largest `outputs.result` kept, as Argo limits it.
    static let resultLimit = 256 * 1024

    /// Reads the exit record and outputs into a result. Nil while the step has not exited.
    func result(workflowUID: String, nodeID: String, outputNames: [String], now: Date) -> StepResult? {
        guard let text = try? String(contentsOf: exitURL, encoding: .utf8), let record = try? JSONValue.parse(text)
        else { return nil }
        let exitCode = record["exitCode"].flatMap { $0.doubleValue.map { Int($0) } }
        var result = StepResult(workflowUID: workflowUID, nodeID: nodeID, exitCode: exitCode, finishedAt: now)
        if let error = record["error"]?.stringValue { result.error = error }
        if let data = try? Data(contentsOf: stdoutURL) {
            result.stdout = String(decoding: data.prefix(Self.resultLimit), as: UTF8.self)
        }
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
