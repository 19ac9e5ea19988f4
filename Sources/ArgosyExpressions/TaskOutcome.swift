/// What became of a DAG task, as a `depends` expression sees it.
public struct TaskOutcome: Sendable, Hashable {
    /// A task's final phase.
    public enum Phase: Sendable, Hashable { case succeeded, failed, errored, skipped, omitted, daemoned }

    /// The task's final phase.
    public var phase: Phase
    /// For tasks that expanded into a loop: phases of the loop's children (for AnySucceeded / AllFailed).
    public var childPhases: [Phase]
    /// The task's `continueOn.failed`: a bare reference to it also accepts `Failed`.
    public var continueOnFailed: Bool
    /// The task's `continueOn.error`: a bare reference to it also accepts `Errored`.
    public var continueOnError: Bool

    /// An outcome for a task without `continueOn`.
    public init(phase: Phase, childPhases: [Phase] = []) {
        self.init(phase: phase, childPhases: childPhases, continueOnFailed: false, continueOnError: false)
    }

    /// An outcome for a task that declares `continueOn`.
    public init(phase: Phase, childPhases: [Phase] = [], continueOnFailed: Bool, continueOnError: Bool) {
        self.phase = phase
        self.childPhases = childPhases
        self.continueOnFailed = continueOnFailed
        self.continueOnError = continueOnError
    }

    /// Whether the task has this result (`Succeeded`, `AnySucceeded`, …).
    func has(_ result: DependsExpression.Result) -> Bool {
        switch result {
        case .succeeded: return phase == .succeeded
        case .failed: return phase == .failed
        case .errored: return phase == .errored
        case .skipped: return phase == .skipped
        case .omitted: return phase == .omitted
        case .daemoned: return phase == .daemoned
        case .anySucceeded: return childPhases.contains(.succeeded)
        case .allFailed: return !childPhases.isEmpty && childPhases.allSatisfy { $0 == .failed }
        }
    }

    /// What a bare task name means: `(A.Succeeded || A.Skipped || A.Daemoned)`, plus `A.Failed` and `A.Errored`
    /// when the task continues on them.
    var satisfiesBareReference: Bool {
        has(.succeeded) || has(.skipped) || has(.daemoned) || (continueOnFailed && has(.failed))
            || (continueOnError && has(.errored))
    }
}
