import ArgosyModel
import Foundation

/// Stored resources other than workflows: WorkflowTemplates, ClusterWorkflowTemplates, CronWorkflows.
public enum ResourceKind: String, Sendable, CaseIterable {
    case workflowTemplate = "WorkflowTemplate"
    case clusterWorkflowTemplate = "ClusterWorkflowTemplate"
    case cronWorkflow = "CronWorkflow"

    /// Argo's plural resource name, for messages (`workflowtemplates.argoproj.io "x" not found`).
    public var plural: String {
        switch self {
        case .workflowTemplate: "workflowtemplates"
        case .clusterWorkflowTemplate: "clusterworkflowtemplates"
        case .cronWorkflow: "cronworkflows"
        }
    }

    /// Cluster-scoped kinds live in no namespace.
    public var isClusterScoped: Bool { self == .clusterWorkflowTemplate }
}

/// One stored resource: its manifest as JSON text and when it was created.
public struct StoredResource: Sendable {
    public var kind: ResourceKind
    public var namespace: String
    public var name: String
    public var manifest: String
    public var createdAt: Date
}

extension SQLiteStore {
    /// Stores a new resource; a clash of names is `alreadyExists`.
    public func createResource(_ kind: ResourceKind, namespace: String, name: String, manifest: String, now: Date)
        throws(ArgosyError)
    {
        try Self.checkNames(kind, namespace: namespace, name: name)
        do {
            try database.query(
                "INSERT INTO resources (kind, namespace, name, manifest, created_at) VALUES (?, ?, ?, ?, ?)",
                [
                    .text(kind.rawValue), .text(kind.isClusterScoped ? "" : namespace), .text(name), .text(manifest),
                    SQLValue(now),
                ])
        } catch {
            if error.message.contains("UNIQUE") {
                throw ArgosyError(.alreadyExists, "\(kind.plural).argoproj.io \"\(name)\" already exists")
            }
            throw error
        }
    }

    /// A resource's name and (unless it is cluster-scoped) namespace, checked as Kubernetes names.
    static func checkNames(_ kind: ResourceKind, namespace: String, name: String) throws(ArgosyError) {
        if !kind.isClusterScoped { try KubernetesName.checkLabel(namespace, field: "metadata.namespace") }
        try KubernetesName.checkSubdomain(name, field: "metadata.name")
    }

    /// Replaces a stored resource's manifest; `notFound` when there is none.
    public func updateResource(_ kind: ResourceKind, namespace: String, name: String, manifest: String)
        throws(ArgosyError)
    {
        let changed = try database.update(
            "UPDATE resources SET manifest = ? WHERE kind = ? AND namespace = ? AND name = ?",
            [.text(manifest), .text(kind.rawValue), .text(kind.isClusterScoped ? "" : namespace), .text(name)])
        if changed == 0 { throw ArgosyError(.notFound, "\(kind.plural).argoproj.io \"\(name)\" not found") }
    }

    public func resource(_ kind: ResourceKind, namespace: String, name: String) throws(ArgosyError) -> StoredResource? {
        try database.query(
            "SELECT * FROM resources WHERE kind = ? AND namespace = ? AND name = ?",
            [.text(kind.rawValue), .text(kind.isClusterScoped ? "" : namespace), .text(name)]
        ).first.map { Self.resource($0, kind) }
    }

    /// Resources of a kind, by name (all namespaces when `namespace` is nil).
    public func resources(_ kind: ResourceKind, namespace: String?) throws(ArgosyError) -> [StoredResource] {
        let rows =
            namespace == nil || kind.isClusterScoped
            ? try database.query(
                "SELECT * FROM resources WHERE kind = ? ORDER BY namespace, name", [.text(kind.rawValue)])
            : try database.query(
                "SELECT * FROM resources WHERE kind = ? AND namespace = ? ORDER BY name",
                [.text(kind.rawValue), .text(namespace!)])
        return rows.map { Self.resource($0, kind) }
    }

    @discardableResult
    public func deleteResource(_ kind: ResourceKind, namespace: String, name: String) throws(ArgosyError) -> Bool {
        try database.update(
            "DELETE FROM resources WHERE kind = ? AND namespace = ? AND name = ?",
            [.text(kind.rawValue), .text(kind.isClusterScoped ? "" : namespace), .text(name)]) > 0
    }

    static func resource(_ row: SQLRow, _ kind: ResourceKind) -> StoredResource {
        StoredResource(
            kind: kind, namespace: row.string("namespace") ?? "", name: row.string("name") ?? "",
            manifest: row.string("manifest") ?? "{}", createdAt: row.date("created_at") ?? Date())
    }

    /// A stored WorkflowTemplate or ClusterWorkflowTemplate as a workflow (its spec is a workflow spec).
    public func workflowTemplate(_ name: String, namespace: String, cluster: Bool) throws(ArgosyError) -> Workflow? {
        guard
            let r = try resource(
                cluster ? .clusterWorkflowTemplate : .workflowTemplate, namespace: namespace, name: name)
        else { return nil }
        return try Self.decode(Workflow.self, r.manifest)
    }
}
