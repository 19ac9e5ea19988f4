import ArgosyEngine
import ArgosyModel
import ArgosyStore
import Foundation

/// What a user does to a workflow (suspend, resume, stop, terminate, retry, resubmit, delete, node set), one
/// implementation for the local CLI and the server alike.
///
/// Each operation checks the workflow's state, records the change in the store (the manifest, or a request that
/// the controller running the workflow applies in its next pass) and returns; the caller wakes or starts a
/// controller. Refusals are ``ArgosyError/Code/failedPrecondition`` errors worded as Argo words them.
public struct WorkflowOperations: Sendable {
    public let store: WorkflowStore
    /// Removes a workflow's step files (logs, outputs) once no controller runs its steps.
    let removeStepFiles: @Sendable (_ workflowUID: String) -> Void

    public init(store: WorkflowStore, removeStepFiles: @escaping @Sendable (_ workflowUID: String) -> Void) {
        self.store = store
        self.removeStepFiles = removeStepFiles
    }

    /// No new step starts; running steps finish.
    public func suspend(_ wf: StoredWorkflow) throws(ArgosyError) {
        try requireUnfinished(wf, "suspend")
        try store.updateManifest(uid: wf.uid) { $0.spec.suspend = true }
    }

    /// Resumes a suspended workflow and its suspend nodes (those `nodeFieldSelector` selects, or all).
    public func resume(_ wf: StoredWorkflow, nodeFieldSelector: String? = nil) throws(ArgosyError) {
        try requireUnfinished(wf, "resume")
        let selector = nodeFieldSelector.flatMap { $0.isEmpty ? nil : $0 }
        if let selector { try NodeFieldSelector.validate(selector) }
        if wf.workflow.spec.suspend != nil { try store.updateManifest(uid: wf.uid) { $0.spec.suspend = nil } }
        try store.addRequest(uid: wf.uid, kind: "resume", argument: selector)
    }

    /// Kills running steps, then runs exit handlers.
    public func stop(_ wf: StoredWorkflow) throws(ArgosyError) {
        try requireUnfinished(wf, "stop")
        try store.updateManifest(uid: wf.uid) { $0.spec.shutdown = "Stop" }
    }

    /// Kills running steps and skips exit handlers.
    public func terminate(_ wf: StoredWorkflow) throws(ArgosyError) {
        try requireUnfinished(wf, "terminate")
        try store.updateManifest(uid: wf.uid) { $0.spec.shutdown = "Terminate" }
    }

    /// Runs a failed workflow's failed steps again, keeping what succeeded.
    public func retry(_ wf: StoredWorkflow) throws(ArgosyError) {
        guard wf.phase == .failed || wf.phase == .error else {
            throw ArgosyError(
                .failedPrecondition,
                "cannot retry \(wf.workflow.name): only Failed or Error workflows can be retried (it is \(wf.phase?.rawValue ?? "Pending"))"
            )
        }
        try store.updateManifest(uid: wf.uid) { $0.spec.shutdown = nil }
        try store.addRequest(uid: wf.uid, kind: "retry")
    }

    /// Sets the phase, message or outputs of the nodes `update` selects (a suspend node's outputs, for example).
    public func setNodes(_ wf: StoredWorkflow, _ update: NodeUpdate) throws(ArgosyError) {
        try requireUnfinished(wf, "set")
        _ = try Reconciler(workflow: wf.workflow).nodesToSet(update, in: wf.nodes)
        let argument: String
        do { argument = String(decoding: try JSONEncoder().encode(update), as: UTF8.self) } catch {
            throw ArgosyError(.invalid, "cannot encode the node update: \(error)")
        }
        try store.addRequest(uid: wf.uid, kind: "set", argument: argument)
    }

    /// A new workflow with the spec of `wf`, prepared and not yet stored: as Argo, named after the old one's
    /// `generateName` (or its name and a dash), with its labels (but not those Argo sets on a run: creator, phase,
    /// completed, archiving status) and annotations, labelled `workflows.argoproj.io/resubmitted-from-workflow`.
    /// Archived workflows are resubmitted the same way.
    public func resubmission(
        of workflow: Workflow, options: WorkflowPreparation.Options, now: Date
    ) throws(ArgosyError) -> Workflow {
        let old = workflow.metadata
        var new = workflow
        new.status = nil
        new.metadata = ObjectMeta(namespace: workflow.namespace)
        new.metadata.generateName = old.generateName ?? "\(old.name ?? "")-"
        var labels = (old.labels ?? [:]).filter { !Self.runLabels.contains($0.key) }
        labels["workflows.argoproj.io/resubmitted-from-workflow"] = old.name
        new.metadata.labels = labels
        new.metadata.annotations = old.annotations
        new.spec.shutdown = nil
        new.spec.suspend = nil
        return try WorkflowPreparation.prepare(new, options: options, now: now)
    }

    /// Labels that describe one run, not the workflow: a resubmission does not inherit them.
    static let runLabels: Set<String> = [
        "workflows.argoproj.io/creator", "workflows.argoproj.io/creator-email",
        "workflows.argoproj.io/creator-preferred-username", "workflows.argoproj.io/phase",
        "workflows.argoproj.io/completed", "workflows.argoproj.io/workflow-archiving-status",
    ]

    /// Deletes the workflow. As deleting a workflow's pods does in Argo, its running steps are killed: by the
    /// controller that runs it, which sees the workflow vanish and removes the step files once they have ended.
    /// A finished workflow's step files (or those of one that no controller here runs) go at once.
    public func delete(_ wf: StoredWorkflow, now: Date = Date()) throws(ArgosyError) {
        _ = try store.delete(uid: wf.uid)
        let runsHere =
            wf.phase?.isFinished != true && (wf.leaseExpires ?? .distantPast) > now
            && wf.leaseOwner.map { LeaseOwner($0).isAliveHere } == true
        if !runsHere { removeStepFiles(wf.uid) }
    }

    func requireUnfinished(_ wf: StoredWorkflow, _ verb: String) throws(ArgosyError) {
        if let phase = wf.phase, phase.isFinished {
            throw ArgosyError(
                .failedPrecondition,
                "cannot \(verb) \(wf.workflow.name): the workflow has already \(phase.rawValue.lowercased())")
        }
    }
}
