import ArgosyExpressions
import ArgosyModel
import Foundation

/// Results a reconcile pass may reuse from earlier passes of the same workflow: they depend only on inputs
/// that never change once computed (a loop's items after its inputs finished, a DAG template's shape).
/// Keeping them is what makes a pass cost grow with what changed, not with the workflow's size.
final class PassCache: @unchecked Sendable {
    private let lock = NSLock()
    private var groups: [String: [Operation.GroupEntry]] = [:]
    private var dags: [String: CompiledDAG] = [:]
    /// Per step group: how many of its leading children are known finished (and need nothing more).
    private var finishedPrefix: [String: Int] = [:]
    private var globals: VariableScope?

    func staticGlobals() -> VariableScope? {
        lock.lock()
        defer { lock.unlock() }
        return globals
    }

    func setStaticGlobals(_ value: VariableScope) {
        lock.lock()
        globals = value
        lock.unlock()
    }

    /// Per DAG node: what earlier passes learnt about its tasks (by their position in the walk).
    private var progress: [String: DAGProgress] = [:]

    func dagProgress(_ dag: String, tasks: Int) -> DAGProgress {
        lock.lock()
        defer { lock.unlock() }
        if let p = progress[dag], p.done.count == tasks { return p }
        let p = DAGProgress(tasks: tasks)
        progress[dag] = p
        return p
    }

    /// Per looping DAG task node: its children's display names and items.
    private var expansions: [String: [TaskExpansion]] = [:]

    func taskExpansions(_ node: String) -> [TaskExpansion]? {
        lock.lock()
        defer { lock.unlock() }
        return expansions[node]
    }

    func setTaskExpansions(_ node: String, _ value: [TaskExpansion]) {
        lock.lock()
        expansions[node] = value
        lock.unlock()
    }

    func groupEntries(_ group: String) -> [Operation.GroupEntry]? {
        lock.lock()
        defer { lock.unlock() }
        return groups[group]
    }

    func setGroupEntries(_ group: String, _ value: [Operation.GroupEntry]) {
        lock.lock()
        groups[group] = value
        lock.unlock()
    }

    func dag(_ template: String) -> CompiledDAG? {
        lock.lock()
        defer { lock.unlock() }
        return dags[template]
    }

    func setDAG(_ template: String, _ value: CompiledDAG) {
        lock.lock()
        dags[template] = value
        lock.unlock()
    }

    func prefix(_ group: String) -> Int {
        lock.lock()
        defer { lock.unlock() }
        return finishedPrefix[group] ?? 0
    }

    func setPrefix(_ group: String, _ value: Int) {
        lock.lock()
        finishedPrefix[group] = value
        lock.unlock()
    }

    /// Forgets everything (after `retry` rewrites the node tree).
    func reset() {
        lock.lock()
        groups = [:]
        dags = [:]
        finishedPrefix = [:]
        progress = [:]
        stepsScopes = [:]
        expansions = [:]
        lock.unlock()
    }

    /// Per steps node: the scope its groups see after its first `groups` groups succeeded, and the scope it was
    /// built on (valid only while that is the same).
    struct StepsScope {
        var groups: Int
        var parent: [String: JSONValue]
        var scope: VariableScope
    }
    private var stepsScopes: [String: StepsScope] = [:]

    /// Removes and returns the cached scope (the caller holds the only reference, so it can change it in place).
    func takeStepsScope(_ node: String) -> StepsScope? {
        lock.lock()
        defer { lock.unlock() }
        return stepsScopes.removeValue(forKey: node)
    }

    func setStepsScope(_ node: String, _ value: StepsScope) {
        lock.lock()
        stepsScopes[node] = value
        lock.unlock()
    }
}

/// What passes learnt about one DAG node's tasks, by position in the walk order. Only the pass running touches it.
final class DAGProgress: @unchecked Sendable {
    /// Finished, with its exit hook and all its dependencies: nothing more to do.
    var done: [Bool]
    /// Not started because the task at this position had not finished (-1: not waiting).
    var waitingFor: [Int]
    /// The task's node id, once it has a node.
    var nodeIDs: [String?]
    /// Its dependencies finished and allow it to run (it may still wait for a free slot).
    var ready: [Bool]
    /// Starting it is all there is to do for it (see `Operation.isPlainStep`); nil until asked.
    var plain: [Bool?]

    init(tasks: Int) {
        ready = Array(repeating: false, count: tasks)
        plain = Array(repeating: nil, count: tasks)
        done = Array(repeating: false, count: tasks)
        waitingFor = Array(repeating: -1, count: tasks)
        nodeIDs = Array(repeating: nil, count: tasks)
    }
}

/// One child of a DAG task: the task itself, or one item of its loop.
struct TaskExpansion {
    var display: String
    var item: LoopItem?
}

/// A DAG template's shape, computed once: tasks by name, dependencies, depends logic and targets.
struct CompiledDAG {
    var tasks: [String: DAGTask]
    /// The walk order: from each target (in order) through its dependencies (in order), dependencies first, as
    /// Argo's operator recurses. Every task the targets need, once.
    var order: [String]
    var position: [String: Int]
    var dependencies: [String: [String]]
    var logic: [String: DependsExpression]
    var targets: [String]
}
