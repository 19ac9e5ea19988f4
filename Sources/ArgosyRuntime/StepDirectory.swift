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
    /// The path of the workflow's folder, shared by its steps (a path, not a URL: building URLs was a
    /// measurable share of the controller's time per step).
    let folderPath: String
    /// The pod name: the prefix of the step's files and of its lines in the status log.
    let name: String

    public init(home: URL, workflowUID: String, podName: String) {
        self.init(folder: Self.folder(home: home, workflowUID: workflowUID), name: podName)
    }

    init(folder: URL, name: String) {
        self.init(folderPath: folder.path, name: name)
    }

    init(folderPath: String, name: String) {
        self.folderPath = folderPath
        self.name = name
    }

    /// Where a workflow's steps keep their files (deleted with the workflow).
    public static func folder(home: URL, workflowUID: String) -> URL {
        stepsFolder(home: home).appendingPathComponent(workflowUID)
    }

    /// The parent of the workflows' folders.
    static func stepsFolder(home: URL) -> URL { home.appendingPathComponent("steps") }

    /// The step's own directory, for what the controller prepares (made when needed).
    public var url: URL { URL(fileURLWithPath: "\(folderPath)/\(name)", isDirectory: true) }
    public var logURL: URL { URL(fileURLWithPath: path("log")) }
    /// Every file of the step.
    var all: [URL] { [logURL, URL(fileURLWithPath: path("stdout")), URL(fileURLWithPath: path("outputs")), url] }

    func path(_ kind: String) -> String { "\(folderPath)/\(name).\(kind)" }

    /// Makes the step's own directory (for a script or volumes).
    func makeOwnDirectory() throws(ArgosyError) {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw ArgosyError(.io, "cannot create \(url.path): \(error)")
        }
    }

    /// Up to `limit` bytes of the file at `path`; nil when it cannot be read (a step that printed nothing has no
    /// stdout file).
    static func contents(_ path: String, limit: Int = .max) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while bytes.count < limit {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, min($0.count, limit - bytes.count)) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return n == 0 ? bytes : nil }
            bytes += chunk[0..<n]
        }
        return bytes
    }

    /// The largest `outputs.result` kept, as Argo limits it.
    static let resultLimit = 256 * 1024

    /// The result of the step from its exit record (the JSON of its `exit` line) and outputs. Nil when the record
    /// is not valid JSON.
    /// An output file over `outputLimit` bytes (`limits.outputBytes`) errors the step instead of being read whole.
    func result(
        exitRecord text: String, workflowUID: String, nodeID: String, outputNames: [String], outputLimit: Int,
        now: Date
    ) -> StepResult? {
        guard let record = try? JSONValue.parse(text) else { return nil }
        let exitCode = record["exitCode"].flatMap { $0.doubleValue.map { Int(saturating: $0) } }
        var result = StepResult(workflowUID: workflowUID, nodeID: nodeID, exitCode: exitCode, finishedAt: now)
        if let error = record["error"]?.stringValue { result.error = error }
        let stdout = Self.contents(path("stdout"), limit: Self.resultLimit) ?? []
        result.stdout = String(decoding: stdout, as: UTF8.self)
        for name in outputNames {
            if let data = Self.contents("\(path("outputs"))/\(name)", limit: outputLimit + 1) {
                if data.count > outputLimit {
                    result.error =
                        result.error
                        ?? "output parameter '\(name)' is larger than \(outputLimit) bytes (limits.outputBytes)"
                    continue
                }
                var value = String(decoding: data, as: UTF8.self)
                if value.hasSuffix("\n") { value.removeLast() }
                result.outputValues[name] = value
            }
        }
        return result
    }
}
