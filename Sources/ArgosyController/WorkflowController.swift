import ArgosyEngine
import ArgosyModel
import ArgosyRuntime
import ArgosyStore
import Foundation

/// The imperative shell around the engine: takes leases on workflows, runs reconcile passes, commits each
/// pass to the store, then executes the engine's actions with the runtime.
public final class WorkflowController: @unchecked Sendable {
    /// Which workflows this controller runs.
    public enum Scope: Sendable {
        /// These workflows only (the ones `argosy submit --wait` created); returns when they finish.
        case only(Set<String>)
        /// Every workflow nobody else runs; returns after `idleExit` seconds with nothing to do (nil: never).
        case all(idleExit: Double?)
    }

    public struct Options: Sendable {
        public var home: URL
        public var supervisor: String
        public var argosy: String
        public var owner: String
        public var leaseSeconds: Double = 30
        public var pollSeconds: Double = 0.2
        public var runtimeConfig: RuntimeConfig

        public init(home: URL, supervisor: String, argosy: String, runtimeConfig: RuntimeConfig) {
            self.home = home
            self.supervisor = supervisor
            self.argosy = argosy
            self.runtimeConfig = runtimeConfig
            owner = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UUID().uuidString.prefix(8))"
        }
    }

    /// A workflow as the controller holds it between passes.
    struct Run {
        var reconciler: Reconciler
        var state: RunState
        var specVersion: Int
        var results: [StepResult] = []
        var wakeAt: Date? = .distantPast
        var finished = false
    }

    public let store: WorkflowStore
    public let options: Options
    let scope: Scope
    var runtime: LocalRuntime!
    var runs: [String: Run] = [:]
    private let inboxLock = NSLock()
    private var inbox: [StepResult] = []
    let wakeup = Wakeup()
    private var stopRequested = false
    private var forcePoll = false
    /// Reconcile, commit and step-start timings, for `/metrics`.
    public let metrics = ControllerMetrics()
    /// Mutexes and semaphores, in the store.
    lazy var locks = StoreLocks(store: store)
    /// The memoization cache, in the store.
    lazy var memo = StoreMemoCache(store: store)
    /// Applies ttlStrategy and podGC (only a controller that runs every workflow does).
    var collector: WorkflowCollector?
    /// Schedules CronWorkflows (only a controller that runs every workflow does).
    var scheduler: CronScheduler?
    /// Diagnostics (cron decisions, adoption); standard error by default.
    public var log: @Sendable (String) -> Void = { FileHandle.standardError.write(Data("\($0)\n".utf8)) }
    /// Called after every committed pass with the workflow and its state (for `--watch`).
    public var observer: (@Sendable (Workflow, RunState) -> Void)?

    public init(store: WorkflowStore, options: Options, scope: Scope) {
        self.store = store
        self.options = options
        self.scope = scope
        runtime = LocalRuntime(
            home: options.home, config: options.runtimeConfig, supervisor: options.supervisor, argosy: options.argosy,
            objects: StoreObjects(store: store)
        ) { [weak self] result in self?.receive(result) }
        if case .all = scope {
            scheduler = CronScheduler(store: store)
            collector = WorkflowCollector(store: store, runtime: runtime)
        }
    }

    func receive(_ result: StepResult) {
        inboxLock.lock()
        inbox.append(result)
        inboxLock.unlock()
        wakeup.signal()
    }

    /// How often finished workflows are checked for ttlStrategy and podGC.
    static let sweepSeconds = 1.0

    /// Makes the loop look at the store now (new workflows or requests written through this process's own
    /// connection, which SQLite's data version does not report).
    public func wake() {
        inboxLock.lock()
        forcePoll = true
        inboxLock.unlock()
        wakeup.signal()
    }

    private func takeForcePoll() -> Bool {
        inboxLock.lock()
        defer { inboxLock.unlock() }
        let f = forcePoll
        forcePoll = false
        return f
    }

    /// Asks `run()` to return after the current pass, releasing its leases.
    public func stop() {
        inboxLock.lock()
        stopRequested = true
        inboxLock.unlock()
        wakeup.signal()
    }

    private var shouldStop: Bool {
        inboxLock.lock()
        defer { inboxLock.unlock() }
        return stopRequested
    }

    /// Stores a new workflow, already leased to this controller so no other process races to run it.
    public func submit(_ workflow: Workflow) throws(ArgosyError) -> Workflow {
        try store.create(
            workflow, leaseOwner: options.owner, leaseUntil: Date().addingTimeInterval(options.leaseSeconds))
        return workflow
    }

    /// Runs until the scope's work is done (or `stop()`).
    public func run() async throws {
        var lastPoll = Date.distantPast
        var lastRenew = Date()
        var idleSince = Date()
        var dataVersion = -1
        var nextCronTick = Date.distantPast
        var nextSweep = Date.distantPast
        defer {
            releaseAll()
            runtime.closeSupervisorServer()
        }
        while !shouldStop {
            let now = Date()
            deliverInbox()
            if scheduler != nil, now >= nextCronTick {
                let wake = scheduler!.tick(now: now, log: log)
                nextCronTick = min(wake ?? now.addingTimeInterval(1), now.addingTimeInterval(1))
            }
            if collector != nil, now >= nextSweep {
                collector!.sweep(now: now, log: log)
                nextSweep = now.addingTimeInterval(Self.sweepSeconds)
            }
            let forced = takeForcePoll()
            if forced || now.timeIntervalSince(lastPoll) >= options.pollSeconds {
                lastPoll = now
                let version = store.database.dataVersion()
                if forced || version != dataVersion || runs.isEmpty {
                    dataVersion = version
                    do {
                        try adoptWorkflows(now: now)
                        try applyUserChanges(now: now)
                    } catch {
                        log("controller: \(error); trying again shortly")
                        dataVersion = -1
                    }
                }
            }
            if now.timeIntervalSince(lastRenew) >= options.leaseSeconds / 3 {
                lastRenew = now
                try store.renewLeases(owner: options.owner, until: now.addingTimeInterval(options.leaseSeconds))
            }
            for uid in Array(runs.keys) {
                do {
                    try pass(uid)
                } catch {
                    // One workflow's trouble (a busy store, an unreadable row) must not stop the others.
                    log("workflow \(uid): \(error); trying again shortly")
                    runs[uid]?.wakeAt = Date().addingTimeInterval(1)
                }
            }

            if !runs.isEmpty { idleSince = Date() }
            switch scope {
            case .only(let uids):
                if uids.allSatisfy({ runs[$0] == nil }) { return }
            case .all(let idleExit):
                if scheduler?.hasActiveSchedules == true || collector?.hasPendingWork == true {
                    idleSince = Date()
                }
                if let idleExit, runs.isEmpty, Date().timeIntervalSince(idleSince) >= idleExit { return }
            }
            var timeout = options.pollSeconds
            for run in runs.values { if let w = run.wakeAt { timeout = min(timeout, w.timeIntervalSinceNow) } }
            if timeout > 0 { await wakeup.wait(timeout: timeout) }
        }
    }

    func deliverInbox() {
        inboxLock.lock()
        let results = inbox
        inbox = []
        inboxLock.unlock()
        for r in results {
            guard runs[r.workflowUID] != nil else { continue }
            runs[r.workflowUID]!.results.append(r)
            runs[r.workflowUID]!.wakeAt = .distantPast
        }
    }

    /// One reconcile pass of one workflow, if it has anything new: commit, then act.
    func pass(_ uid: String) throws {
        guard let wake = runs[uid]?.wakeAt, wake <= Date(), var run = runs.removeValue(forKey: uid) else { return }
        let now = Date()
        let passStart = DispatchTime.now()
        let results = run.results
        run.results = []
        let outcome = run.reconciler.reconcile(&run.state, results: results, now: now, locks: locks, memo: memo)
        run.wakeAt = outcome.wakeAt
        let launches = outcome.actions.compactMap { action -> StepLaunch? in
            if case .launch(let l) = action { return l }
            return nil
        }
        if !run.state.changedNodeIDs.isEmpty || run.state.headerChanged || !launches.isEmpty {
            let changed = run.state.changedNodeIDs.compactMap { run.state.node(id: $0) }
            let removed = run.state.changedNodeIDs.filter { run.state.node(id: $0) == nil }
            let commitStart = DispatchTime.now()
            do {
                try store.save(
                    uid: uid, phase: run.state.phase, startedAt: run.state.startedAt, finishedAt: run.state.finishedAt,
                    message: run.state.message, progress: run.state.progress, outputs: run.state.outputs,
                    changedNodes: changed, childrenRewritten: run.state.childrenRewritten,
                    removedNodeIDs: Array(removed), launches: launches,
                    leaseOwner: options.owner)
            } catch {
                guard error.code == .conflict else {
                    runs[uid] = run
                    throw error
                }
                // Another controller took the workflow over (our lease lapsed), or the workflow was deleted:
                // stop touching it, and stop its steps if it is gone.
                if (try? store.get(uid: uid)) == nil { killRunningSteps(uid, run.state) }
                return
            }
            metrics.observeCommit(Self.seconds(since: commitStart))
            run.state.clearChanges()
            observer?(run.reconciler.workflow, run.state)
        }
        for action in outcome.actions {
            switch action {
            case .launch(let l):
                let launchStart = DispatchTime.now()
                runtime.launch(l)
                metrics.observeStepStart(Self.seconds(since: launchStart))
            case .kill(let nodeID, let podName, let reason):
                runtime.kill(workflowUID: uid, nodeID: nodeID, podName: podName, reason: reason)
            }
        }
        metrics.observeOperation(Self.seconds(since: passStart))
        metrics.setQueueDepth(runs.values.filter { ($0.wakeAt ?? .distantFuture) <= Date() }.count)
        if run.state.phase?.isFinished == true {
            try? store.releaseLease(uid: uid, owner: options.owner)
            runs[uid] = nil
            return
        }
        runs[uid] = run
    }

    static func seconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }

    func killRunningSteps(_ uid: String, _ state: RunState) {
        for node in state.nodes.values where node.type == .pod && !node.phase.isFinished {
            runtime.kill(
                workflowUID: uid, nodeID: node.id, podName: node.podName ?? node.id, reason: "workflow deleted")
        }
    }

    func releaseAll() {
        for uid in runs.keys { try? store.releaseLease(uid: uid, owner: options.owner) }
        runs = [:]
    }
}

/// Secrets and config maps for the runtime, read from the store.
struct StoreObjects: KeyValueSource {
    let store: WorkflowStore

    func data(kind: String, namespace: String, name: String) throws -> [String: String]? {
        guard let k = ObjectKind(rawValue: kind) else { return nil }
        return try store.object(k, namespace: namespace, name: name)?.data
    }
}
