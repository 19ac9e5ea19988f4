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
    public private(set) var idByName: [String: String] = [:]
    /// The children of nodes that gained one through ``appendChild(parentName:childID:)``, for its membership test.
    private var childIndex: [String: Set<String>] = [:]
    /// Node ids changed since ``clearChanges()``.
    public private(set) var changedNodeIDs: Set<String> = []
    /// Of those, the nodes whose children changed other than by ``appendChild(parentName:childID:)`` (the store
    /// rewrites their children; it only adds the new ones of the others).
    public private(set) var childrenRewritten: Set<String> = []
    /// True when workflow-level fields changed since ``clearChanges()``.
    public private(set) var headerChanged = false
    /// Counts every effective change, so a pass can tell whether it made progress.
    public private(set) var revision = 0
    /// Pods running now (kept as nodes change, so no pass has to count them).
    public private(set) var runningPods = 0
    private var podCount = 0
    private var finishedPodCount = 0
    /// Unfinished children per boundary node, as template `parallelism` counts them.
    public private(set) var activeChildren: [String: Int] = [:]
    /// Failed or errored nodes per boundary node.
    public private(set) var unsuccessfulChildren: [String: Int] = [:]

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
        for n in nodes { count(n, 1) }
    }

    public func node(named name: String) -> NodeStatus? {
        guard let id = idByName[name] else { return nil }
        return nodes[id]
    }

    public func node(id: String) -> NodeStatus? { nodes[id] }

    /// Inserts or replaces a node, recording the change.
    public mutating func set(_ node: NodeStatus) {
        let old = nodes[node.id]
        if old == node { return }
        if old?.children != node.children { childrenRewritten.insert(node.id) }
        childIndex[node.id] = nil
        if let old { count(old, -1) }
        nodes[node.id] = node
        idByName[node.name] = node.id
        count(node, 1)
        changedNodeIDs.insert(node.id)
        revision += 1
    }

    /// Changes a node in place; does nothing when no node has that name.
    public mutating func update(named name: String, _ body: (inout NodeStatus) -> Void) {
        guard let id = idByName[name], var n = nodes[id] else { return }
        body(&n)
        set(n)
    }

    /// Adds `childID` to the children of node `parentName` unless it is there already. In place: a node with
    /// thousands of children (a big loop's group) has them neither copied nor searched for each new one.
    public mutating func appendChild(parentName: String, childID: String) {
        guard let id = idByName[parentName], nodes[id] != nil else { return }
        if childIndex[id] == nil { childIndex[id] = Set(nodes[id]!.children ?? []) }
        guard childIndex[id]!.insert(childID).inserted else { return }
        if nodes[id]!.children == nil {
            nodes[id]!.children = [childID]
        } else {
            nodes[id]!.children!.append(childID)
        }
        changedNodeIDs.insert(id)
        revision += 1
    }

    /// Removes a node (used by `retry`).
    public mutating func remove(id: String) {
        guard let n = nodes[id] else { return }
        childIndex[id] = nil
        count(n, -1)
        nodes[id] = nil
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
        childrenRewritten = []
        headerChanged = false
    }

    /// `Finished/Total` pods, as Argo's progress.
    public var progress: String { "\(finishedPodCount)/\(podCount)" }

    /// Adds (`delta` 1) or removes (-1) a node's share of the counters.
    private mutating func count(_ n: NodeStatus, _ delta: Int) {
        if n.type == .pod {
            podCount += delta
            if n.phase.isFinished { finishedPodCount += delta } else { runningPods += delta }
        }
        if !n.phase.isFinished, let b = n.boundaryID, countsTowardParallelism(n) {
            let v = (activeChildren[b] ?? 0) + delta
            activeChildren[b] = v > 0 ? v : nil
        }
        if n.phase.isUnsuccessful, let b = n.boundaryID {
            let v = (unsuccessfulChildren[b] ?? 0) + delta
            unsuccessfulChildren[b] = v > 0 ? v : nil
        }
    }

    /// Nodes that count as one running child of their boundary for template `parallelism`: a retry
    /// attempt counts through its retry node; groups and skipped nodes do not count.
    public func countsTowardParallelism(_ node: NodeStatus) -> Bool {
        switch node.type {
        case .stepGroup, .taskGroup, .skipped: return false
        case .retry: return true
        case .pod, .steps, .dag, .suspend, .container:
            if node.name.hasSuffix(")"), let open = node.name.lastIndex(of: "("),
                let parentID = idByName[String(node.name[..<open])], nodes[parentID]?.type == .retry
            {
                return false
            }
            return true
        }
    }
}
