import ArgosyEngine
import ArgosyModel
import ArgosyRuntime
import ArgosyStore
import Foundation

extension WorkflowController {
    /// Takes the lease on workflows this controller should run and loads them.
    func adoptWorkflows(now: Date) throws {
        let candidates: [String]
        switch scope {
        case .only(let uids): candidates = uids.filter { runs[$0] == nil }.sorted()
        case .all: candidates = try store.orphanedWorkflows(now: now).filter { runs[$0] == nil }
        }
        for uid in candidates {
            guard
                try store.acquireLease(
                    uid: uid, owner: options.owner, until: now.addingTimeInterval(options.leaseSeconds), now: now),
                let stored = try store.get(uid: uid)
            else { continue }
            if stored.phase?.isFinished == true, try !store.hasRequests(uid: uid) {
                try store.releaseLease(uid: uid, owner: options.owner)
                continue
            }
            let state = RunState(
                phase: stored.phase, startedAt: stored.startedAt, finishedAt: stored.finishedAt,
                message: stored.message,
                outputs: stored.outputs, nodes: stored.nodes)
            runs[uid] = Run(
                reconciler: Reconciler(workflow: stored.workflow, limits: options.runtimeConfig.limits), state: state,
                specVersion: stored.specVersion)
            // Steps that were running when the previous controller stopped: re-attach, or start if never started.
            for node in state.nodes.values where node.type == .pod && node.phase == .running {
                if let launch = try store.launch(uid: uid, nodeID: node.id) {
                    runtime.launch(launch)
                } else {
                    runs[uid]!.results.append(
                        StepResult(
                            workflowUID: uid, nodeID: node.id, exitCode: nil,
                            error: "pod deleted: no launch record for this step", finishedAt: now))
                }
            }
        }
    }

    /// Applies what users changed since the last look: the manifest (suspend, stop, terminate) and requests
    /// (resume, set, retry).
    func applyUserChanges(now: Date) throws {
        for uid in Array(runs.keys) {
            guard let version = try store.specVersion(uid: uid) else {
                dropDeleted(uid)
                continue
            }
            if version != runs[uid]!.specVersion, let stored = try store.get(uid: uid) {
                runs[uid]!.reconciler = Reconciler(workflow: stored.workflow, limits: options.runtimeConfig.limits)
                runs[uid]!.specVersion = version
                runs[uid]!.wakeAt = .distantPast
            }
            for request in try store.takeRequests(uid: uid) {
                apply(request, to: uid, now: now)
            }
        }
    }

    func apply(_ request: ControlRequest, to uid: String, now: Date) {
        guard var run = runs[uid] else { return }
        switch request.kind {
        case "resume":
            run.reconciler.resume(&run.state, selector: request.argument, now: now)
        case "set":
            if let argument = request.argument,
                let update = try? JSONDecoder().decode(
                    NodeUpdate.self, from: Data(argument.utf8))
            {
                run.reconciler.set(&run.state, update, now: now)
            }
        case "retry":
            if run.state.phase?.isFinished == true {
                let removed = run.reconciler.prepareRetry(&run.state)
                for id in removed {
                    // The removed steps run again under the same names: clear their old files.
                    if let pod = podName(uid: uid, nodeID: id) { runtime.removeFiles(workflowUID: uid, podName: pod) }
                }
            }
        default:
            break
        }
        run.wakeAt = .distantPast
        runs[uid] = run
    }

    /// A workflow deleted while this controller ran it (by any process sharing the store): as deleting a
    /// workflow's pods does in Argo, its running steps are killed; its step files go once the last has ended.
    func dropDeleted(_ uid: String) {
        guard let run = runs.removeValue(forKey: uid) else { return }
        killRunningSteps(uid, run.state)
    }

    func podName(uid: String, nodeID: String) -> String? {
        (try? store.launch(uid: uid, nodeID: nodeID))?.podName
    }
}
