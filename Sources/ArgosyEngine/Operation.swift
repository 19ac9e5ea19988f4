import ArgosyExpressions
import ArgosyModel
import Foundation

/// One reconcile pass over one workflow (Argo's "operation context"). Lives only for the pass.
final class Operation {
    let reconciler: Reconciler
    var workflow: Workflow { reconciler.workflow }
    var state: RunState
    let now: Date
    var outcome = ReconcileOutcome()
    /// Pods running now.
    var activePods: Int { state.runningPods }
    /// `workflow.*` variables.
    var globals = VariableScope()
    /// Set when the workflow is stopping: no new nodes start.
    var shutdownMessage: String?
    var isTerminating = false
    /// Mutexes and semaphores (nil: synchronization is refused with a clear message).
    var locks: (any SynchronizationGate)?
    /// The memoization cache (nil: memoize is refused with a clear message).
    var memo: (any MemoCache)?

    /// The node with this name. Reads the state's tables in place: calling `state.node(named:)` through this
    /// class copied the whole `RunState` on every lookup, the main cost of a pass over a large DAG.
    func node(named name: String) -> NodeStatus? {
        guard let id = state.idByName[name] else { return nil }
        return state.nodes[id]
    }

    func node(id: String) -> NodeStatus? { state.nodes[id] }

    init(reconciler: Reconciler, state: consuming RunState, now: Date) {
        self.reconciler = reconciler
        self.state = state
        self.now = now
    }

    var name: String { workflow.name }

    // MARK: - Pass

    func run() {
        if state.phase?.isFinished == true { return }
        if state.phase == nil || state.phase == .pending {
            if let sync = workflow.spec.synchronization, workflow.spec.shutdown == nil {
                // The whole workflow waits (Pending) until it holds its locks.
                if let waiting = acquire(sync, holder: workflow.metadata.uid ?? name) {
                    if state.phase != .pending || state.message != waiting {
                        state.phase = .pending
                        state.message = waiting
                        state.markHeaderChanged()
                    }
                    outcome.wake(at: now.addingTimeInterval(Self.lockRetrySeconds))
                    return
                }
                state.message = nil
            }
            state.phase = .running
            state.startedAt = state.startedAt ?? now
            state.markHeaderChanged()
        }
        buildGlobals()
        checkShutdownAndDeadline()
        if let stopped = shutdownMessage, self.node(named: name) == nil {
            // Stopped before anything started: nothing will, so the workflow ends here.
            finish(.failed, message: stopped)
            return
        }

        let spec = workflow.spec
        guard let entrypoint = spec.entrypoint, !entrypoint.isEmpty else {
            finish(.error, message: "spec.entrypoint is required")
            return
        }
        let root = executeTemplate(
            nodeName: name, displayName: name, templateName: entrypoint, arguments: spec.arguments,
            boundaryID: nil, scope: globals)
        guard let root, root.phase.isFinished else {
            updateProgress()
            return
        }
        var phase = workflowPhase(for: root)
        var message = phase == .succeeded ? nil : root.message

        if let exitHandler = exitHandlerTemplate(), !isTerminating {
            // Exit handlers run after a stop or a deadline too: lift the stop for their subtree.
            let stopped = shutdownMessage
            shutdownMessage = nil
            defer { shutdownMessage = stopped }
            var scope = globals
            scope["workflow.status"] = .string(phase.rawValue)
            scope["workflow.failures"] = .string(failuresJSON())
            let exitNode = executeTemplate(
                nodeName: "\(name).onExit", displayName: "\(name).onExit", templateName: exitHandler.template,
                arguments: exitHandler.arguments, boundaryID: nil, scope: scope)
            guard let exitNode, exitNode.phase.isFinished else {
                updateProgress()
                return
            }
            if phase == .succeeded, exitNode.phase.isUnsuccessful {
                phase = exitNode.phase == .error ? .error : .failed
                message = exitNode.message
            }
        }
        if let shutdownMessage, phase != .succeeded { message = shutdownMessage }
        finish(phase, message: message)
    }

    func workflowPhase(for root: NodeStatus) -> WorkflowPhase {
        switch root.phase {
        case .failed: .failed
        case .error: .error
        default: .succeeded
        }
    }

    /// How often a step or workflow waiting for a lock looks again.
    static let lockRetrySeconds = 0.5

    /// Takes a synchronization block's locks for `holder`: nil when held, else the waiting message.
    func acquire(_ sync: Synchronization, holder: String) -> String? {
        guard let locks else { return "synchronization needs a controller with a lock store" }
        do {
            return try locks.acquire(
                sync.locks, holder: holder, namespace: workflow.namespace, priority: workflow.spec.priority ?? 0,
                now: now)
        } catch {
            return "cannot take the lock: \(error)"
        }
    }

    func finish(_ phase: WorkflowPhase, message: String?) {
        // A finished workflow runs no step: stop any still running (a group that errored early).
        for node in state.nodes.values where node.type == .pod && node.phase == .running {
            failRunningPod(node, message: "Stopped: the workflow finished (\(phase.rawValue))")
        }
        // A finished workflow holds no lock, its own or its steps'.
        if let locks { try? locks.release(holder: workflow.metadata.uid ?? name) }
        state.phase = phase
        state.message = message
        state.finishedAt = now
        state.markHeaderChanged()
        updateProgress()
    }

    func updateProgress() {}

    /// The workflow's exit handler: `spec.onExit`, or the `exit` hook of `spec.hooks`.
    func exitHandlerTemplate() -> (template: String, arguments: Arguments?)? {
        if let t = workflow.spec.onExit, !t.isEmpty { return (t, nil) }
        if let hook = workflow.spec.hooks?["exit"], let t = hook.template { return (t, hook.arguments) }
        return nil
    }

    // MARK: - Shutdown and deadline

    func checkShutdownAndDeadline() {
        let spec = workflow.spec
        if let strategy = spec.shutdown, !strategy.isEmpty {
            shutdownMessage = "Stopped with strategy '\(strategy)'"
            isTerminating = strategy == "Terminate"
        } else if let seconds = spec.activeDeadlineSeconds, let started = state.startedAt {
            let deadline = started.addingTimeInterval(Double(seconds))
            if now >= deadline {
                shutdownMessage = "Step exceeded its deadline"
            } else {
                outcome.wake(at: deadline)
            }
        }
        guard let message = shutdownMessage else { return }
        // The workflow's exit handler runs after a stop or a deadline: it is not stopped itself.
        let exitPrefix = "\(name).onExit"
        for node in state.nodes.values where !node.phase.isFinished {
            if !isTerminating, node.name.hasPrefix(exitPrefix) { continue }
            switch node.type {
            case .pod:
                failRunningPod(node, message: message)
            case .suspend:
                state.update(named: node.name) {
                    $0.phase = .failed
                    $0.message = message
                    $0.finishedAt = now
                }
            default: break
            }
        }
    }

    func failRunningPod(_ node: NodeStatus, message: String) {
        state.update(named: node.name) {
            $0.phase = .failed
            $0.message = message
            $0.finishedAt = now
        }
        outcome.actions.append(.kill(nodeID: node.id, podName: node.podName ?? node.id, reason: message))
    }

    // MARK: - Globals

    func buildGlobals() {
        var g =
            reconciler.cache.staticGlobals()
            ?? {
                let fixed = staticGlobals()
                reconciler.cache.setStaticGlobals(fixed)
                return fixed
            }()
        // `now()` and every date function in expressions read the pass's clock, never the system's.
        g.currentTime = now
        if let started = state.startedAt {
            g["workflow.duration"] = .string(Self.fixedSix(now.timeIntervalSince(started)))
        }
        g["workflow.status"] = .string((state.phase ?? .running).rawValue)
        for (k, v) in state.outputs { g["workflow.outputs.parameters.\(k)"] = .string(v) }
        globals = g
    }

    /// The `workflow.*` variables that never change during a run (computed once, then cached).
    func staticGlobals() -> VariableScope {
        var g = VariableScope()
        let meta = workflow.metadata
        g["workflow.name"] = .string(name)
        g["workflow.namespace"] = .string(workflow.namespace)
        g["workflow.uid"] = .string(meta.uid ?? "")
        g["workflow.serviceAccountName"] = .string(workflow.spec.serviceAccountName ?? "default")
        g["workflow.mainEntrypoint"] = .string(workflow.spec.entrypoint ?? "")
        g["workflow.priority"] = .string(String(workflow.spec.priority ?? 0))
        if let created = meta.creationTimestamp {
            g["workflow.creationTimestamp"] = .string(Timestamp.format(created))
            g["workflow.creationTimestamp.RFC3339"] = .string(Timestamp.format(created))
            for (letter, value) in Strftime.fields(created) {
                g["workflow.creationTimestamp.\(letter)"] = .string(value)
            }
        }
        for (k, v) in meta.labels ?? [:] { g["workflow.labels.\(k)"] = .string(v) }
        for (k, v) in meta.annotations ?? [:] { g["workflow.annotations.\(k)"] = .string(v) }
        g["workflow.labels.json"] = .string(Self.sortedJSON(meta.labels ?? [:]))
        g["workflow.annotations.json"] = .string(Self.sortedJSON(meta.annotations ?? [:]))
        var all: [JSONValue] = []
        for p in workflow.spec.arguments?.parameters ?? [] {
            var v = p.value ?? p.default ?? ""
            // Workflow arguments may use `{{workflow.*}}` and `{{=…}}` (evaluated over the workflow's variables).
            if v.contains("{{") { v = (try? Substitution.substitute(v, in: g, unresolved: .keep)) ?? v }
            g["workflow.parameters.\(p.name)"] = .string(v)
            all.append(["name": .string(p.name), "value": .string(v)])
        }
        g["workflow.parameters"] = .string(JSONValue.array(all).compactJSON)
        g["workflow.parameters.json"] = .string(JSONValue.array(all).compactJSON)
        return g
    }

    /// `seconds` as C's and Go's `%f` print it (six decimals), without the cost of `String(format:)` on every pass.
    static func fixedSix(_ seconds: Double) -> String {
        guard seconds.isFinite, abs(seconds) < 1e12 else { return String(format: "%f", seconds) }
        let micros = Int64((abs(seconds) * 1_000_000).rounded())
        let fraction = String(micros % 1_000_000)
        return (seconds < 0 && micros > 0 ? "-" : "") + String(micros / 1_000_000) + "."
            + String(repeating: "0", count: 6 - fraction.count) + fraction
    }

    static func sortedJSON(_ map: [String: String]) -> String {
        JSONValue.object(
            .init(uniqueKeysWithValues: map.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) })
        )
        .compactJSON
    }

    /// `workflow.failures`: the failed and errored nodes, as Argo lists them for exit handlers.
    func failuresJSON() -> String {
        let failed = state.nodes.values.filter { $0.phase.isUnsuccessful }
            .sorted { ($0.finishedAt ?? .distantPast, $0.name) < ($1.finishedAt ?? .distantPast, $1.name) }
        let list: [JSONValue] = failed.map { n in
            [
                "displayName": .string(n.displayName), "message": .string(n.message ?? ""),
                "templateName": .string(n.templateName ?? ""), "phase": .string(n.phase.rawValue),
                "podName": .string(n.podName ?? ""),
                "finishedAt": .string(n.finishedAt.map(Timestamp.format) ?? ""),
            ]
        }
        return JSONValue.array(list).compactJSON
    }

    // MARK: - Nodes

    /// Creates a node (or returns the existing one of that name).
    @discardableResult
    func initializeNode(
        name nodeName: String, displayName: String, type: NodeType, templateName: String?, boundaryID: String?,
        phase: NodePhase, message: String? = nil
    ) -> NodeStatus {
        if let existing = self.node(named: nodeName) { return existing }
        var node = NodeStatus(
            id: Workflow.nodeID(workflowName: name, nodeName: nodeName), name: nodeName, displayName: displayName,
            type: type, phase: phase)
        // A template brought in from a WorkflowTemplate shows as Argo shows it: a templateRef, no name.
        if let key = templateName, let ref = TemplateRef(key: key) {
            node.templateRef = ref
        } else {
            node.templateName = templateName
        }
        node.templateScope = "local/\(name)"
        node.boundaryID = boundaryID
        node.message = message
        node.startedAt = now
        if phase.isFinished { node.finishedAt = now }
        state.set(node)
        return node
    }

    /// Sets a node's phase (and message); finishing stamps `finishedAt`.
    @discardableResult
    func markPhase(_ nodeName: String, _ phase: NodePhase, message: String? = nil) -> NodeStatus? {
        guard self.node(named: nodeName) != nil else { return nil }
        state.update(named: nodeName) { n in
            n.phase = phase
            if let message { n.message = message }
            if phase.isFinished, n.finishedAt == nil { n.finishedAt = now }
            if !phase.isFinished { n.finishedAt = nil }
        }
        return self.node(named: nodeName)
    }

    func addChild(_ parentName: String, _ childName: String) {
        guard let child = self.node(named: childName) else { return }
        state.appendChild(parentName: parentName, childID: child.id)
    }

    /// Argo's pod name: `<workflow>-<template>-<hash of node name>`, or the workflow name for a root pod.
    func podName(nodeName: String, templateName key: String) -> String {
        if nodeName == name { return name }
        let templateName = TemplateRef(key: key)?.template ?? key
        let id = Workflow.nodeID(workflowName: name, nodeName: nodeName)
        let hash = id.dropFirst(name.count + 1)
        var prefix = "\(name)-\(templateName)"
        if prefix.count > 242 { prefix = String(prefix.prefix(242)) }
        return "\(prefix)-\(hash)"
    }

    /// The ids of nodes that lead out of `nodeID` (Argo's outbound nodes), for connecting the next nodes.
    func outboundNodes(_ nodeID: String) -> [String] {
        guard let node = self.node(id: nodeID) else { return [] }
        switch node.type {
        case .skipped, .suspend, .pod, .container:
            return [node.id]
        case .taskGroup:
            let children = node.children ?? []
            if children.isEmpty { return [node.id] }
            return children.flatMap { outboundNodes($0) }
        case .retry:
            if let last = node.children?.last { return [last] }
        default: break
        }
        let out = (node.outboundNodes ?? []).flatMap { outboundNodes($0) }
        return out.isEmpty ? [nodeID] : out
    }
}
