import ArgosyEngine
import ArgosyModel
import ArgosyStore
import Foundation

/// Turns a submitted Workflow into one ready to store, as both the CLI and the server do it: stored
/// WorkflowTemplates resolved, options applied, identity assigned, arguments checked.
public enum WorkflowSubmission {
    public static func prepare(
        _ input: Workflow, options: WorkflowPreparation.Options, store: WorkflowStore, now: Date = Date()
    ) throws(ArgosyError) -> Workflow {
        var wf = input
        if let ns = options.namespace { wf.metadata.namespace = ns }
        if (wf.metadata.namespace ?? "").isEmpty { wf.metadata.namespace = "default" }
        let ns = wf.namespace
        wf = try TemplateResolver { name, cluster in try store.workflowTemplate(name, namespace: ns, cluster: cluster) }
            .resolve(wf)
        return try WorkflowPreparation.prepare(wf, options: options, now: now)
    }

    /// Lints a manifest given as JSON (the API's request bodies): errors in one message, each naming its field.
    public static func lint(_ value: JSONValue, file: String) throws(ArgosyError) -> ArgoResource {
        let (resource, diagnostics) = ManifestLinter.lint(ManifestDocument(value: value, file: file))
        let errors = diagnostics.filter { $0.severity == .error }
        guard errors.isEmpty, let resource else {
            throw ArgosyError(.invalid, errors.map { "\($0.path): \($0.message)" }.joined(separator: "; "))
        }
        return resource
    }
}
