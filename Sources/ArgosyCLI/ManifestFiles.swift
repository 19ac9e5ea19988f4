import ArgosyEngine
import ArgosyModel
import Foundation

/// Reads manifest files (YAML or JSON, several documents each; `-` is standard input; folders are walked
/// for `.yaml`, `.yml` and `.json`), decoding and linting every document.
struct ManifestFiles {
    struct Loaded {
        var resource: ArgoResource?
        var document: ManifestDocument
        var diagnostics: [Diagnostic]
    }

    var loaded: [Loaded] = []
    /// Files that could not be read or parsed at all.
    var fileErrors: [String] = []

    /// Loops whose size the manifest writes are checked against these (`limits` in `config.yaml`).
    let limits: Limits

    init(paths: [String], limits: Limits = CLIContext().limits) {
        self.limits = limits
        for path in paths { load(path) }
    }

    var diagnostics: [Diagnostic] { loaded.flatMap(\.diagnostics) }
    var hasErrors: Bool { !fileErrors.isEmpty || diagnostics.contains { $0.severity == .error } }

    private mutating func load(_ path: String) {
        var isDirectory: ObjCBool = false
        if path != "-", FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            let files = (FileManager.default.enumerator(atPath: path)?.compactMap { $0 as? String } ?? [])
                .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") || $0.hasSuffix(".json") }.sorted()
            for f in files { load((path as NSString).appendingPathComponent(f)) }
            return
        }
        let text: String
        if path == "-" {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        } else {
            guard let data = FileManager.default.contents(atPath: path) else {
                fileErrors.append("\(path): cannot read file")
                return
            }
            text = String(decoding: data, as: UTF8.self)
        }
        do {
            let documents = try ManifestDocument.parseAll(text, file: path == "-" ? "<stdin>" : path)
            if documents.isEmpty { fileErrors.append("\(path): no manifests found") }
            for doc in documents {
                let (resource, diagnostics) = ManifestLinter.lint(doc, limits: limits)
                loaded.append(Loaded(resource: resource, document: doc, diagnostics: diagnostics))
            }
        } catch {
            fileErrors.append(error.description)
        }
    }

    /// Prints every finding to standard error; returns true when any is an error.
    func report(warnings: Bool = true) -> Bool {
        for e in fileErrors { FileHandle.standardError.write(Data("\(e)\n".utf8)) }
        for d in diagnostics where warnings || d.severity == .error {
            FileHandle.standardError.write(Data("\(d)\n".utf8))
        }
        return hasErrors
    }
}
