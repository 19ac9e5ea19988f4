import ArgosyModel
import Foundation

/// The mutable state of one workflow run: its status and node tree, plus which nodes changed since the
/// last commit (so the store writes changed rows only).
public struct RunState: Sendable {
    public var phase: WorkflowPhase?
    public var startedAt: Date?
    public var finishedAt: Date?
    public var message: String?
    /// Global outputs (`globalName` parameters).
    public var outputs: [String: String] = [:]
    public private(set) var nodes: [String: NodeStatus] = [:]
    private var idByName: [String: String] = [:]
    /// Node ids changed since ``clearChanges()``.
    public private(set) var changedNodeIDs: Set<String> = []
    /// True when workflow-level fields changed since ``clearChanges()``.
    public private(set) var headerChanged = false
    /// Counts every effective change, so a pass can tell whether it made progress.
    public private(set) var revision = 0

    public init() {}

    public init(
        phase: WorkflowPhase?, startedAt: Date?, finishedAt: Date?, message: String?,
        outputs: [String: String], nodes: [NodeStatus]
    ) {
        self.phase = phase
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.message = message
        self.outputs = outputs
        for n in nodes {
            self.nodes[n.id] = n
            idByName[n.name] = n.id
        }
    }

    public func node(named name: String) -> NodeStatus? {
        guard let id = idByName[name] else { return nil }
        return nodes[id]
    }

    public func node(id: String) -> NodeStatus? { nodes[id] }

    /// Inserts or replaces a node, recording the change.
    public mutating func set(_ node: NodeStatus) {
        if nodes[node.id] == node { return }
        nodes[node.id] = node
        idByName[node.name] = node.id
        changedNodeIDs.insert(node.id)
        revision += 1
    }

    /// Changes a node in place; does nothing when no node has that name.
    public mutating func update(named name: String, _ body: (inout NodeStatus) -> Void) {
        guard let id = idByName[name], var n = nodes[id] else { return }
        body(&n)
        set(n)
    }

    /// Removes a node (used by `retry`).
    public mutating func remove(id: String) {
        guard let n = nodes.removeValue(forKey: id) else { return }
        idByName[n.name] = nil
        changedNodeIDs.insert(id)
        revision += 1
    }

    public mutating func markHeaderChanged() {
        headerChanged = true
        revision += 1
    }

    public mutating func clearChanges() {
        changedNodeIDs = []
        headerChanged = false
    }

    /// `Succeeded/Total` pods, as Argo's progress.
    public var progress: String {
        var done = 0
        var total = 0
        for n in nodes.values where n.type == .pod {
            total += 1
            if n.phase.isFinished { done += 1 }
        }
        return "\(done)/\(total)"
    }
}
