import ArgosyModel
import Foundation

/// A finished workflow kept after its live copy was deleted (by `ttlStrategy`).
public struct ArchivedWorkflow: Sendable {
    public var uid: String
    public var namespace: String
    public var name: String
    public var phase: WorkflowPhase?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    /// The workflow with its full status (nodes included).
    public var workflow: Workflow
}

extension SQLiteStore {
    /// Copies a finished workflow, status and nodes included, into the archive and deletes the live one.
    public func archive(uid: String, now: Date) throws(ArgosyError) {
        guard let stored = try get(uid: uid) else { throw ArgosyError(.notFound, "workflow \(uid) not found") }
        let wf = stored.document()
        let document = try Self.encode(wf)
        try releaseLocks(holder: uid)
        do {
            try database.transaction {
                try database.query(
                    """
                    INSERT OR REPLACE INTO archived_workflows
                        (uid, namespace, name, phase, created_at, started_at, finished_at, document, archived_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    [
                        .text(uid), .text(wf.namespace), .text(wf.name), .text(stored.phase?.rawValue ?? ""),
                        SQLValue(wf.metadata.creationTimestamp ?? now), SQLValue(stored.startedAt),
                        SQLValue(stored.finishedAt), .text(document), SQLValue(now),
                    ])
                try database.query("DELETE FROM workflows WHERE uid = ?", [.text(uid)])
            }
        } catch let error as ArgosyError {
            throw error
        } catch {
            throw ArgosyError(.io, "\(error)")
        }
    }

    /// Archived workflows, newest first.
    public func archived(namespace: String?) throws(ArgosyError) -> [ArchivedWorkflow] {
        let rows =
            namespace == nil
            ? try database.query("SELECT * FROM archived_workflows ORDER BY created_at DESC, name")
            : try database.query(
                "SELECT * FROM archived_workflows WHERE namespace = ? ORDER BY created_at DESC, name",
                [.text(namespace!)])
        var out: [ArchivedWorkflow] = []
        for row in rows { out.append(try Self.archivedWorkflow(row)) }
        return out
    }

    /// An archived workflow by uid, or by name in a namespace.
    public func archived(id: String, namespace: String) throws(ArgosyError) -> ArchivedWorkflow? {
        let rows = try database.query(
            "SELECT * FROM archived_workflows WHERE uid = ? OR (namespace = ? AND name = ?) ORDER BY archived_at DESC",
            [.text(id), .text(namespace), .text(id)])
        return try rows.first.map { (r) throws(ArgosyError) in try Self.archivedWorkflow(r) }
    }

    @discardableResult
    public func deleteArchived(uid: String) throws(ArgosyError) -> Bool {
        try database.update("DELETE FROM archived_workflows WHERE uid = ?", [.text(uid)]) > 0
    }

    /// Puts an archived workflow back among the live ones (for `archive retry`), nodes included.
    public func restore(_ archived: ArchivedWorkflow) throws(ArgosyError) {
        var wf = archived.workflow
        let status = wf.status
        wf.status = nil
        try create(wf)
        try save(
            uid: archived.uid, phase: status?.phase, startedAt: status?.startedAt, finishedAt: status?.finishedAt,
            message: status?.message, progress: status?.progress ?? "",
            outputs: Dictionary(
                uniqueKeysWithValues: (status?.outputs?.parameters ?? []).map { ($0.name, $0.value ?? "") }),
            changedNodes: Array((status?.nodes ?? [:]).values), leaseOwner: nil)
        try deleteArchived(uid: archived.uid)
    }

    static func archivedWorkflow(_ row: SQLRow) throws(ArgosyError) -> ArchivedWorkflow {
        ArchivedWorkflow(
            uid: row.string("uid") ?? "", namespace: row.string("namespace") ?? "", name: row.string("name") ?? "",
            phase: WorkflowPhase(rawValue: row.string("phase") ?? ""), createdAt: row.date("created_at") ?? Date(),
            startedAt: row.date("started_at"), finishedAt: row.date("finished_at"),
            workflow: try decode(Workflow.self, row.string("document") ?? "{}"))
    }
}

extension StoredWorkflow {
    /// The workflow as Argo shows it: manifest plus `status` with every node.
    public func document() -> Workflow {
        var wf = workflow
        var status = WorkflowStatus()
        status.phase = phase
        status.startedAt = startedAt
        status.finishedAt = finishedAt
        status.message = message
        status.progress = progress
        status.nodes = Dictionary(
            uniqueKeysWithValues: nodes.map { n -> (String, NodeStatus) in
                var shown = n
                shown.deadline = nil
                return (n.id, shown)
            })
        if !outputs.isEmpty {
            status.outputs = Outputs(
                parameters: outputs.sorted { $0.key < $1.key }.map { Parameter(name: $0.key, value: $0.value) })
        }
        wf.status = status
        return wf
    }
}
