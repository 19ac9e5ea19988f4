import ArgosyEngine
import ArgosyModel
import ArgosyStore
import Foundation
import Logging

/// Runs CronWorkflows: at each tick, asks the planner what is due for every stored CronWorkflow, creates the
/// runs (named `<cron>-<unix seconds>`, so two schedulers can never create the same run twice), stops runs
/// replaced by `concurrencyPolicy: Replace`, and trims old runs to the history limits.
struct CronScheduler {
    let store: WorkflowStore
    /// Runs created by this scheduler, for the log and tests.
    var created: [String] = []
    /// How many workflows it created or stopped: the controller looks at the store after a tick that did either.
    private(set) var workflowWrites = 0
    /// Whether any CronWorkflow is active (not suspended): the background controller stays up for them.
    private(set) var hasActiveSchedules = false

    init(store: WorkflowStore) { self.store = store }

    /// Does what is due at `now`; returns when to look again.
    mutating func tick(now: Date, logger: Logger) -> Date? {
        var wake: Date?
        hasActiveSchedules = false
        let crons: [StoredResource]
        do {
            crons = try store.resources(.cronWorkflow, namespace: nil)
        } catch {
            logger.error("cron: cannot list CronWorkflows", metadata: ["error": "\(error)"])
            return nil
        }
        for resource in crons {
            do {
                if let next = try tick(resource, now: now, logger: logger) { wake = min(wake ?? next, next) }
            } catch {
                logger.error("cron failed", metadata: resource.logMetadata.merging(["error": "\(error)"]) { $1 })
            }
        }
        return wake
    }

    private mutating func tick(_ resource: StoredResource, now: Date, logger: Logger) throws -> Date? {
        let cron = try StoredManifest.decode(CronWorkflow.self, resource.manifest)
        let planner = try CronPlanner(cron)
        if cron.spec.suspend != true { hasActiveSchedules = true }
        let ns = resource.namespace
        var state = try store.cronState(CronState.self, namespace: ns, name: resource.name) ?? CronState()
        let runs = try store.cronRuns(namespace: ns, cron: resource.name)
        let active = runs.filter { $0.phase?.isFinished != true }.map(\.name)
        let counted = state.succeeded + state.failed
        let finished = runs.filter { $0.phase?.isFinished == true }
        if finished.count > counted {
            // New finished runs since the last tick (history trimming only removes counted ones).
            state.succeeded = max(state.succeeded, finished.filter { $0.phase == .succeeded }.count)
            state.failed = max(state.failed, finished.filter { $0.phase != .succeeded }.count)
        }
        let decision = planner.decide(state: state, active: active, createdAt: resource.createdAt, now: now)
        for name in decision.replace {
            if let wf = try store.get(namespace: ns, name: name) {
                try store.updateManifest(uid: wf.uid) { $0.spec.shutdown = "Terminate" }
                workflowWrites += 1
                logger.info(
                    "cron: replacing a run", metadata: resource.logMetadata.merging(["workflow.name": "\(name)"]) { $1 }
                )
            }
        }
        if let run = decision.run {
            var options = WorkflowPreparation.Options()
            options.namespace = ns
            let wf = try WorkflowSubmission.prepare(
                planner.workflow(for: run), options: options, store: store, now: now)
            do {
                try store.create(wf)
                created.append(wf.name)
                workflowWrites += 1
                logger.info(
                    "cron: created a run",
                    metadata: resource.logMetadata.merging([
                        "workflow.name": "\(wf.name)", "workflow.uid": "\(wf.metadata.uid ?? "")",
                        "scheduled": "\(Timestamp.format(run))",
                    ]) { $1 })
            } catch {
                // `alreadyExists`: another scheduler ran this activation already.
                if error.code != .alreadyExists { throw error }
            }
        } else if let why = decision.skipped {
            logger.info("cron: skipped a run", metadata: resource.logMetadata.merging(["reason": "\(why)"]) { $1 })
        }
        state.lastScheduledTime = decision.lastScheduledTime
        if decision.stop { state.stopped = true }
        try store.setCronState(state, namespace: ns, name: resource.name)
        try trimHistory(cron, runs: runs)
        return decision.wakeAt
    }

    /// Keeps the newest `successfulJobsHistoryLimit` (default 3) succeeded and `failedJobsHistoryLimit`
    /// (default 1) failed runs; deletes older ones.
    private func trimHistory(_ cron: CronWorkflow, runs: [WorkflowSummary]) throws {
        let succeeded = runs.filter { $0.phase == .succeeded }
        let failed = runs.filter { $0.phase == .failed || $0.phase == .error }
        for r in succeeded.dropFirst(max(0, cron.spec.successfulJobsHistoryLimit ?? 3)) { try store.delete(uid: r.uid) }
        for r in failed.dropFirst(max(0, cron.spec.failedJobsHistoryLimit ?? 1)) { try store.delete(uid: r.uid) }
    }
}

extension StoredResource {
    /// The CronWorkflow's fields in a log entry.
    var logMetadata: Logger.Metadata { ["cron.name": "\(name)", "cron.namespace": "\(namespace)"] }
}
