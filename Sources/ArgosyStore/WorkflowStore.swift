import ArgosyModel
import Foundation

/// A workflow as stored: its manifest, its run state and who is running it.
public struct StoredWorkflow: Sendable {
    public var workflow: Workflow
    public var phase: WorkflowPhase?
    public var startedAt: Date?
    public var finishedAt: Date?
    public var message: String?
    public var progress: String?
    public var outputs: [String: String]
    public var nodes: [NodeStatus]
    public var leaseOwner: String?
    public var leaseExpires: Date?
    /// Bumped on every write of the manifest (suspend, stop, …) so controllers notice.
    public var specVersion: Int

    public var uid: String { workflow.metadata.uid ?? "" }

    public init(
        workflow: Workflow, phase: WorkflowPhase?, startedAt: Date?, finishedAt: Date?, message: String?,
        progress: String?, outputs: [String: String], nodes: [NodeStatus], leaseOwner: String?, leaseExpires: Date?,
        specVersion: Int
    ) {
        self.workflow = workflow
        self.phase = phase
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.message = message
        self.progress = progress
        self.outputs = outputs
        self.nodes = nodes
        self.leaseOwner = leaseOwner
        self.leaseExpires = leaseExpires
        self.specVersion = specVersion
    }
}

/// One row of `argosy list`: the workflow without its nodes.
public struct WorkflowSummary: Sendable {
    public var uid: String
    public var namespace: String
    public var name: String
    public var phase: WorkflowPhase?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    public var message: String?
    public var progress: String?
    public var priority: Int
    public var suspended: Bool
    /// `spec.shutdown` is set (stopped or terminated).
    public var shutdown: Bool
    /// The CronWorkflow that created it (label `workflows.argoproj.io/cron-workflow`).
    public var cronWorkflow: String?
    public var ttlStrategy: TTLStrategy?
    public var podGC: PodGC?
    public var leaseOwner: String?
    public var leaseExpires: Date?
}

/// A request from a user command to whichever controller runs the workflow (`resume`, `retry`, …).
public struct ControlRequest: Sendable, Hashable {
    public var id: Int
    public var workflowUID: String
    public var kind: String
    public var argument: String?
}

/// Everything the controller and the server persist: workflows and their nodes, launch records, leases, user
/// requests, locks, memo entries, secrets and config maps, templates and CronWorkflows, tokens and the archive.
///
/// ``SQLiteStore`` is the first implementation; `StoreConformanceTests` is the suite any other must pass
/// unchanged. Every implementation keeps these promises:
/// - A commit (``commit(_:)``) is all or nothing, and only the lease holder's commit is taken (another is a
///   ``ArgosyError/Code/conflict``).
/// - ``inTransaction(_:)`` makes its body one transaction; the store's own writes inside it are savepoints (a
///   failed one is undone alone).
/// - Several connections (processes) may share the store: each sees the others' commits, and
///   ``changeVersion()`` changes with every write, its own and theirs.
/// - Errors carry their cause for the log; none of its text is meant for API clients.
public protocol WorkflowStore: AnyObject, Sendable {
    // MARK: Workflows

    /// Stores a new workflow (its name or generateName, uid and creation time set); `alreadyExists` when its name
    /// is taken in its namespace. With `leaseOwner`, it is leased to that controller from the start.
    func create(_ workflow: Workflow, leaseOwner: String?, leaseUntil: Date?) throws(ArgosyError)
    func get(namespace: String, name: String) throws(ArgosyError) -> StoredWorkflow?
    func get(uid: String) throws(ArgosyError) -> StoredWorkflow?
    /// A workflow's name, phase and finish time, without its nodes.
    func outcome(uid: String) throws(ArgosyError) -> (name: String, phase: WorkflowPhase?, finishedAt: Date?)?
    /// How many workflows are in each phase (nil: not started).
    func countsByPhase() throws(ArgosyError) -> [WorkflowPhase?: Int]
    /// The newest workflow (of a namespace, or of all when nil).
    func latest(namespace: String?) throws(ArgosyError) -> WorkflowSummary?
    func workflowIDs(namespace: String?) throws(ArgosyError) -> [(uid: String, name: String)]
    func list(namespace: String?) throws(ArgosyError) -> [WorkflowSummary]
    /// Deletes the workflow with its nodes, launches, requests and locks; false when there was none.
    @discardableResult
    func delete(uid: String) throws(ArgosyError) -> Bool
    /// Changes the stored manifest (a user's suspend, stop, terminate, retry) and counts it in ``specVersion(uid:)``.
    func updateManifest(uid: String, _ change: (inout Workflow) -> Void) throws(ArgosyError)
    /// How many times the manifest was changed since the workflow was created; nil when it was deleted.
    func specVersion(uid: String) throws(ArgosyError) -> Int?

    // MARK: Pass commits

    /// Commits a reconcile pass: the workflow's header, every changed node and the launches it records, in one
    /// transaction. Only the lease holder may write: a lost lease is a ``ArgosyError/Code/conflict``. With
    /// `releasingLease` (the pass that finishes the workflow) the lease is given up in the same commit.
    func commit(_ pass: WorkflowCommit) throws(ArgosyError)
    /// The launch recorded for a step node, to start or re-attach it after a restart.
    func launch(uid: String, nodeID: String) throws(ArgosyError) -> StepLaunch?
    /// Runs `body` in one transaction (a read-modify-write no other connection interleaves with; several commits
    /// made durable at once).
    func inTransaction<T>(_ body: () throws(ArgosyError) -> T) throws(ArgosyError) -> T
    /// Changes whenever anyone writes (another connection's commits and this one's own writes).
    func changeVersion() -> StoreVersion

    // MARK: Leases

    /// Takes or renews the lease on a workflow; false when another owner holds a live one.
    func acquireLease(uid: String, owner: String, until: Date, now: Date) throws(ArgosyError) -> Bool
    /// Extends every lease `owner` holds.
    func renewLeases(owner: String, until: Date) throws(ArgosyError)
    func releaseLease(uid: String, owner: String) throws(ArgosyError)
    /// The owners of leases (live or lapsed) on unfinished workflows.
    func leaseOwnersOfUnfinished() throws(ArgosyError) -> Set<String>
    /// When the next lease another owner holds on unfinished work lapses, unless it is renewed.
    func nextLeaseExpiry(after now: Date, excludingOwner owner: String) throws(ArgosyError) -> Date?
    /// Unfinished workflows (or finished ones with requests) nobody holds a live lease on, oldest first.
    func orphanedWorkflows(now: Date) throws(ArgosyError) -> [String]

    // MARK: Requests

    /// Queues a request (`resume`, `set`, `retry`) for whichever controller runs the workflow.
    func addRequest(uid: String, kind: String, argument: String?) throws(ArgosyError)
    /// Removes and returns the workflow's pending requests, oldest first (each is taken once).
    func takeRequests(uid: String) throws(ArgosyError) -> [ControlRequest]
    func hasRequests(uid: String) throws(ArgosyError) -> Bool

    // MARK: Locks and memoization

    /// Takes every key for `holder` at once, or none; `limits` gives each key's capacity (1 for a mutex). Waiters
    /// are served by priority, then in order of arrival. Returns the first key that is full.
    func acquireLocks(keys: [String], limits: [String: Int], holder: String, priority: Int, now: Date)
        throws(ArgosyError) -> (key: String, held: Int, limit: Int)?
    func releaseLocks(holder: String) throws(ArgosyError)
    func lockHolders(key: String) throws(ArgosyError) -> [String]
    func memoEntry(namespace: String, cache: String, key: String) throws(ArgosyError) -> (
        outputs: Outputs?, savedAt: Date
    )?
    func saveMemoEntry(namespace: String, cache: String, key: String, nodeID: String, outputs: Outputs?, now: Date)
        throws(ArgosyError)

    // MARK: Secrets and config maps

    func createObject(_ object: KeyValueObject) throws(ArgosyError)
    func object(_ kind: ObjectKind, namespace: String, name: String) throws(ArgosyError) -> KeyValueObject?
    func objects(_ kind: ObjectKind, namespace: String?) throws(ArgosyError) -> [KeyValueObject]
    @discardableResult
    func deleteObject(_ kind: ObjectKind, namespace: String, name: String) throws(ArgosyError) -> Bool

    // MARK: Templates and CronWorkflows

    /// Stores a manifest (encoded with ``StoredManifest``); `alreadyExists` when the name is taken.
    func createResource(_ kind: ResourceKind, namespace: String, name: String, manifest: String, now: Date)
        throws(ArgosyError)
    func updateResource(_ kind: ResourceKind, namespace: String, name: String, manifest: String) throws(ArgosyError)
    func resource(_ kind: ResourceKind, namespace: String, name: String) throws(ArgosyError) -> StoredResource?
    func resources(_ kind: ResourceKind, namespace: String?) throws(ArgosyError) -> [StoredResource]
    @discardableResult
    func deleteResource(_ kind: ResourceKind, namespace: String, name: String) throws(ArgosyError) -> Bool
    func workflowTemplate(_ name: String, namespace: String, cluster: Bool) throws(ArgosyError) -> Workflow?
    func cronState<T: Decodable>(_ type: T.Type, namespace: String, name: String) throws(ArgosyError) -> T?
    func setCronState<T: Encodable>(_ state: T, namespace: String, name: String) throws(ArgosyError)
    func deleteCronState(namespace: String, name: String) throws(ArgosyError)
    /// The workflows a CronWorkflow created, newest first.
    func cronRuns(namespace: String, cron: String) throws(ArgosyError) -> [WorkflowSummary]

    // MARK: Tokens

    /// Issues a bearer token scoped to `namespaces` (every one when empty); returns its secret, kept only hashed.
    func issueToken(name: String, namespaces: [String], now: Date) throws(ArgosyError) -> String
    func token(secret: String) throws(ArgosyError) -> APIToken?
    func tokens() throws(ArgosyError) -> [APIToken]
    @discardableResult
    func revokeToken(name: String) throws(ArgosyError) -> Bool

    // MARK: Archive

    /// Moves a finished workflow, nodes included, to the archive.
    func archive(uid: String, now: Date) throws(ArgosyError)
    func archived(namespace: String?) throws(ArgosyError) -> [ArchivedWorkflow]
    /// An archived workflow by uid or name.
    func archived(id: String, namespace: String) throws(ArgosyError) -> ArchivedWorkflow?
    @discardableResult
    func deleteArchived(uid: String) throws(ArgosyError) -> Bool
    /// Puts an archived workflow back among the live ones (for `archive retry`), nodes included.
    func restore(_ archived: ArchivedWorkflow) throws(ArgosyError)
}

extension WorkflowStore {
    /// Stores a new workflow nobody holds yet.
    public func create(_ workflow: Workflow) throws(ArgosyError) {
        try create(workflow, leaseOwner: nil, leaseUntil: nil)
    }

    public func addRequest(uid: String, kind: String) throws(ArgosyError) {
        try addRequest(uid: uid, kind: kind, argument: nil)
    }

    /// Commits a reconcile pass (see ``commit(_:)``).
    public func save(
        uid: String, phase: WorkflowPhase?, startedAt: Date?, finishedAt: Date?, message: String?, progress: String,
        outputs: [String: String], changedNodes: [NodeStatus], childrenRewritten: Set<String> = [],
        removedNodeIDs: [String] = [], launches: [StepLaunch] = [], leaseOwner: String?, releasingLease: Bool = false
    ) throws(ArgosyError) {
        try commit(
            WorkflowCommit(
                uid: uid, phase: phase, startedAt: startedAt, finishedAt: finishedAt, message: message,
                progress: progress, outputs: outputs, changedNodes: changedNodes, childrenRewritten: childrenRewritten,
                removedNodeIDs: removedNodeIDs, launches: launches, leaseOwner: leaseOwner,
                releasingLease: releasingLease))
    }
}

/// What one reconcile pass changed in one workflow (see ``WorkflowStore/commit(_:)``).
public struct WorkflowCommit: Sendable {
    public var uid: String
    public var phase: WorkflowPhase?
    public var startedAt: Date?
    public var finishedAt: Date?
    public var message: String?
    public var progress: String
    public var outputs: [String: String]
    public var changedNodes: [NodeStatus]
    /// Nodes whose children lists were rewritten (not only appended to).
    public var childrenRewritten: Set<String>
    public var removedNodeIDs: [String]
    /// Steps the pass starts, recorded before they start.
    public var launches: [StepLaunch]
    /// Who commits: only the lease holder's commit is taken (nil: whoever holds it, for tools).
    public var leaseOwner: String?
    public var releasingLease: Bool

    public init(
        uid: String, phase: WorkflowPhase?, startedAt: Date?, finishedAt: Date?, message: String?, progress: String,
        outputs: [String: String], changedNodes: [NodeStatus], childrenRewritten: Set<String>,
        removedNodeIDs: [String], launches: [StepLaunch], leaseOwner: String?, releasingLease: Bool
    ) {
        self.uid = uid
        self.phase = phase
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.message = message
        self.progress = progress
        self.outputs = outputs
        self.changedNodes = changedNodes
        self.childrenRewritten = childrenRewritten
        self.removedNodeIDs = removedNodeIDs
        self.launches = launches
        self.leaseOwner = leaseOwner
        self.releasingLease = releasingLease
    }
}

/// A store's change version (see ``WorkflowStore/changeVersion()``): `others` counts other connections' commits,
/// `own` this connection's writes.
public struct StoreVersion: Hashable, Sendable {
    public var others: Int
    public var own: Int64

    public init(others: Int, own: Int64) {
        self.others = others
        self.own = own
    }
}

/// How manifests (templates, CronWorkflows, cron state) are encoded in every store: JSON with dates as seconds.
public enum StoredManifest {
    public static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws(ArgosyError) -> T {
        try SQLiteStore.decode(type, text)
    }

    public static func encode<T: Encodable>(_ value: T) throws(ArgosyError) -> String { try SQLiteStore.encode(value) }
}
