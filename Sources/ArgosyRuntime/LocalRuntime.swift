import ArgosyModel
import CArgosySupport
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs steps as local processes under `argosy-exec`: a private mount namespace and /tmp, volumes at their
/// mount paths, the pod's environment, logs and outputs in the workflow's step folder (see ``StepDirectory``).
///
/// Results arrive on ``results``. Launch is idempotent per attempt: launching a step that the workflow's
/// ``StatusLog`` has claimed already re-attaches to it instead.
public final class LocalRuntime: StepRuntime, @unchecked Sendable {
    public let home: URL
    public let config: RuntimeConfig
    /// `argosy-exec`.
    public let supervisor: String
    /// `argosy` itself, for built-in images (`argoproj/argosay`).
    public let argosy: String
    let objects: any KeyValueSource
    let watcher = ProcessWatcher()
    /// Starts supervisors by fork from one `argosy-exec --serve`.
    let server: SupervisorServer
    public let results: AsyncStream<StepResult>
    private let resultsContinuation: AsyncStream<StepResult>.Continuation
    /// What steps' environments take from the controller's, read once.
    let stepHost: StepHost
    /// The parent of the workflows' step folders (see ``StepDirectory/folder(home:workflowUID:)``).
    let stepsPath: String
    /// The home as the sandbox sees it (symbolic links resolved): hidden from every step.
    let hiddenHome: String
    private let lock = NSLock()
    /// Why steps were killed, by ``StepKill/stepKey``.
    private var killReasons: [String: String] = [:]
    /// Supervisors started by this runtime, by ``StepLaunch/stepKey``.
    private var supervisors: [String: pid_t] = [:]
    /// The status logs of the workflows whose steps this runtime started or looked at, by workflow uid.
    private var statusLogs: [String: StatusLog] = [:]

    public init(
        home: URL, config: RuntimeConfig, supervisor: String, argosy: String, objects: any KeyValueSource
    ) {
        self.home = home
        self.config = config
        self.supervisor = supervisor
        stepHost = StepHost(ProcessInfo.processInfo.environment, passEnv: config.passEnv)
        stepsPath = StepDirectory.stepsFolder(home: home).path
        hiddenHome = home.resolvingSymlinksInPath().standardizedFileURL.path
        server = SupervisorServer(path: supervisor, hidden: [hiddenHome])
        self.argosy = argosy
        self.objects = objects
        (results, resultsContinuation) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    public func directory(for launch: StepLaunch) -> StepDirectory {
        StepDirectory(folderPath: "\(stepsPath)/\(launch.workflowUID)", name: launch.podName)
    }

    func statusLog(_ workflowUID: String) -> StatusLog {
        lock.lock()
        defer { lock.unlock() }
        if let log = statusLogs[workflowUID] { return log }
        let log = StatusLog(folder: StepDirectory.folder(home: home, workflowUID: workflowUID))
        statusLogs[workflowUID] = log
        return log
    }

    /// The supervisor's pid once it has written it, waiting up to `seconds`.
    func awaitSupervisorPID(_ log: StatusLog, _ pod: String, seconds: Double) -> pid_t? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let pid = log.entry(pod)?.supervisor { return pid }
            usleep(10_000)
        }
        return log.entry(pod)?.supervisor
    }

    /// Ends the supervisor server and the results (when the controller stops); running steps are not affected.
    public func shutDown() {
        server.shutDown()
        resultsContinuation.finish()
    }

    func onResult(_ result: StepResult) { resultsContinuation.yield(result) }

    /// Starts the step, or re-attaches when it was started before (a supervisor of it wrote to the status log).
    public func launch(_ launch: StepLaunch) {
        let dir = directory(for: launch)
        let log = statusLog(launch.workflowUID)
        let outputNames = Array(launch.outputPaths.keys)
        do {
            if try !log.claim(dir.name) {
                // Claimed before. A supervisor writes its line first thing, and the exit record last: follow it.
                // A claim with neither was made by a controller that is gone (this one holds the workflow's lease
                // now, so the other's lapsed, long after any request it sent could have started a supervisor):
                // the step never started, and starts now under that claim, once.
                let entry = log.entry(dir.name)
                lock.lock()
                let startedHere = supervisors[launch.stepKey] != nil
                lock.unlock()
                if entry?.supervisor != nil || entry?.exit != nil || startedHere {
                    attach(launch, dir)
                    return
                }
            }
            var (argv, env) = try prepare(launch, dir)
            let newFolder = log.takeNewFolder()
            if newFolder { argv.insert("--sync-dir", at: 1) }
            var started = server.start(argv, env)
            if started.pid == -EINPROGRESS {
                // The server died after taking the request. A supervisor it started writes its `status` file first
                // thing; without one after two seconds none started, and a new server gets the request.
                if let pid = awaitSupervisorPID(log, dir.name, seconds: 2) {
                    started = .init(pid: pid)
                } else {
                    started = server.start(argv, env)
                    if started.pid == -EINPROGRESS {
                        started = .init(pid: awaitSupervisorPID(log, dir.name, seconds: 2) ?? -EIO)
                    }
                }
            }
            let pid = started.pid
            guard pid > 0 else {
                if newFolder { log.syncFolder() }
                throw ArgosyError(.io, "cannot start \(supervisor): \(String(cString: strerror(-pid)))")
            }
            lock.lock()
            supervisors[launch.stepKey] = pid
            lock.unlock()
            // A pid read back from the status log comes without a pidfd: the watcher opens one.
            watcher.watch(pid, pidfd: started.pidfd, doneFD: started.doneFD) { [self] _ in
                self.finished(launch, dir, outputNames)
            }
        } catch {
            let message = (error as? ArgosyError)?.message ?? "\(error)"
            onResult(
                StepResult(
                    workflowUID: launch.workflowUID, nodeID: launch.nodeID, exitCode: nil, error: message,
                    finishedAt: Date()))
        }
    }

    /// Follows a step started earlier (by this or another process): reports it when its exit record
    /// appears, or as lost when its supervisor is gone without one.
    func attach(_ launch: StepLaunch, _ dir: StepDirectory) {
        let outputNames = Array(launch.outputPaths.keys)
        let entry = statusLog(launch.workflowUID).entry(dir.name)
        if entry?.exit != nil {
            finished(launch, dir, outputNames)
            return
        }
        if let pid = entry?.supervisor, argosy_process_exists(pid) != 0 {
            watcher.watch(pid) { [self] _ in self.finished(launch, dir, outputNames) }
            return
        }
        onResult(
            StepResult(
                workflowUID: launch.workflowUID, nodeID: launch.nodeID, exitCode: nil,
                error: "pod deleted: the step's process was lost (its supervisor is gone)", finishedAt: Date()))
    }

    func finished(_ launch: StepLaunch, _ dir: StepDirectory, _ outputNames: [String]) {
        if launch.volumes.contains(where: { $0.secret != nil }) { removeSecretFiles(dir) }
        lock.lock()
        supervisors[launch.stepKey] = nil
        let reason = killReasons.removeValue(forKey: launch.stepKey)
        lock.unlock()
        let log = statusLog(launch.workflowUID)
        let record = log.entry(dir.name)?.exit
        log.forget(dir.name)
        guard let record,
            var result = dir.result(
                exitRecord: record, workflowUID: launch.workflowUID, nodeID: launch.nodeID, outputNames: outputNames,
                outputLimit: config.limits.outputBytes, now: Date())
        else {
            onResult(
                StepResult(
                    workflowUID: launch.workflowUID, nodeID: launch.nodeID, exitCode: nil,
                    error: "pod deleted: the step's supervisor exited without an exit record", killReason: reason,
                    finishedAt: Date()))
            return
        }
        result.killReason = reason
        onResult(result)
    }

    /// Stops a step: SIGTERM to its process group, SIGKILL after the grace period.
    public func kill(_ step: StepKill) {
        let log = statusLog(step.workflowUID)
        lock.lock()
        killReasons[step.stepKey] = step.reason
        lock.unlock()
        let entry = log.entry(step.podName)
        if entry?.exit != nil { return }  // it exited already: its pid may be someone else's by now
        guard let pid = entry?.step, pid > 1 else {
            // The step has not started yet: its supervisor takes the signal and passes it on once it has.
            lock.lock()
            let supervisor = supervisors[step.stepKey] ?? entry?.supervisor
            lock.unlock()
            if let supervisor, supervisor > 1 { _ = Glibc.kill(supervisor, SIGTERM) }
            return
        }
        _ = Glibc.kill(-pid, SIGTERM)
        let grace = config.killGraceSeconds
        DispatchQueue.global().asyncAfter(deadline: .now() + grace) {
            // Still running: its entry is there (a finished step's is dropped) without an exit record.
            if let entry = log.entry(step.podName), entry.exit == nil { _ = Glibc.kill(-pid, SIGKILL) }
        }
    }

    /// Forgets what this runtime kept of a finished workflow (its status log is read afresh if it runs again).
    public func workflowEnded(_ workflowUID: String) {
        lock.lock()
        statusLogs[workflowUID] = nil
        lock.unlock()
    }

    /// Deletes the step files of a workflow, or of one step (before `retry` runs the node again).
    public func removeFiles(workflowUID: String, podName: String?) {
        guard let podName else {
            lock.lock()
            statusLogs[workflowUID] = nil
            lock.unlock()
            try? FileManager.default.removeItem(at: StepDirectory.folder(home: home, workflowUID: workflowUID))
            return
        }
        statusLog(workflowUID).reset(podName)
        for u in StepDirectory(home: home, workflowUID: workflowUID, podName: podName).all {
            try? FileManager.default.removeItem(at: u)
        }
    }

    func removeSecretFiles(_ dir: StepDirectory) {
        try? FileManager.default.removeItem(at: dir.url.appendingPathComponent("secret-volumes"))
    }
}
