import ArgosyEngine
import ArgosyModel
import ArgosyStore
import Foundation

/// A workflow with its run state, as the CLI shows it (from the store, or live from `--watch`).
struct WorkflowView {
    var workflow: Workflow
    var phase: WorkflowPhase?
    var startedAt: Date?
    var finishedAt: Date?
    var message: String?
    var progress: String?
    var outputs: [String: String]
    var nodes: [String: NodeStatus]
    var leaseOwner: String?
    var leaseExpires: Date?

    init(_ stored: StoredWorkflow) {
        workflow = stored.workflow
        phase = stored.phase
        startedAt = stored.startedAt
        finishedAt = stored.finishedAt
        message = stored.message
        progress = stored.progress
        outputs = stored.outputs
        nodes = Dictionary(uniqueKeysWithValues: stored.nodes.map { ($0.id, $0) })
        leaseOwner = stored.leaseOwner
        leaseExpires = stored.leaseExpires
    }

    init(_ workflow: Workflow, _ state: RunState) {
        self.workflow = workflow
        phase = state.phase
        startedAt = state.startedAt
        finishedAt = state.finishedAt
        message = state.message
        progress = state.progress
        outputs = state.outputs
        nodes = state.nodes
    }

    var name: String { workflow.name }

    var isSuspended: Bool {
        workflow.spec.suspend == true || nodes.values.contains { $0.type == .suspend && $0.phase == .running }
    }

    /// Argo's status word: `Running (Suspended)`, `Failed (Terminated)`, `Pending`, …
    var statusText: String {
        switch phase {
        case .running?: return isSuspended ? "Running (Suspended)" : "Running"
        case .failed?: return workflow.spec.shutdown.map { $0.isEmpty ? "Failed" : "Failed (Terminated)" } ?? "Failed"
        case nil, .pending?: return "Pending"
        case let p?: return p.rawValue
        }
    }

    /// Set when the workflow is unfinished and no live controller holds it.
    func orphanNote(now: Date) -> String? {
        guard phase?.isFinished != true else { return nil }
        if let expires = leaseExpires, expires > now { return nil }
        return "no controller is running this workflow (its controller stopped); run `argosy controller` to continue it"
    }

    /// The workflow in Argo's JSON shape, for `-o json|yaml`.
    func argoJSON() -> JSONValue {
        var wf = workflow
        var status = WorkflowStatus()
        status.phase = phase
        status.startedAt = startedAt
        status.finishedAt = finishedAt
        status.message = message
        status.progress = progress
        var cleaned: [String: NodeStatus] = [:]
        for (id, var n) in nodes {
            n.deadline = nil
            cleaned[id] = n
        }
        status.nodes = cleaned.isEmpty ? nil : cleaned
        if !outputs.isEmpty {
            status.outputs = Outputs(
                parameters: outputs.sorted { $0.key < $1.key }.map { Parameter(name: $0.key, value: $0.value) })
        }
        wf.status = status
        var value = (try? JSONValue(encoding: wf)) ?? .null
        // Node maps print in a stable order.
        if case .object(var root) = value, case .object(var st)? = root["status"], case .object(let ns)? = st["nodes"] {
            st["nodes"] = .object(.init(uniqueKeysWithValues: ns.sorted { $0.key < $1.key }))
            root["status"] = .object(st)
            value = .object(root)
        }
        return value
    }
}
