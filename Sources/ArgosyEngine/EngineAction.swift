import ArgosyModel
import Foundation

/// What the controller must do after a reconcile pass. The engine decides; the controller executes.
public enum EngineAction: Sendable {
    /// Start a step process. The node is already committed as Running when this is executed.
    case launch(StepLaunch)
    /// Stop a running step (its whole process group), e.g. on timeout, stop or terminate.
    case kill(nodeID: String, podName: String, reason: String)
}

/// The result of a reconcile pass.
public struct ReconcileOutcome: Sendable {
    public var actions: [EngineAction] = []
    /// The earliest time something becomes due (backoff over, suspend duration over, a deadline).
    public var wakeAt: Date?

    mutating func wake(at date: Date) {
        if let w = wakeAt, w <= date { return }
        wakeAt = date
    }
}
