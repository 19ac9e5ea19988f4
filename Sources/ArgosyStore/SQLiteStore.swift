import ArgosyModel
import Foundation

/// Workflows, their nodes, secrets and config maps in one SQLite file.
public final class SQLiteStore: WorkflowStore {
    public let database: SQLiteDatabase
    /// How many children rows each node has stored, as this process wrote or read them.
    private let storedChildren = ChildCounts()
    private let createdManifests = CreatedManifests()
    private let manifestSummaries = ManifestSummaries()
    private let launchParts = StepLaunch.Parts()

    /// Opens `<home>/argosy.db`, creating the folder and the schema when needed and migrating a store written by an
    /// earlier release (see ``StoreSchema``).
    public init(home: URL) throws(ArgosyError) {
        do {
            try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        } catch {
            throw ArgosyError(.io, "cannot create \(home.path): \(error.localizedDescription)")
        }
        database = try SQLiteDatabase(path: home.appendingPathComponent("argosy.db").path)
        try StoreSchema.migrate(database)
    }

    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .secondsSince1970
        return e
    }

    static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .secondsSince1970
        return d
    }

    static func encode(node: NodeStatus) throws(ArgosyError) -> String {
        do {
            return try node.json(nested: encoder())
        } catch {
            throw ArgosyError(.internal, "cannot encode node \(node.id): \(error)")
        }
    }

    func encode(launch: StepLaunch) throws(ArgosyError) -> String {
        do {
            return try launchParts.json(launch, encoder: Self.encoder())
        } catch {
            throw ArgosyError(.internal, "cannot encode the launch of node \(launch.nodeID): \(error)")
        }
    }

    static func encode<T: Encodable>(_ value: T) throws(ArgosyError) -> String {
        do {
            return String(decoding: try encoder().encode(value), as: UTF8.self)
        } catch {
            throw ArgosyError(.internal, "cannot encode \(T.self): \(error)")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws(ArgosyError) -> T {
        do {
            return try decoder().decode(type, from: Data(text.utf8))
        } catch {
            throw ArgosyError(.io, "stored \(T.self) is unreadable: \(error)")
        }
    }

    // MARK: - Workflows

    /// Stores a new workflow. Its name (or generateName), uid and creation time must be set.
    /// With `leaseOwner`, the new workflow is leased to that controller from the start.
    public func create(_ workflow: Workflow, leaseOwner: String?, leaseUntil: Date?) throws(ArgosyError) {
        try KubernetesName.checkLabel(workflow.namespace, field: "metadata.namespace")
        try KubernetesName.checkSubdomain(workflow.name, field: "metadata.name")
        let manifest = try Self.encode(workflow)
        storedChildren.forget(workflow.metadata.uid ?? "")  // an archived workflow put back keeps its uid
        do {
            try database.query(
                """
                INSERT INTO workflows (uid, namespace, name, created_at, manifest, progress, lease_owner, lease_expires)
                VALUES (?, ?, ?, ?, ?, '0/0', ?, ?)
                """,
                [
                    .text(workflow.metadata.uid ?? ""), .text(workflow.namespace), .text(workflow.name),
                    SQLValue(workflow.metadata.creationTimestamp ?? Date()), .text(manifest), SQLValue(leaseOwner),
                    SQLValue(leaseUntil),
                ])
        } catch {
            if error.message.contains("UNIQUE") {
                throw ArgosyError(
                    .alreadyExists, "workflows \"\(workflow.name)\" already exists in namespace \(workflow.namespace)")
            }
            throw error
        }
        createdManifests.keep(workflow.metadata.uid ?? "", manifest, workflow)
    }

    public func get(namespace: String, name: String) throws(ArgosyError) -> StoredWorkflow? {
        guard
            let row = try database.query(
                "SELECT * FROM workflows WHERE namespace = ? AND name = ?",
                [
                    .text(namespace), .text(name),
                ]
            ).first
        else { return nil }
        return try load(row)
    }

    public func get(uid: String) throws(ArgosyError) -> StoredWorkflow? {
        guard let row = try database.query("SELECT * FROM workflows WHERE uid = ?", [.text(uid)]).first else {
            return nil
        }
        return try load(row)
    }

    /// A workflow's name, phase and finish time, without decoding its manifest or its nodes.
    public func outcome(uid: String) throws(ArgosyError) -> (name: String, phase: WorkflowPhase?, finishedAt: Date?)? {
        guard
            let row = try database.query("SELECT name, phase, finished_at FROM workflows WHERE uid = ?", [.text(uid)])
                .first
        else { return nil }
        return (row.string("name") ?? "", WorkflowPhase(rawValue: row.string("phase") ?? ""), row.date("finished_at"))
    }

    /// How many workflows are in each phase (nil: not started), counted by the database.
    public func countsByPhase() throws(ArgosyError) -> [WorkflowPhase?: Int] {
        var counts: [WorkflowPhase?: Int] = [:]
        for row in try database.query("SELECT phase, COUNT(*) AS n FROM workflows GROUP BY phase") {
            counts[WorkflowPhase(rawValue: row.string("phase") ?? ""), default: 0] += row.int("n") ?? 0
        }
        return counts
    }

    /// The most recently created workflow in `namespace` (`@latest`).
    public func latest(namespace: String?) throws(ArgosyError) -> WorkflowSummary? {
        try list(namespace: namespace).first
    }

    private func load(_ row: SQLRow) throws(ArgosyError) -> StoredWorkflow {
        let uid = row.string("uid") ?? ""
        let manifest = row.string("manifest") ?? "{}"
        let workflow: Workflow
        if let created = createdManifests.take(uid, manifest) {
            workflow = created
        } else {
            workflow = try Self.decode(Workflow.self, manifest)
        }
        var children: [String: [String]] = [:]
        for c in try database.query(
            "SELECT node_id, child_id FROM node_children WHERE workflow_uid = ? ORDER BY node_id, position",
            [.text(uid)])
        {
            children[c.string("node_id") ?? "", default: []].append(c.string("child_id") ?? "")
        }
        var nodes: [NodeStatus] = []
        var counts: [String: Int] = [:]
        for n in try database.query("SELECT body FROM nodes WHERE workflow_uid = ?", [.text(uid)]) {
            var node = try Self.decode(NodeStatus.self, n.string("body") ?? "{}")
            // A body written before the child table keeps its children inside; they move at its next save.
            counts[node.id] = children[node.id]?.count ?? 0
            if let c = children[node.id] { node.children = c }
            nodes.append(node)
        }
        if row.date("finished_at") == nil { storedChildren.seed(uid, counts) }
        let outputs =
            try row.string("outputs").map { (t) throws(ArgosyError) in try Self.decode([String: String].self, t) }
            ?? [:]
        return StoredWorkflow(
            workflow: workflow, phase: WorkflowPhase(rawValue: row.string("phase") ?? ""),
            startedAt: row.date("started_at"), finishedAt: row.date("finished_at"), message: row.string("message"),
            progress: row.string("progress"), outputs: outputs, nodes: nodes, leaseOwner: row.string("lease_owner"),
            leaseExpires: row.date("lease_expires"), specVersion: row.int("spec_version") ?? 0)
    }

    /// Workflow ids and names, newest first, read without decoding any manifest.
    public func workflowIDs(namespace: String?) throws(ArgosyError) -> [(uid: String, name: String)] {
        let rows =
            namespace == nil
            ? try database.query("SELECT uid, name FROM workflows ORDER BY created_at DESC, name")
            : try database.query(
                "SELECT uid, name FROM workflows WHERE namespace = ? ORDER BY created_at DESC, name",
                [.text(namespace!)])
        return rows.map { ($0.string("uid") ?? "", $0.string("name") ?? "") }
    }

    /// Workflows, newest first, without their nodes.
    /// Every workflow (of `namespace`), newest first. What a summary takes from the manifest is decoded once per
    /// version of it (the controller's clean-up lists all workflows every second).
    public func list(namespace: String?) throws(ArgosyError) -> [WorkflowSummary] {
        let columns = """
            uid, namespace, name, phase, created_at, started_at, finished_at, message, progress, lease_owner,
            lease_expires, spec_version, length(manifest) AS manifest_length
            """
        let rows =
            namespace == nil
            ? try database.query("SELECT \(columns) FROM workflows ORDER BY created_at DESC, name")
            : try database.query(
                "SELECT \(columns) FROM workflows WHERE namespace = ? ORDER BY created_at DESC, name",
                [.text(namespace!)])
        var out: [WorkflowSummary] = []
        for row in rows {
            let uid = row.string("uid") ?? ""
            let version = ManifestSummaries.Version(
                spec: row.int("spec_version") ?? 0, createdAt: row.date("created_at") ?? .distantPast,
                length: row.int("manifest_length") ?? 0)
            var fields = manifestSummaries.get(uid, version)
            if fields == nil {
                let text =
                    try database.query("SELECT manifest FROM workflows WHERE uid = ?", [.text(uid)]).first?.string(
                        "manifest") ?? "{}"
                let wf = try Self.decode(Workflow.self, text)
                fields = ManifestSummaries.Fields(
                    priority: wf.spec.priority ?? 0, suspended: wf.spec.suspend == true,
                    shutdown: !(wf.spec.shutdown ?? "").isEmpty,
                    cronWorkflow: wf.metadata.labels?["workflows.argoproj.io/cron-workflow"],
                    ttlStrategy: wf.spec.ttlStrategy, podGC: wf.spec.podGC)
                manifestSummaries.set(uid, version, fields!)
            }
            let f = fields!
            out.append(
                WorkflowSummary(
                    uid: uid, namespace: row.string("namespace") ?? "",
                    name: row.string("name") ?? "", phase: WorkflowPhase(rawValue: row.string("phase") ?? ""),
                    createdAt: row.date("created_at") ?? Date(), startedAt: row.date("started_at"),
                    finishedAt: row.date("finished_at"), message: row.string("message"),
                    progress: row.string("progress"), priority: f.priority, suspended: f.suspended,
                    shutdown: f.shutdown, cronWorkflow: f.cronWorkflow, ttlStrategy: f.ttlStrategy, podGC: f.podGC,
                    leaseOwner: row.string("lease_owner"), leaseExpires: row.date("lease_expires")))
        }
        if namespace == nil { manifestSummaries.keep(only: Set(out.map(\.uid))) }
        return out
    }

    /// Deletes a workflow and its nodes. Returns false when it did not exist.
    @discardableResult
    public func delete(uid: String) throws(ArgosyError) -> Bool {
        storedChildren.forget(uid)
        try releaseLocks(holder: uid)
        return try database.update("DELETE FROM workflows WHERE uid = ?", [.text(uid)]) > 0
    }

    public func commit(_ pass: WorkflowCommit) throws(ArgosyError) {
        let (uid, phase, startedAt, finishedAt, message, progress) = (
            pass.uid, pass.phase, pass.startedAt, pass.finishedAt, pass.message, pass.progress
        )
        let (outputs, changedNodes, childrenRewritten, removedNodeIDs, launches, leaseOwner, releasingLease) = (
            pass.outputs, pass.changedNodes, pass.childrenRewritten, pass.removedNodeIDs, pass.launches,
            pass.leaseOwner, pass.releasingLease
        )
        let outputsText = outputs.isEmpty ? nil : try Self.encode(outputs)
        // A node's children live in their own table, one row each: a loop's group with 10,000 children gets one
        // row per new child instead of all of them re-encoded with its body on every pass.
        var bodies: [(String, String)] = []
        for n in changedNodes {
            var bare = n
            bare.children = nil
            bodies.append((n.id, try Self.encode(node: bare)))
        }
        var launchBodies: [(String, String)] = []
        for l in launches { launchBodies.append((l.nodeID, try encode(launch: l))) }
        var counts: [String: Int] = [:]
        do {
            try database.transaction {
                let changed = try database.update(
                    """
                    UPDATE workflows SET started_at = ?, finished_at = ?, message = ?, progress = ?, outputs = ?
                    WHERE uid = ? AND (lease_owner IS ? OR ? IS NULL)
                    """,
                    [
                        SQLValue(startedAt), SQLValue(finishedAt), SQLValue(message), .text(progress),
                        SQLValue(outputsText), .text(uid), SQLValue(leaseOwner), SQLValue(leaseOwner),
                    ])
                guard changed == 1 else {
                    throw ArgosyError(.conflict, "workflow \(uid) is no longer owned by this controller")
                }
                // Apart, and only when it changes: setting the indexed phase rewrites its index entry even when
                // the value stays, a page more in every commit.
                let phaseText = phase?.rawValue ?? ""
                try database.update(
                    "UPDATE workflows SET phase = ? WHERE uid = ? AND phase IS NOT ?",
                    [.text(phaseText), .text(uid), .text(phaseText)])
                for (id, body) in bodies {
                    try database.query(
                        "INSERT OR REPLACE INTO nodes (workflow_uid, id, body) VALUES (?, ?, ?)",
                        [.text(uid), .text(id), .text(body)])
                }
                for n in changedNodes {
                    counts[n.id] = try saveChildren(uid: uid, n, rewritten: childrenRewritten.contains(n.id))
                }
                for id in removedNodeIDs {
                    try database.query("DELETE FROM nodes WHERE workflow_uid = ? AND id = ?", [.text(uid), .text(id)])
                    try database.query(
                        "DELETE FROM node_children WHERE workflow_uid = ? AND node_id = ?", [.text(uid), .text(id)])
                    try database.query(
                        "DELETE FROM launches WHERE workflow_uid = ? AND node_id = ?", [.text(uid), .text(id)])
                }
                for (id, body) in launchBodies {
                    try database.query(
                        "INSERT OR REPLACE INTO launches (workflow_uid, node_id, body) VALUES (?, ?, ?)",
                        [.text(uid), .text(id), .text(body)])
                }
                if releasingLease, let leaseOwner { try releaseLease(uid: uid, owner: leaseOwner) }
            }
        } catch let error as ArgosyError {
            throw error
        } catch {
            throw ArgosyError(.io, "\(error)")
        }
        // Only what committed is known stored; a finished workflow's nodes change no more.
        if finishedAt != nil { storedChildren.forget(uid) } else { storedChildren.merge(uid, counts) }
    }

    /// Writes the child rows of `node` that are not stored yet: the new ones at the end, or all of them when its
    /// children were rewritten (not only appended to). Returns how many it has stored now.
    private func saveChildren(uid: String, _ node: NodeStatus, rewritten: Bool) throws(ArgosyError) -> Int {
        let children = node.children ?? []
        var stored: Int
        if rewritten {
            try database.query(
                "DELETE FROM node_children WHERE workflow_uid = ? AND node_id = ?", [.text(uid), .text(node.id)])
            stored = 0
        } else if let known = storedChildren.count(uid, node.id) {
            stored = known
        } else {
            stored =
                try database.query(
                    "SELECT COUNT(*) AS n FROM node_children WHERE workflow_uid = ? AND node_id = ?",
                    [.text(uid), .text(node.id)]
                ).first?.int("n") ?? 0
        }
        stored = min(stored, children.count)
        for position in stored..<children.count {
            try database.query(
                "INSERT OR REPLACE INTO node_children (workflow_uid, node_id, position, child_id) VALUES (?, ?, ?, ?)",
                [.text(uid), .text(node.id), .integer(position), .text(children[position])])
        }
        return children.count
    }

    /// Changes a stored manifest (suspend, stop, terminate) and bumps its spec version.
    public func updateManifest(uid: String, _ change: (inout Workflow) -> Void) throws(ArgosyError) {
        try inTransaction { () throws(ArgosyError) in
            guard let row = try database.query("SELECT manifest FROM workflows WHERE uid = ?", [.text(uid)]).first
            else { throw ArgosyError(.notFound, "workflow \(uid) not found") }
            var wf = try Self.decode(Workflow.self, row.string("manifest") ?? "{}")
            change(&wf)
            try database.query(
                "UPDATE workflows SET manifest = ?, spec_version = spec_version + 1 WHERE uid = ?",
                [.text(try Self.encode(wf)), .text(uid)])
        }
    }

    /// Changes with every write to the store, by this process or another (see ``StoreChanges``).
    public func changeVersion() -> StoreVersion { database.changeVersion() }

    /// Runs `body` in one transaction (a read-modify-write no other process can interleave with; several commits
    /// made durable by one fsync). The store's own writes inside it are savepoints.
    public func inTransaction<T>(_ body: () throws(ArgosyError) -> T) throws(ArgosyError) -> T {
        do {
            return try database.transaction { () throws -> T in try body() }
        } catch {
            // Saves inside it counted child rows that were rolled back with it: count again from the database.
            storedChildren.forgetAll()
            throw error as? ArgosyError ?? ArgosyError(.io, "\(error)")
        }
    }

    /// The launch recorded for a step node, to start or re-attach it after a restart.
    public func launch(uid: String, nodeID: String) throws(ArgosyError) -> StepLaunch? {
        guard
            let row = try database.query(
                "SELECT body FROM launches WHERE workflow_uid = ? AND node_id = ?", [.text(uid), .text(nodeID)]
            ).first
        else { return nil }
        return try Self.decode(StepLaunch.self, row.string("body") ?? "{}")
    }

    /// How many times the workflow's manifest was changed since it was created; nil when it was deleted.
    public func specVersion(uid: String) throws(ArgosyError) -> Int? {
        guard let row = try database.query("SELECT spec_version FROM workflows WHERE uid = ?", [.text(uid)]).first
        else { return nil }
        return row.int("spec_version") ?? 0
    }

    // MARK: - Leases

    /// Takes or renews the lease on a workflow. Returns false when another live owner holds it.
    public func acquireLease(uid: String, owner: String, until: Date, now: Date) throws(ArgosyError) -> Bool {
        try database.update(
            """
            UPDATE workflows SET lease_owner = ?, lease_expires = ?
            WHERE uid = ? AND (lease_owner IS NULL OR lease_owner = ? OR lease_expires < ?)
            """, [.text(owner), SQLValue(until), .text(uid), .text(owner), SQLValue(now)]) == 1
    }

    /// Extends every lease `owner` holds.
    public func renewLeases(owner: String, until: Date) throws(ArgosyError) {
        try database.query(
            "UPDATE workflows SET lease_expires = ? WHERE lease_owner = ?", [SQLValue(until), .text(owner)])
    }

    public func releaseLease(uid: String, owner: String) throws(ArgosyError) {
        try database.query(
            "UPDATE workflows SET lease_owner = NULL, lease_expires = NULL WHERE uid = ? AND lease_owner = ?",
            [.text(uid), .text(owner)])
    }

    /// The controllers that hold leases on unfinished workflows (live leases or lapsed ones).
    public func leaseOwnersOfUnfinished() throws(ArgosyError) -> Set<String> {
        Set(
            try database.query(
                """
                SELECT DISTINCT lease_owner FROM workflows
                WHERE phase NOT IN ('Succeeded', 'Failed', 'Error') AND lease_owner IS NOT NULL
                """
            ).compactMap { $0.string("lease_owner") })
    }

    /// When the next lease another owner holds on an unfinished workflow (or one with requests) lapses, if it is
    /// not renewed: a controller waits for it instead of polling, in case that owner died.
    public func nextLeaseExpiry(after now: Date, excludingOwner owner: String) throws(ArgosyError) -> Date? {
        try database.query(
            """
            SELECT MIN(lease_expires) AS next FROM workflows
            WHERE (phase NOT IN ('Succeeded', 'Failed', 'Error') OR uid IN (SELECT workflow_uid FROM requests))
                AND lease_owner IS NOT NULL AND lease_owner != ? AND lease_expires >= ?
            """, [.text(owner), SQLValue(now)]
        ).first?.date("next")
    }

    /// Unfinished workflows nobody holds a live lease on, oldest first.
    public func orphanedWorkflows(now: Date) throws(ArgosyError) -> [String] {
        try database.query(
            """
            SELECT uid FROM workflows
            WHERE (phase NOT IN ('Succeeded', 'Failed', 'Error') OR uid IN (SELECT workflow_uid FROM requests))
                AND (lease_owner IS NULL OR lease_expires < ?)
            ORDER BY created_at
            """, [SQLValue(now)]
        ).compactMap { $0.string("uid") }
    }

    // MARK: - Requests

    public func addRequest(uid: String, kind: String, argument: String?) throws(ArgosyError) {
        try database.query(
            "INSERT INTO requests (workflow_uid, kind, argument) VALUES (?, ?, ?)",
            [.text(uid), .text(kind), SQLValue(argument)])
    }

    /// Removes and returns the pending requests for a workflow, oldest first.
    public func takeRequests(uid: String) throws(ArgosyError) -> [ControlRequest] {
        try inTransaction { () throws(ArgosyError) in try takeRequestsUnlocked(uid: uid) }
    }

    private func takeRequestsUnlocked(uid: String) throws(ArgosyError) -> [ControlRequest] {
        let rows = try database.query(
            "SELECT id, kind, argument FROM requests WHERE workflow_uid = ? ORDER BY id", [.text(uid)])
        if rows.isEmpty { return [] }
        try database.query(
            "DELETE FROM requests WHERE workflow_uid = ? AND id <= ?",
            [
                .text(uid), .integer(rows.last?.int("id") ?? 0),
            ])
        return rows.map {
            ControlRequest(
                id: $0.int("id") ?? 0, workflowUID: uid, kind: $0.string("kind") ?? "", argument: $0.string("argument"))
        }
    }

    public func hasRequests(uid: String) throws(ArgosyError) -> Bool {
        !(try database.query("SELECT 1 AS x FROM requests WHERE workflow_uid = ? LIMIT 1", [.text(uid)])).isEmpty
    }
}

/// How many child rows each node of the running workflows has in `node_children` (by workflow uid, then node id).
/// What summaries take from each workflow's manifest, by uid, with the version of the manifest it was read from:
/// its spec version (every change of a stored manifest raises it), creation time and length (a workflow put back
/// from the archive starts again at version 0).
final class ManifestSummaries: @unchecked Sendable {
    struct Version: Equatable {
        var spec: Int
        var createdAt: Date
        var length: Int
    }

    struct Fields {
        var priority: Int
        var suspended: Bool
        var shutdown: Bool
        var cronWorkflow: String?
        var ttlStrategy: TTLStrategy?
        var podGC: PodGC?
    }

    private let lock = NSLock()
    private var entries: [String: (version: Version, fields: Fields)] = [:]

    func get(_ uid: String, _ version: Version) -> Fields? {
        lock.lock()
        defer { lock.unlock() }
        guard let entry = entries[uid], entry.version == version else { return nil }
        return entry.fields
    }

    func set(_ uid: String, _ version: Version, _ fields: Fields) {
        lock.lock()
        entries[uid] = (version, fields)
        lock.unlock()
    }

    /// Forgets workflows that are gone.
    func keep(only uids: Set<String>) {
        lock.lock()
        entries = entries.filter { uids.contains($0.key) }
        lock.unlock()
    }
}

/// The workflows this process stored last, by uid, with their manifest's text: the controller that adopts a
/// workflow it was handed (`submit --wait`, the server's submit) loads it right after, and decoding the manifest
/// again was a good share of a small workflow's start. The first load of the same text takes it.
final class CreatedManifests: @unchecked Sendable {
    private let lock = NSLock()
    private var kept: [String: (manifest: String, workflow: Workflow)] = [:]

    func keep(_ uid: String, _ manifest: String, _ workflow: Workflow) {
        lock.lock()
        defer { lock.unlock() }
        if kept.count >= 1_000 { kept = [:] }  // created here, loaded elsewhere: not kept for ever
        kept[uid] = (manifest, workflow)
    }

    func take(_ uid: String, _ manifest: String) -> Workflow? {
        lock.lock()
        defer { lock.unlock() }
        guard let entry = kept.removeValue(forKey: uid), entry.manifest == manifest else { return nil }
        return entry.workflow
    }
}

final class ChildCounts: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [String: [String: Int]] = [:]

    func count(_ uid: String, _ node: String) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        return counts[uid]?[node]
    }

    /// Takes counts read from the database, unless this process knows the workflow already (its own writes are
    /// at least as new as what it read).
    func seed(_ uid: String, _ value: [String: Int]) {
        lock.lock()
        if counts[uid] == nil { counts[uid] = value }
        lock.unlock()
    }

    func merge(_ uid: String, _ value: [String: Int]) {
        lock.lock()
        counts[uid, default: [:]].merge(value) { _, new in new }
        lock.unlock()
    }

    func forget(_ uid: String) {
        lock.lock()
        counts[uid] = nil
        lock.unlock()
    }

    func forgetAll() {
        lock.lock()
        counts = [:]
        lock.unlock()
    }
}
