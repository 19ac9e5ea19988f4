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

    /// Per DAG node: tasks known finished, with their exit hooks and all their dependencies.
    private var doneTasks: [String: Set<String>] = [:]

    func isTaskDone(_ dag: String, _ task: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return doneTasks[dag]?.contains(task) ?? false
    }

    func markTaskDone(_ dag: String, _ task: String) {
        lock.lock()
        doneTasks[dag, default: []].insert(task)
        lock.unlock()
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

    /// Per DAG node: tasks not started because the named dependency node had not finished when last looked at.
    private var waiting: [String: [String: String]] = [:]

    func waitingOn(_ dag: String, _ task: String) -> String? {
        lock.lock()
        defer { lock.unlock() }
        return waiting[dag]?[task]
    }

    func setWaitingOn(_ dag: String, _ task: String, _ dependencyNode: String) {
        lock.lock()
        waiting[dag, default: [:]][task] = dependencyNode
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
        doneTasks = [:]
        stepsScopes = [:]
        waiting = [:]
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

    func stepsScope(_ node: String) -> StepsScope? {
        lock.lock()
        defer { lock.unlock() }
        return stepsScopes[node]
    }

    func setStepsScope(_ node: String, _ value: StepsScope) {
        lock.lock()
        stepsScopes[node] = value
        lock.unlock()
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
    var dependencies: [String: [String]]
    var logic: [String: DependsExpression]
    var targets: [String]
}
