import ArgosyModel
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The files of one step attempt, written by `argosy-exec --dir FOLDER --name POD` into the workflow's folder
/// (`steps/<workflow uid>/`), named after the pod: `POD.log`, `POD.stdout` (each made once the step writes to it:
/// a missing one is empty), `POD.outputs/`, and `POD/` for what the controller prepares (a script, volumes), made
/// only when the step needs it. Pids and exit records go to the folder's shared ``StatusLog``. A step that prints
/// nothing makes no file: making files is a good share of a short step's cost.
public struct StepDirectory: Sendable {
    /// The workflow's folder, shared by its steps.
    let folder: URL
    /// The pod name: the prefix of the step's files and of its lines in the status log.
    let name: String

    public init(home: URL, workflowUID: String, podName: String) {
        self.init(folder: Self.folder(home: home, workflowUID: workflowUID), name: podName)
    }

    init(folder: URL, name: String) {
        self.folder = folder
        self.name = name
    }

    /// Where a workflow's steps keep their files (deleted with the workflow).
    public static func folder(home: URL, workflowUID: String) -> URL {
        home.appendingPathComponent("steps").appendingPathComponent(workflowUID)
    }

    /// The step's own directory, for what the controller prepares (made when needed).
    public var url: URL { folder.appendingPathComponent(name) }
    public var logURL: URL { file("log") }
    var stdoutURL: URL { file("stdout") }
    var outputsURL: URL { file("outputs") }
    /// Every file of the step.
    var all: [URL] { [logURL, stdoutURL, outputsURL, url] }

    func file(_ kind: String) -> URL { folder.appendingPathComponent("\(name).\(kind)") }

    /// Makes the step's own directory (for a script or volumes).
    func makeOwnDirectory() throws(ArgosyError) {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw ArgosyError(.io, "cannot create \(url.path): \(error)")
        }
    }

    /// The largest `outputs.result` kept, as Argo limits it.
    static let resultLimit = 256 * 1024

    /// The result of the step from its exit record (the JSON of its `exit` line) and outputs. Nil when the record
    /// is not valid JSON.
    func result(exitRecord text: String, workflowUID: String, nodeID: String, outputNames: [String], now: Date)
        -> StepResult?
    {
        guard let record = try? JSONValue.parse(text) else { return nil }
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
