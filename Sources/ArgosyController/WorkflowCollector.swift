import ArgosyEngine
import ArgosyModel
import ArgosyRuntime
import ArgosyStore
import Foundation
import Logging

/// Cleans up after finished work: `ttlStrategy` archives and deletes finished workflows, `podGC` removes
/// finished steps' files (their logs and outputs), as Argo's controller deletes workflows and pods.
struct WorkflowCollector {
    let store: WorkflowStore
    let runtime: any StepRuntime
    /// Step folders already removed, so a sweep does not look at them again.
    private var collectedPods: Set<String> = []
    /// A finished workflow still waits for its ttlStrategy: the background controller stays up for it.
    private(set) var hasPendingWork = false

    init(store: WorkflowStore, runtime: any StepRuntime) {
        self.store = store
        self.runtime = runtime
    }

    mutating func sweep(now: Date, logger: Logger) {
        let workflows: [WorkflowSummary]
        do {
            workflows = try store.list(namespace: nil)
        } catch {
            logger.error("gc: cannot list workflows", metadata: ["error": "\(error)"])
            return
        }
        hasPendingWork = false
        for wf in workflows {
            do {
                try sweep(wf, now: now, logger: logger)
            } catch {
                logger.error("gc failed", metadata: wf.logMetadata.merging(["error": "\(error)"]) { $1 })
            }
        }
    }

    private mutating func sweep(_ wf: WorkflowSummary, now: Date, logger: Logger) throws {
        let finished = wf.phase?.isFinished == true
        if finished, let finishedAt = wf.finishedAt,
            let ttl = wf.ttlStrategy?.seconds(succeeded: wf.phase == .succeeded),
            now.timeIntervalSince(finishedAt) >= Double(ttl)
        {
            try store.archive(uid: wf.uid, now: now)
            runtime.removeFiles(workflowUID: wf.uid, podName: nil)
            logger.info("gc: archived and deleted (ttlStrategy)", metadata: wf.logMetadata)
            return
        }
        if wf.ttlStrategy != nil, !finished || wf.ttlStrategy?.seconds(succeeded: wf.phase == .succeeded) != nil {
            hasPendingWork = true
        }
        guard let gc = wf.podGC, let strategy = gc.strategy else { return }
        let delay = gc.deleteDelayDuration.flatMap(ArgoDuration.seconds) ?? 0
        switch strategy {
        case "OnWorkflowCompletion", "OnWorkflowSuccess":
            guard finished, strategy == "OnWorkflowCompletion" || wf.phase == .succeeded, let at = wf.finishedAt,
                now.timeIntervalSince(at) >= delay, collectedPods.insert(wf.uid).inserted
            else { return }
            runtime.removeFiles(workflowUID: wf.uid, podName: nil)
        case "OnPodCompletion", "OnPodSuccess":
            guard let stored = try store.get(uid: wf.uid) else { return }
            for node in stored.nodes where node.type == .pod && node.phase.isFinished {
                guard strategy == "OnPodCompletion" || node.phase == .succeeded, let pod = node.podName,
                    let at = node.finishedAt, now.timeIntervalSince(at) >= delay,
                    collectedPods.insert("\(wf.uid)/\(pod)").inserted
                else { continue }
                runtime.removeFiles(workflowUID: wf.uid, podName: pod)
            }
        default:
            return
        }
    }
}

extension WorkflowSummary {
    /// The workflow's fields in a log entry.
    var logMetadata: Logger.Metadata {
        ["workflow.name": "\(name)", "workflow.namespace": "\(namespace)", "workflow.uid": "\(uid)"]
    }
}
