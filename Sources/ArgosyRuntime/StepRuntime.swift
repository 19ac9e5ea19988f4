import ArgosyModel

/// Where steps run: local sandboxed processes (``LocalRuntime``), Kubernetes pods later, a scripted fake in tests.
///
/// The controller talks to steps through this interface only. A launch is idempotent under its
/// ``StepLaunch/idempotencyKey``: launching a step that was launched before (by this process or by a controller
/// that died) re-attaches to it, or starts it when it never started, and never starts it twice. Every launched
/// step ends with exactly one ``StepResult`` on ``results``, including steps that could not start or were lost.
public protocol StepRuntime: AnyObject, Sendable {
    /// The results of launched steps, as they finish. One consumer (the controller); finishes after ``shutDown()``.
    var results: AsyncStream<StepResult> { get }

    /// Starts the step, or re-attaches to it when its idempotency key was launched before.
    func launch(_ launch: StepLaunch)

    /// Stops a running step (its whole process tree, after a grace period); its result carries `reason`.
    func kill(_ step: StepKill)

    /// Forgets what the runtime kept of a workflow that finished (it is read afresh if the workflow runs again).
    func workflowEnded(_ workflowUID: String)

    /// Deletes what a workflow's steps left behind (logs, output files), or one step's (before it runs again).
    func removeFiles(workflowUID: String, podName: String?)

    /// Stops taking launches and finishes ``results``; steps already running are not affected (a later
    /// controller re-attaches to them).
    func shutDown()
}

/// Which step to kill, and why (the reason becomes the node's message).
public struct StepKill: Sendable, Hashable {
    public var workflowUID: String
    public var nodeID: String
    public var podName: String
    public var reason: String

    public init(workflowUID: String, nodeID: String, podName: String, reason: String) {
        self.workflowUID = workflowUID
        self.nodeID = nodeID
        self.podName = podName
        self.reason = reason
    }

    /// See ``StepLaunch/stepKey``.
    public var stepKey: String { StepLaunch.stepKey(workflowUID: workflowUID, nodeID: nodeID) }
}

extension StepLaunch {
    /// A node id is unique within its workflow only (it derives from the workflow's name, which another
    /// namespace may reuse): steps are told apart by workflow uid and node id.
    public var stepKey: String { Self.stepKey(workflowUID: workflowUID, nodeID: nodeID) }

    static func stepKey(workflowUID: String, nodeID: String) -> String { "\(workflowUID)/\(nodeID)" }

    /// The attempt this launch starts: a retry is another node with its own pod name, so the workflow's uid and the
    /// pod name identify one attempt of one step across restarts.
    public var idempotencyKey: String { "\(workflowUID)/\(podName)" }
}
