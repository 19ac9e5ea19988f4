import ArgosyModel
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The files of one step attempt, written by `argosy-exec --dir FOLDER --name POD` into the workflow's folder
/// (`steps/<workflow uid>/`), named after the pod: `POD.status`, `POD.log`, `POD.stdout`, `POD.outputs/`, and
/// `POD/` for what the controller prepares (a script, volumes), made only when a step needs it. A step that prints
/// nothing costs one file; making files and directories is a good share of a short step's cost.
///
/// `status` has a line per event, each written whole: `supervisor PID`, `step PID` (its process group) once the
/// step runs, and last `exit {JSON}`, the exit record. The controller makes it, empty, before it starts the step:
/// that claims the attempt, so a controller that restarts re-attaches instead of starting it twice. `log` and
/// `stdout` appear once the step writes to them: a missing one is empty.
public struct StepDirectory: Sendable {
    /// The workflow's folder, shared by its steps.
    let folder: URL
    /// The pod name: the prefix of the step's files.
    let name: String

    public init(home: URL, workflowUID: String, podName: String) {
        self.init(folder: home.appendingPathComponent("steps").appendingPathComponent(workflowUID), name: podName)
    }

    init(folder: URL, name: String) {
        self.folder = folder
        self.name = name
    }

    /// The step's own directory, for what the controller prepares (made when needed).
    public var url: URL { folder.appendingPathComponent(name) }
    public var logURL: URL { file("log") }
    var stdoutURL: URL { file("stdout") }
    var statusURL: URL { file("status") }
    var outputsURL: URL { file("outputs") }
    /// Every file of the step.
    var all: [URL] { [statusURL, logURL, stdoutURL, outputsURL, url] }

    func file(_ kind: String) -> URL { folder.appendingPathComponent("\(name).\(kind)") }

    /// Claims the attempt by making its empty `status` file (and the workflow's folder, for its first step); false
    /// when it was claimed before.
    func claim() throws(ArgosyError) -> Bool {
        func create() -> Int32 {
            let fd = open(statusURL.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd < 0 { return errno }
            close(fd)
            return 0
        }
        var err = create()
        if err == ENOENT {
            do {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            } catch {
                throw ArgosyError(.io, "cannot create \(folder.path): \(error)")
            }
            err = create()
        }
        if err == 0 { return true }
        if err == EEXIST { return false }
        throw ArgosyError(.io, "cannot create \(statusURL.path): \(String(cString: strerror(err)))")
    }

    /// Makes the step's own directory (for a script or volumes).
    func makeOwnDirectory() throws(ArgosyError) {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw ArgosyError(.io, "cannot create \(url.path): \(error)")
        }
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
            let u = outputsURL.appendingPathComponent(name)
            if let data = try? Data(contentsOf: u) {
                var value = String(decoding: data, as: UTF8.self)
                if value.hasSuffix("\n") { value.removeLast() }
                result.outputValues[name] = value
            }
        }
        return result
    }
}
