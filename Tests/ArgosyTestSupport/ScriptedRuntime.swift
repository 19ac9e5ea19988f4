import ArgosyController
import ArgosyModel
import ArgosyRuntime
import Foundation

/// A ``StepRuntime`` whose steps are scripted: no processes. Each launch's outcome comes from `script`; a step the
/// script leaves running ends when the test calls ``finish(podName:exitCode:stdout:)`` or the controller kills it.
///
/// ```swift
/// let runtime = ScriptedRuntime { launch in launch.templateName == "slow" ? nil : .exit(0, stdout: "ok") }
/// let controller = WorkflowController(store: store, options: options, scope: .only([uid]), runtime: runtime)
/// ```
public final class ScriptedRuntime: StepRuntime, @unchecked Sendable {
    /// How a scripted step ends.
    public enum Outcome: Sendable {
        case exit(Int, stdout: String = "")
        /// Could not run, or was lost: the node errors with this message.
        case error(String)
    }

    public let results: AsyncStream<StepResult>
    private let continuation: AsyncStream<StepResult>.Continuation
    private let script: @Sendable (StepLaunch) -> Outcome?
    private let now: @Sendable () -> Date
    private let lock = NSLock()
    private var started: [String: StepLaunch] = [:]
    private var ended: [String: StepResult] = [:]
    private var _launches: [StepLaunch] = []
    private var _kills: [StepKill] = []
    private var _removed: [String] = []

    /// `script` decides each new step's outcome; nil keeps it running. Steps end at `clock`'s time (the wall
    /// clock's without one).
    public init(
        clock: (any ControllerClock)? = nil, script: @escaping @Sendable (StepLaunch) -> Outcome? = { _ in .exit(0) }
    ) {
        self.script = script
        now = { clock?.now ?? Date() }
        (results, continuation) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    /// Every launch call, in order (a re-attach included).
    public var launches: [StepLaunch] { lock.withLock { _launches } }
    /// Every kill, in order.
    public var kills: [StepKill] { lock.withLock { _kills } }
    /// Steps started and not ended, by idempotency key.
    public var running: [String] { lock.withLock { started.keys.filter { ended[$0] == nil }.sorted() } }
    /// The workflows (uid) and steps (`uid/pod`) whose files were removed, in order.
    public var removed: [String] { lock.withLock { _removed } }

    public func launch(_ launch: StepLaunch) {
        let key = launch.idempotencyKey
        let outcome: Outcome?
        do {
            lock.lock()
            defer { lock.unlock() }
            _launches.append(launch)
            if let result = ended[key] {
                continuation.yield(result)  // re-attached to a step that has ended: its result again
                return
            }
            if started[key] != nil { return }  // running: its result comes when it ends
            started[key] = launch
        }
        outcome = script(launch)
        if let outcome { end(key, outcome, killReason: nil) }
    }

    /// Ends a running step by hand.
    public func finish(podName: String, exitCode: Int, stdout: String = "") {
        let key = lock.withLock { started.first { $0.value.podName == podName && ended[$0.key] == nil }?.key }
        if let key { end(key, .exit(exitCode, stdout: stdout), killReason: nil) }
    }

    public func kill(_ step: StepKill) {
        let key = "\(step.workflowUID)/\(step.podName)"
        lock.withLock { _kills.append(step) }
        end(key, .exit(143), killReason: step.reason)
    }

    public func workflowEnded(_ workflowUID: String) {}

    public func removeFiles(workflowUID: String, podName: String?) {
        lock.withLock { _removed.append(podName.map { "\(workflowUID)/\($0)" } ?? workflowUID) }
    }

    public func shutDown() { continuation.finish() }

    private func end(_ key: String, _ outcome: Outcome, killReason: String?) {
        lock.lock()
        guard let launch = started[key], ended[key] == nil else {
            lock.unlock()
            return
        }
        var result = StepResult(
            workflowUID: launch.workflowUID, nodeID: launch.nodeID, exitCode: nil, killReason: killReason,
            finishedAt: now())
        switch outcome {
        case .exit(let code, let stdout):
            result.exitCode = code
            result.stdout = stdout
        case .error(let message): result.error = message
        }
        ended[key] = result
        lock.unlock()
        continuation.yield(result)
    }
}
