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
        /// Actions of a pass whose commit failed: the next pass commits and carries them out (the engine emits a
        /// launch only once, when it creates the step's node).
        var carriedActions: [EngineAction] = []
    }

    public let store: WorkflowStore
    public let options: Options
    let scope: Scope
    /// Where the steps run.
    public let runtime: any StepRuntime
    /// Workflows deleted while their steps ran: the steps still to end before their files are removed.
    var deletedSteps: [String: Set<String>] = [:]
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

    /// A controller over `store` whose steps run in `runtime` (by default local processes under `argosy-exec`).
    public init(store: WorkflowStore, options: Options, scope: Scope, runtime: (any StepRuntime)? = nil) {
        self.store = store
        self.options = options
        self.scope = scope
        self.runtime =
            runtime
            ?? LocalRuntime(
                home: options.home, config: options.runtimeConfig, supervisor: options.supervisor,
                argosy: options.argosy, objects: StoreObjects(store: store))
        if case .all = scope {
            scheduler = CronScheduler(store: store)
            collector = WorkflowCollector(store: store, runtime: self.runtime)
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
        let results = Task { [runtime] in
            for await result in runtime.results { self.receive(result) }
        }
        defer {
            releaseAll()
            runtime.shutDown()
            results.cancel()
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
            let due = runs.filter { ($0.value.wakeAt ?? .distantFuture) <= Date() }.map(\.key)
            if due.count > 1 {
                passTogether(due)
            } else {
                for uid in due {
                    do { try pass(uid) } catch { passFailed(uid, error) }
                }
            }

            // Steps of deleted workflows are being killed: wait for them, so that their files can go.
            if !runs.isEmpty || !deletedSteps.isEmpty { idleSince = Date() }
            switch scope {
            case .only(let uids):
                if uids.allSatisfy({ runs[$0] == nil }), deletedSteps.isEmpty { return }
            case .all(let idleExit):
                if scheduler?.hasActiveSchedules == true || collector?.hasPendingWork == true {
                    idleSince = Date()
                }
                if let idleExit, runs.isEmpty, Date().timeIntervalSince(idleSince) >= idleExit {
                    // Not while a controller that died holds workflows: their leases lapse, and this one adopts them.
                    if (try? awaitsAdoption()) == true {
                        idleSince = Date()
                    } else {
                        return
                    }
                }
            }
            var timeout = options.pollSeconds
            for run in runs.values { if let w = run.wakeAt { timeout = min(timeout, w.timeIntervalSinceNow) } }
            if timeout > 0 { await wakeup.wait(timeout: timeout) }
        }
    }

    /// Whether an unfinished workflow is leased to a controller that is gone (on this machine: its process has
    /// exited; on another one, which this one cannot ask, it may be): its lease lapses and must be taken up.
    func awaitsAdoption() throws(ArgosyError) -> Bool {
        for owner in try store.leaseOwnersOfUnfinished() where owner != options.owner {
            if !LeaseOwner(owner).isAliveHere { return true }
        }
        return false
    }

    func deliverInbox() {
        inboxLock.lock()
        let results = inbox
        inbox = []
        inboxLock.unlock()
        for r in results {
            guard runs[r.workflowUID] != nil else {
                stepOfDeletedWorkflowEnded(r)
                continue
            }
            runs[r.workflowUID]!.results.append(r)
            runs[r.workflowUID]!.wakeAt = .distantPast
        }
    }

    /// One reconcile pass of one workflow, if it has anything new: commit, then act.
    func pass(_ uid: String) throws {
        guard let p = reconcile(uid) else { return }
        guard try save(p) else { return }
        act(p)
    }

    /// One workflow's trouble (a busy store, an unreadable row) must not stop the others: it tries again soon.
    func passFailed(_ uid: String, _ error: any Error) {
        log("workflow \(uid): \(error); trying again shortly")
        runs[uid]?.wakeAt = Date().addingTimeInterval(1)
    }

    /// One pass of each of these workflows with their commits in one transaction (one fsync for all), then their
    /// actions: what `pass` does for each, when several are ready at once (many workflows running side by side).
    func passTogether(_ uids: [String]) {
        let pending = uids.compactMap { reconcile($0) }
        var committed: [PendingPass] = []
        var lost: Set<String> = []  // taken over by another controller, or deleted
        do {
            try store.inTransaction { () throws(ArgosyError) in
                for p in pending {
                    do {
                        // A savepoint each: one workflow's trouble undoes only its own writes.
                        if try save(p) { committed.append(p) } else { lost.insert(p.uid) }
                    } catch {
                        passFailed(p.uid, error)
                    }
                }
            }
        } catch {
            // Nothing of it is stored: every run keeps its changes and actions for its next pass.
            log("controller: \(error); trying again shortly")
            let kept = Set(committed.map(\.uid))
            for p in pending where kept.contains(p.uid) || runs[p.uid] == nil && !lost.contains(p.uid) {
                var run = p.run
                run.carriedActions = p.outcome.actions
                run.wakeAt = Date().addingTimeInterval(1)
                runs[p.uid] = run
            }
            committed = []
        }
        for p in committed { act(p) }
    }

    /// A reconciled workflow on its way to the store, then to its actions.
    struct PendingPass {
        var uid: String
        var run: Run
        var outcome: ReconcileOutcome
        var launches: [StepLaunch]
        var start: DispatchTime
        /// The pass changed nothing to store.
        var unchanged: Bool
    }

    /// Reconciles a workflow that is due (taking its run out of `runs` until `act` or a failed `save` puts it back).
    func reconcile(_ uid: String) -> PendingPass? {
        guard let wake = runs[uid]?.wakeAt, wake <= Date(), var run = runs.removeValue(forKey: uid) else { return nil }
        let now = Date()
        let start = DispatchTime.now()
        let results = run.results
        run.results = []
        var outcome = run.reconciler.reconcile(&run.state, results: results, now: now, locks: locks, memo: memo)
        outcome.actions = run.carriedActions + outcome.actions
        run.carriedActions = []
        run.wakeAt = outcome.wakeAt
        let launches = outcome.actions.compactMap { action -> StepLaunch? in
            if case .launch(let l) = action { return l }
            return nil
        }
        let unchanged = run.state.changedNodeIDs.isEmpty && !run.state.headerChanged && launches.isEmpty
        return PendingPass(
            uid: uid, run: run, outcome: outcome, launches: launches, start: start, unchanged: unchanged)
    }

    /// Commits a reconciled pass (before any of its steps starts). False when the workflow is no longer ours.
    func save(_ p: PendingPass) throws -> Bool {
        if p.unchanged { return true }
        let state = p.run.state
        let changed = state.changedNodeIDs.compactMap { state.node(id: $0) }
        let removed = state.changedNodeIDs.filter { state.node(id: $0) == nil }
        let commitStart = DispatchTime.now()
        do {
            try store.save(
                uid: p.uid, phase: state.phase, startedAt: state.startedAt, finishedAt: state.finishedAt,
                message: state.message, progress: state.progress, outputs: state.outputs, changedNodes: changed,
                childrenRewritten: state.childrenRewritten, removedNodeIDs: Array(removed), launches: p.launches,
                leaseOwner: options.owner, releasingLease: state.phase?.isFinished == true)
        } catch {
            guard error.code == .conflict else {
                var run = p.run
                run.carriedActions = p.outcome.actions
                runs[p.uid] = run
                throw error
            }
            // Another controller took the workflow over (our lease lapsed), or the workflow was deleted:
            // stop touching it, and stop its steps if it is gone.
            if (try? store.get(uid: p.uid)) == nil { killRunningSteps(p.uid, state) }
            return false
        }
        metrics.observeCommit(Self.seconds(since: commitStart))
        return true
    }

    /// After the commit: tells the observer, starts and stops steps, and puts the run back (or ends it).
    func act(_ p: PendingPass) {
        var run = p.run
        let uid = p.uid
        if !p.unchanged {
            run.state.clearChanges()
            observer?(run.reconciler.workflow, run.state)
        }
        for action in p.outcome.actions {
            switch action {
            case .launch(let l):
                let launchStart = DispatchTime.now()
                runtime.launch(l)
                metrics.observeStepStart(Self.seconds(since: launchStart))
            case .kill(let nodeID, let podName, let reason):
                runtime.kill(StepKill(workflowUID: uid, nodeID: nodeID, podName: podName, reason: reason))
            }
        }
        metrics.observeOperation(Self.seconds(since: p.start))
        metrics.setQueueDepth(runs.values.filter { ($0.wakeAt ?? .distantFuture) <= Date() }.count)
        if run.state.phase?.isFinished == true {
            // The commit that finished it gave the lease up (a pass that changed nothing had nothing to commit).
            if p.unchanged { try? store.releaseLease(uid: uid, owner: options.owner) }
            runs[uid] = nil
            runtime.workflowEnded(uid)
            return
        }
        runs[uid] = run
    }

    static func seconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }

    /// Kills the steps of a workflow that was deleted; its step files are removed once they have all ended.
    func killRunningSteps(_ uid: String, _ state: RunState) {
        let running = state.nodes.values.filter { $0.type == .pod && !$0.phase.isFinished }
        guard !running.isEmpty else {
            runtime.removeFiles(workflowUID: uid, podName: nil)
            return
        }
        deletedSteps[uid] = Set(running.map(\.id))
        for node in running {
            runtime.kill(
                StepKill(
                    workflowUID: uid, nodeID: node.id, podName: node.podName ?? node.id, reason: "workflow deleted"))
        }
    }

    func stepOfDeletedWorkflowEnded(_ result: StepResult) {
        guard deletedSteps[result.workflowUID]?.remove(result.nodeID) != nil,
            deletedSteps[result.workflowUID]!.isEmpty
        else { return }
        deletedSteps[result.workflowUID] = nil
        runtime.workflowEnded(result.workflowUID)
        runtime.removeFiles(workflowUID: result.workflowUID, podName: nil)
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
