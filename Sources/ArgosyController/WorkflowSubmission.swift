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

    /// Stores a prepared workflow. A generated name that collides with an existing workflow is generated
    /// again (as Kubernetes clients retry `generateName` conflicts); an explicit name that exists is an error.
    public static func create(
        _ prepared: Workflow, source: Workflow, options: WorkflowPreparation.Options, store: WorkflowStore,
        leaseOwner: String? = nil, leaseUntil: Date? = nil
    ) throws(ArgosyError) -> Workflow {
        var wf = prepared
        for attempt in 0..<8 {
            do {
                try store.create(wf, leaseOwner: leaseOwner, leaseUntil: leaseUntil)
                return wf
            } catch {
                let generated = options.name == nil && (source.metadata.name ?? "").isEmpty
                guard error.code == .alreadyExists, generated, attempt < 7 else { throw error }
                wf = try prepare(source, options: options, store: store)
            }
        }
        return wf
    }

    /// Lints a manifest given as JSON (the API's request bodies): errors in one message, each naming its field.
    public static func lint(_ value: JSONValue, file: String, limits: Limits = Limits()) throws(ArgosyError)
        -> ArgoResource
    {
        let (resource, diagnostics) = ManifestLinter.lint(ManifestDocument(value: value, file: file), limits: limits)
        let errors = diagnostics.filter { $0.severity == .error }
        guard errors.isEmpty, let resource else {
            throw ArgosyError(.invalid, errors.map { "\($0.path): \($0.message)" }.joined(separator: "; "))
        }
        return resource
    }
}
