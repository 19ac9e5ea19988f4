import ArgosyEngine
import ArgosyModel
import ArgosyRuntime
import ArgosyStore
import Foundation
import Logging
import ServiceLifecycle

/// The imperative shell around the engine: takes leases on workflows, runs reconcile passes, commits each
/// pass to the store, then executes the engine's actions with the runtime.
///
/// A service (swift-service-lifecycle) whose `run()` is one event loop: it takes the events that arrived (steps
/// that ended, requests made through this process, the store's change notices, a stop), lets the timers of its
/// injected ``ControllerClock`` that are due fire (retry backoffs, deadlines, lease renewal and expiry, cron,
/// garbage collection), runs a pass of each workflow that is due (reconcile, one commit, then its actions), and
/// waits for the next event or timer. It reads the store only when told it changed, never on a poll.
public final class WorkflowController: Service, @unchecked Sendable {
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
        public var runtimeConfig: RuntimeConfig

        public init(home: URL, supervisor: String, argosy: String, runtimeConfig: RuntimeConfig) {
            self.home = home
            self.supervisor = supervisor
            self.argosy = argosy
            self.runtimeConfig = runtimeConfig
            owner = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UUID().uuidString.prefix(8))"
        }
    }

    /// What the loop reacts to, besides its timers.
    enum Event {
        /// A step ended (or could not start, or was lost).
        case stepEnded(StepResult)
        /// This process wrote to the store (a submission, a request through the API): look at it now.
        case requested
        /// The store changed (by any process sharing it).
        case storeChanged
        /// Return after the current pass, releasing the leases.
        case stop
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
    /// The time of each pass and of every timer.
    public let clock: any ControllerClock
    /// The store's change notices (shared with the server's watchers: one watch of the store per process).
    public let changes: StoreChanges
    /// Workflows deleted while their steps ran: the steps still to end before their files are removed.
    var deletedSteps: [String: Set<String>] = [:]
    var runs: [String: Run] = [:]
    private let inboxLock = NSLock()
    private var inbox: [Event] = []
    private var stopRequested = false
    let wakeup = Wakeup()
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
    /// Diagnostics (failed passes, cron decisions, garbage collection), with `workflow.name`, `workflow.uid` and
    /// `node.id` metadata where they concern one.
    public let logger: Logger
    /// Called after every committed pass with the workflow and its state (for `--watch`).
    public var observer: (@Sendable (Workflow, RunState) -> Void)?

    /// A controller over `store` whose steps run in `runtime` (by default local processes under `argosy-exec`),
    /// on `clock` (the wall clock by default), told of store changes by `changes` (a watch of its own by default).
    public init(
        store: WorkflowStore, options: Options, scope: Scope, runtime: (any StepRuntime)? = nil,
        clock: any ControllerClock = SystemClock(), changes: StoreChanges? = nil,
        logger: Logger = Logger(label: "argosy.controller")
    ) {
        self.store = store
        self.logger = logger
        self.options = options
        self.scope = scope
        self.clock = clock
        self.changes = changes ?? StoreChanges(store: store)
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

    func post(_ event: Event) {
        inboxLock.withLock {
            if case .stop = event { stopRequested = true }
            inbox.append(event)
        }
        wakeup.signal()
    }

    private func takeEvents() -> [Event] {
        inboxLock.withLock {
            let events = inbox
            inbox = []
            return events
        }
    }

    /// How often finished workflows are checked for ttlStrategy and podGC.
    static let sweepSeconds = 1.0

    /// Makes the loop look at the store now (new workflows or requests written through this process's own
    /// connection).
    public func wake() { post(.requested) }

    /// Asks `run()` to return after the current pass, releasing its leases.
    public func stop() { post(.stop) }

    /// Whether `stop()` was called (by a signal, a graceful shutdown or a caller): the scope's work may be unfinished.
    public var wasStopped: Bool { inboxLock.withLock { stopRequested } }

    /// Stores a new workflow, already leased to this controller so no other process races to run it.
    public func submit(_ workflow: Workflow) throws(ArgosyError) -> Workflow {
        try store.create(
            workflow, leaseOwner: options.owner, leaseUntil: clock.now.addingTimeInterval(options.leaseSeconds))
        return workflow
    }

    /// Runs until the scope's work is done, or until `stop()`, a graceful shutdown of its service group or
    /// cancellation; a pass under way and its commit finish first.
    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await loop()
            } onCancel: {
                self.stop()
            }
        } onGracefulShutdown: {
            self.stop()
        }
    }

    /// The timers the loop keeps: when each next fires (nil: not armed).
    struct Timers {
        /// Look at the store again: a lease held by another controller lapses then (it may have died), or a look
        /// that failed is tried again.
        var look: Date?
        var renew: Date
        var cron: Date?
        var sweep: Date?
        /// Scope `.all` with an idle exit: when it was last busy.
        var idleSince: Date

        /// The earliest of them, and of the runs' wake-ups.
        func next(_ runs: [String: Run], idleExit: Double?) -> Date {
            var next = renew
            for date in [look, cron, sweep].compactMap({ $0 }) { next = min(next, date) }
            if let idleExit { next = min(next, idleSince.addingTimeInterval(idleExit)) }
            for run in runs.values { if let w = run.wakeAt { next = min(next, w) } }
            return next
        }
    }

    func loop() async throws {
        let start = clock.now
        var timers = Timers(
            look: start, renew: start.addingTimeInterval(options.leaseSeconds / 3),
            cron: scheduler == nil ? nil : start, sweep: collector == nil ? nil : start, idleSince: start)
        var dataVersion = store.changeVersion().others
        let results = Task { [runtime] in
            for await result in runtime.results { self.post(.stepEnded(result)) }
        }
        let notices = Task { [changes] in
            for await _ in changes.subscribe() { self.post(.storeChanged) }
        }
        defer {
            releaseAll()
            runtime.shutDown()
            results.cancel()
            notices.cancel()
        }
        var idleExit: Double?
        if case .all(let exit) = scope { idleExit = exit }
        while true {
            for event in takeEvents() {
                switch event {
                case .stepEnded(let result): deliver(result)
                case .requested: timers.look = .distantPast
                case .storeChanged:
                    // Another process wrote (this one's own writes come as `.requested`, or are the controller's).
                    let version = store.changeVersion().others
                    if version != dataVersion {
                        dataVersion = version
                        timers.look = .distantPast
                    }
                case .stop: return
                }
            }
            let now = clock.now
            if let cron = timers.cron, now >= cron, scheduler != nil {
                let writes = scheduler!.workflowWrites
                let wake = scheduler!.tick(now: now, logger: logger)
                if scheduler!.workflowWrites != writes { timers.look = .distantPast }  // its runs, to adopt
                timers.cron = min(wake ?? now.addingTimeInterval(1), now.addingTimeInterval(1))
            }
            if let sweep = timers.sweep, now >= sweep, collector != nil {
                collector!.sweep(now: now, logger: logger)
                timers.sweep = now.addingTimeInterval(Self.sweepSeconds)
            }
            if let look = timers.look, now >= look {
                do {
                    try adoptWorkflows(now: now)
                    try applyUserChanges(now: now)
                    // A lease another controller holds on an unfinished workflow lapses then, unless renewed (a
                    // write, which brings a change notice and another look).
                    timers.look = try store.nextLeaseExpiry(after: now, excludingOwner: options.owner)
                        .map { $0.addingTimeInterval(0.001) }
                } catch {
                    logger.warning("cannot read the store; trying again shortly", metadata: ["error": "\(error)"])
                    timers.look = now.addingTimeInterval(1)
                }
            }
            if now >= timers.renew {
                try store.renewLeases(owner: options.owner, until: now.addingTimeInterval(options.leaseSeconds))
                timers.renew = now.addingTimeInterval(options.leaseSeconds / 3)
            }
            let due = runs.filter { ($0.value.wakeAt ?? .distantFuture) <= now }.map(\.key)
            if due.count > 1 {
                passTogether(due, now: now)
            } else {
                for uid in due {
                    do { try pass(uid, now: now) } catch { passFailed(uid, error, now: now) }
                }
            }

            // Steps of deleted workflows are being killed: wait for them, so that their files can go.
            if !runs.isEmpty || !deletedSteps.isEmpty { timers.idleSince = now }
            switch scope {
            case .only(let uids):
                if uids.allSatisfy({ runs[$0] == nil }), deletedSteps.isEmpty {
                    if try uids.allSatisfy({ uid throws(ArgosyError) in try isOver(uid) }) { return }
                }
            case .all(let idleExit):
                if scheduler?.hasActiveSchedules == true || collector?.hasPendingWork == true {
                    timers.idleSince = now
                }
                if let idleExit, runs.isEmpty, now.timeIntervalSince(timers.idleSince) >= idleExit {
                    // Not while a controller that died holds workflows: their leases lapse, and this one adopts them.
                    if (try? awaitsAdoption()) == true {
                        timers.idleSince = now
                    } else {
                        return
                    }
                }
            }
            await clock.wait(wakeup, until: timers.next(runs, idleExit: idleExit))
        }
    }

    /// Whether a workflow this controller does not run has nothing left to do: deleted, or finished with no request
    /// pending. Another live controller may run one of a `.only` scope (it adopted it first): this one waits for it
    /// to finish there, or for its lease to lapse and adopts it.
    func isOver(_ uid: String) throws(ArgosyError) -> Bool {
        guard let outcome = try store.outcome(uid: uid) else { return true }
        guard outcome.phase?.isFinished == true else { return false }
        return try !store.hasRequests(uid: uid)
    }

    /// Whether an unfinished workflow is leased to a controller that is gone (on this machine: its process has
    /// exited; on another one, which this one cannot ask, it may be): its lease lapses and must be taken up.
    func awaitsAdoption() throws(ArgosyError) -> Bool {
        for owner in try store.leaseOwnersOfUnfinished() where owner != options.owner {
            if !LeaseOwner(owner).isAliveHere { return true }
        }
        return false
    }

    func deliver(_ result: StepResult) {
        guard runs[result.workflowUID] != nil else {
            stepOfDeletedWorkflowEnded(result)
            return
        }
        runs[result.workflowUID]!.results.append(result)
        runs[result.workflowUID]!.wakeAt = .distantPast
    }

    /// One reconcile pass of one workflow, if it has anything new: commit, then act.
    func pass(_ uid: String, now: Date) throws {
        guard let p = reconcile(uid, now: now) else { return }
        guard try save(p) else { return }
        act(p, now: now)
    }

    /// One workflow's trouble (a busy store, an unreadable row) must not stop the others: it tries again soon.
    func passFailed(_ uid: String, _ error: any Error, now: Date) {
        logger.warning(
            "pass failed; trying again shortly",
            metadata: [
                "workflow.name": "\(runs[uid]?.reconciler.workflow.metadata.name ?? "")", "workflow.uid": "\(uid)",
                "error": "\(error)",
            ])
        runs[uid]?.wakeAt = now.addingTimeInterval(1)
    }

    /// One pass of each of these workflows with their commits in one transaction (one fsync for all), then their
    /// actions: what `pass` does for each, when several are ready at once (many workflows running side by side).
    func passTogether(_ uids: [String], now: Date) {
        let pending = uids.compactMap { reconcile($0, now: now) }
        var committed: [PendingPass] = []
        var lost: Set<String> = []  // taken over by another controller, or deleted
        do {
            try store.inTransaction { () throws(ArgosyError) in
                for p in pending {
                    do {
                        // A savepoint each: one workflow's trouble undoes only its own writes.
                        if try save(p) { committed.append(p) } else { lost.insert(p.uid) }
                    } catch {
                        passFailed(p.uid, error, now: now)
                    }
                }
            }
        } catch {
            // Nothing of it is stored: every run keeps its changes and actions for its next pass.
            logger.warning("commit failed; trying again shortly", metadata: ["error": "\(error)"])
            let kept = Set(committed.map(\.uid))
            for p in pending where kept.contains(p.uid) || runs[p.uid] == nil && !lost.contains(p.uid) {
                var run = p.run
                run.carriedActions = p.outcome.actions
                run.wakeAt = now.addingTimeInterval(1)
                runs[p.uid] = run
            }
            committed = []
        }
        for p in committed { act(p, now: now) }
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
    func reconcile(_ uid: String, now: Date) -> PendingPass? {
        guard let wake = runs[uid]?.wakeAt, wake <= now, var run = runs.removeValue(forKey: uid) else { return nil }
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
    func act(_ p: PendingPass, now: Date) {
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
        metrics.setQueueDepth(runs.values.filter { ($0.wakeAt ?? .distantFuture) <= now }.count)
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
