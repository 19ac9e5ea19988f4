import ArgosyExpressions
import ArgosyModel
import Foundation

/// The workflow engine's decision function: `(workflow, state, step results, now) -> (state', actions, wake-up)`.
///
/// It performs no I/O and reads no clock: the controller passes `now`, executes the returned actions and calls
/// again when a step finishes, a user acts, or `wakeAt` arrives. Semantics follow Argo Workflows' controller.
public struct Reconciler: Sendable {
    public let workflow: Workflow
    /// How many loop items and nodes the workflow may have (refused with a node error beyond them).
    public let limits: Limits
    let templates: [String: Template]
    let cache = PassCache()

    /// `workflow` must carry its name, uid and creation time (the controller assigns them on submit).
    public init(workflow: Workflow, limits: Limits = Limits()) {
        self.workflow = workflow
        self.limits = limits
        var byName: [String: Template] = [:]
        for t in workflow.spec.templates ?? [] where byName[t.name] == nil { byName[t.name] = t }
        templates = byName
    }

    /// Runs one reconcile pass: applies `results`, advances every node that can advance, and says what to do.
    public func reconcile(
        _ state: inout RunState, results: [StepResult] = [], now: Date, locks: (any SynchronizationGate)? = nil,
        memo: (any MemoCache)? = nil
    ) -> ReconcileOutcome {
        var outcome = ReconcileOutcome()
        var results = results
        // A pass can finish a node that only a later walk acts on (a dependent task, an exit hook):
        // walk again while passes make progress.
        for _ in 0..<Self.maxWalksPerPass {
            let before = state.revision
            // Hand the state over without a second reference, so changing a node does not copy the table.
            var taken = RunState()
            swap(&taken, &state)
            let operation = Operation(reconciler: self, state: consume taken, now: now)
            operation.locks = locks
            operation.memo = memo
            operation.apply(results)
            results = []
            operation.run()
            operation.settleFinishedNodes()
            swap(&state, &operation.state)
            outcome.actions += operation.outcome.actions
            outcome.wakeAt = operation.outcome.wakeAt
            if state.revision == before || state.phase?.isFinished == true { return outcome }
        }
        // Walks still made progress when the limit came: come back at once.
        outcome.wake(at: now)
        return outcome
    }

    /// The most walks one reconcile pass makes before yielding (it asks to be woken at once if more remain).
    static let maxWalksPerPass = 20

    /// The template a node runs (a workflow template, or one brought in from a WorkflowTemplate).
    func template(for node: NodeStatus) -> Template? {
        if let ref = node.templateRef { return templates[ref.key] }
        return node.templateName.flatMap { templates[$0] }
    }

    /// Marks running suspend nodes (all, or those whose name or display name matches `nodeName`) Succeeded:
    /// Argo's `resume`. Returns how many nodes were resumed.
    @discardableResult
    public func resume(_ state: inout RunState, nodeName: String? = nil, now: Date) -> Int {
        var count = 0
        for node in state.nodes.values where node.type == .suspend && node.phase == .running {
            if let nodeName, node.name != nodeName, node.displayName != nodeName { continue }
            var n = node
            n.phase = .succeeded
            n.finishedAt = now
            if let template = template(for: n), let params = template.outputs?.parameters {
                let supplied = n.outputs?.parameters ?? []
                let values = params.compactMap { p -> Parameter? in
                    // A value given with `set` wins over the declared default.
                    let given = supplied.first { $0.name == p.name }?.value
                    guard let v = given ?? p.valueFrom?.default ?? p.value else { return nil }
                    return Parameter(name: p.name, value: v)
                }
                if !values.isEmpty { n.outputs = Outputs(parameters: values) }
            }
            state.set(n)
            count += 1
        }
        return count
    }
}
