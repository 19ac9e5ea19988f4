import ArgosyEngine
import ArgosyModel
import Foundation

/// Drives the reconciler with a manual clock and scripted step results: no processes, no sleeping.
///
/// ```swift
/// var run = try EngineHarness(yaml: manifest)
/// run.script = { launch in launch.templateName == "flaky" ? .exit(1) : .exit(0, stdout: "ok") }
/// try run.runToCompletion()
/// #expect(run.phase == .succeeded)
/// ```
public struct EngineHarness {
    /// What a scripted step does.
    public enum Outcome: Sendable {
        /// Exits with this code after `seconds`, printing `stdout` and writing these output files.
        case exit(Int, stdout: String = "", outputs: [String: String] = [:], after: Double = 1)
        /// Cannot run (missing program, lost process): the node errors.
        case error(String, after: Double = 0)
        /// Keeps running until killed or finished by hand.
        case hang
    }

    public var reconciler: Reconciler
    public var state = RunState()
    public var now: Date
    /// Steps started and not yet finished, by node id, with when they will finish.
    public var running: [String: (launch: StepLaunch, finishAt: Date?, outcome: Outcome)] = [:]
    /// Every launch, in order.
    public var launches: [StepLaunch] = []
    /// Every kill the engine asked for: (node id, reason).
    public var kills: [(String, String)] = []
    /// Mutexes and semaphores the workflow sees (share one between harnesses to run workflows side by side).
    public var locks: MemoryLocks? = MemoryLocks()
    /// The memoization cache (share one between harnesses to reuse outputs across runs).
    public var memo: MemoryMemoCache? = MemoryMemoCache()
    /// Decides each step's outcome (default: exit 0).
    public var script: (StepLaunch) -> Outcome = { _ in .exit(0) }
    /// The largest number of steps running at once.
    public private(set) var peakRunning = 0
    private var pending: [StepResult] = []

    public init(
        yaml: String, parameters: [(String, String)] = [], name: String? = nil,
        start: Date = Date(timeIntervalSince1970: 1_800_000_000), limits: Limits = Limits()
    ) throws {
        let docs = try ManifestDocument.parseAll(yaml, file: "test.yaml")
        guard let doc = docs.first else { throw ArgosyError(.invalid, "no document") }
        let (resource, diagnostics) = ManifestLinter.lint(doc, limits: limits)
        let errors = diagnostics.filter { $0.severity == .error }
        guard errors.isEmpty, case .workflow(let wf)? = resource else {
            throw ArgosyError(.invalid, "lint failed: \(errors.map(\.description).joined(separator: "; "))")
        }
        var options = WorkflowPreparation.Options()
        options.name = name ?? wf.metadata.name ?? "wf"
        options.parameters = parameters
        options.limits = limits
        var prepared = try WorkflowPreparation.prepare(wf, options: options, now: start)
        prepared.metadata.uid = "uid-\(prepared.name)"
        reconciler = Reconciler(workflow: prepared, limits: limits)
        now = start
    }

    public var phase: WorkflowPhase? { state.phase }

    /// One reconcile pass at the current time with the results gathered so far.
    @discardableResult
    public mutating func reconcile() -> ReconcileOutcome {
        let results = pending
        pending = []
        let outcome = reconciler.reconcile(&state, results: results, now: now, locks: locks, memo: memo)
        for action in outcome.actions {
            switch action {
            case .launch(let l):
                launches.append(l)
                let outcome = script(l)
                switch outcome {
                case .exit(_, _, _, let after): running[l.nodeID] = (l, now.addingTimeInterval(after), outcome)
                case .error(_, let after): running[l.nodeID] = (l, now.addingTimeInterval(after), outcome)
                case .hang: running[l.nodeID] = (l, nil, outcome)
                }
            case .kill(let nodeID, _, let reason):
                kills.append((nodeID, reason))
                if let r = running.removeValue(forKey: nodeID) {
                    pending.append(
                        StepResult(
                            workflowUID: r.launch.workflowUID, nodeID: nodeID, exitCode: 143, killReason: reason,
                            finishedAt: now))
                }
            }
        }
        peakRunning = max(peakRunning, running.count)
        wakeAt = outcome.wakeAt
        return outcome
    }

    public private(set) var wakeAt: Date?

    /// Finishes a running step now, by node name or display name.
    public mutating func finish(_ name: String, exitCode: Int = 0, stdout: String = "", outputs: [String: String] = [:])
    {
        guard
            let (id, r) = running.first(where: {
                $0.value.launch.nodeName == name || state.node(id: $0.key)?.displayName == name
            })
        else {
            return
        }
        running[id] = nil
        pending.append(
            StepResult(
                workflowUID: r.launch.workflowUID, nodeID: id, exitCode: exitCode, stdout: stdout,
                outputValues: outputs,
                finishedAt: now))
    }

    /// Moves the clock, finishing scripted steps that are due (in finishing order).
    public mutating func advance(_ seconds: Double) {
        now = now.addingTimeInterval(seconds)
        deliverDue()
    }

    mutating func deliverDue() {
        let due = running.filter { ($0.value.finishAt ?? .distantFuture) <= now }.sorted {
            $0.value.finishAt! < $1.value.finishAt!
        }
        for (id, r) in due {
            running[id] = nil
            switch r.outcome {
            case .exit(let code, let stdout, let outputs, _):
                var values: [String: String] = [:]
                for (name, _) in r.launch.outputPaths { if let v = outputs[name] { values[name] = v } }
                pending.append(
                    StepResult(
                        workflowUID: r.launch.workflowUID, nodeID: id, exitCode: code, stdout: stdout,
                        outputValues: values,
                        finishedAt: r.finishAt!))
            case .error(let message, _):
                pending.append(
                    StepResult(
                        workflowUID: r.launch.workflowUID, nodeID: id, exitCode: nil, error: message,
                        finishedAt: r.finishAt!))
            case .hang: break
            }
        }
    }

    /// Reconciles, then jumps the clock to the next due event, until the workflow finishes (or nothing can
    /// happen any more, which throws: a workflow must never be left Running).
    public mutating func runToCompletion(maxPasses: Int = 10_000) throws {
        for _ in 0..<maxPasses {
            reconcile()
            if state.phase?.isFinished == true { return }
            if !pending.isEmpty { continue }
            let nextFinish = running.values.compactMap(\.finishAt).min()
            let next = [nextFinish, wakeAt].compactMap { $0 }.min()
            guard let next else {
                throw ArgosyError(
                    .internal, "stuck: nothing running and no wake-up, phase \(state.phase?.rawValue ?? "nil")\n\(tree)"
                )
            }
            now = max(now, next)
            deliverDue()
        }
        throw ArgosyError(.internal, "did not finish in \(maxPasses) passes\n\(tree)")
    }

    /// The node with this display name (or full name).
    public func node(_ name: String) -> NodeStatus? {
        state.node(named: name) ?? state.nodes.values.first { $0.displayName == name }
    }

    /// `name phase [message]` per node, sorted by name: a compact view for assertions and failure output.
    public var tree: String {
        state.nodes.values.sorted { $0.name < $1.name }.map { n in
            "\(n.name) \(n.type.rawValue) \(n.phase.rawValue)" + (n.message.map { " (\($0))" } ?? "")
        }.joined(separator: "\n")
    }

    /// Display names of pod nodes in launch order.
    public var launchedNames: [String] { launches.map { state.node(id: $0.nodeID)?.displayName ?? $0.nodeName } }
}
