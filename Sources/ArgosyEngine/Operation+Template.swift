import ArgosyExpressions
import ArgosyModel
import Foundation

extension Operation {
    /// Executes (or advances) the template `templateName` as node `nodeName`. Returns nil when the node could
    /// not start yet (parallelism, shutdown, workflow suspended).
    func executeTemplate(
        nodeName: String, displayName: String, templateName: String?, arguments: Arguments?, boundaryID: String?,
        scope: VariableScope
    ) -> NodeStatus? {
        var existing = self.node(named: nodeName)
        if let node = existing {
            if node.phase.isFinished { return node }
            // A running step's inputs were resolved when it started; all a pass does for it is watch it.
            if node.type == .pod, node.phase == .running { return watch(node) }
        }
        guard let templateName, let template = reconciler.templates[templateName] else {
            let what = templateName.map { "template '\($0)' not found" } ?? "no template given"
            return initializeNode(
                name: nodeName, displayName: displayName, type: .skipped, templateName: templateName,
                boundaryID: boundaryID, phase: .error, message: what)
        }
        if existing == nil, shutdownMessage != nil { return nil }
        if existing == nil, state.nodes.count >= reconciler.limits.nodesPerWorkflow {
            return initializeNode(
                name: nodeName, displayName: displayName, type: nodeType(for: template), templateName: templateName,
                boundaryID: boundaryID, phase: .error, message: nodeLimitMessage)
        }
        // A plain step that the workflow's `parallelism` holds back would be resolved only to be refused by
        // executePod: with thousands of ready tasks waiting for a slot, that work was most of a pass.
        if existing == nil, let limit = reconciler.workflow.spec.parallelism, activePods >= limit,
            startsOnlyAPod(template, arguments)
        {
            return nil
        }

        let inputs: Inputs
        do {
            inputs = try resolveInputs(template: template, arguments: arguments, scope: scope)
        } catch {
            return initializeNode(
                name: nodeName, displayName: displayName, type: nodeType(for: template), templateName: templateName,
                boundaryID: boundaryID, phase: .error, message: error.description)
        }
        var localScope = scope
        addInputs(inputs, to: &localScope)

        if let sync = template.synchronization, existing == nil || existing?.phase == .pending {
            if existing == nil, shutdownMessage != nil { return nil }
            let id = Workflow.nodeID(workflowName: name, nodeName: nodeName)
            if let waiting = acquire(sync, holder: lockHolder(id)) {
                // Shown as Argo shows it: a Pending node saying which lock it waits for.
                if existing == nil {
                    existing = initializeNode(
                        name: nodeName, displayName: displayName, type: nodeType(for: template),
                        templateName: templateName,
                        boundaryID: boundaryID, phase: .pending, message: waiting)
                } else if existing?.message != waiting {
                    state.update(named: nodeName) { $0.message = waiting }
                }
                outcome.wake(at: now.addingTimeInterval(Self.lockRetrySeconds))
                return self.node(named: nodeName)
            }
            if let pending = existing {
                // The lock is ours: the waiting placeholder makes way for the real node.
                state.remove(id: pending.id)
                existing = nil
            }
        }

        if existing == nil, let b = boundaryID, let limit = boundaryParallelism(b),
            state.activeChildren[b, default: 0] >= limit
        {
            return nil
        }

        var memoStatus: MemoizationStatus?
        if let memoize = template.memoize, existing == nil {
            switch lookUpMemo(memoize, scope: localScope) {
            case .hit(let status, let outputs):
                let node = initializeNode(
                    name: nodeName, displayName: displayName, type: nodeType(for: template), templateName: templateName,
                    boundaryID: boundaryID, phase: .succeeded,
                    message: "memoized: reused the outputs saved for key '\(status.key)'")
                state.update(named: nodeName) {
                    $0.outputs = outputs
                    $0.memoizationStatus = status
                    if inputs.parameters != nil { $0.inputs = inputs }
                }
                return self.node(named: node.name)
            case .miss(let status):
                memoStatus = status
            case .failure(let message):
                return initializeNode(
                    name: nodeName, displayName: displayName, type: nodeType(for: template), templateName: templateName,
                    boundaryID: boundaryID, phase: .error, message: message)
            }
        }
        let node = executeRunnable(
            nodeName: nodeName, displayName: displayName, template: template, inputs: inputs, boundaryID: boundaryID,
            scope: localScope)
        if let memoStatus, node != nil { state.update(named: nodeName) { $0.memoizationStatus = memoStatus } }
        return self.node(named: nodeName) ?? node
    }

    /// Why a node was not created: the workflow has as many as `limits.nodesPerWorkflow` allows.
    var nodeLimitMessage: String {
        "the workflow has reached the limit of \(reconciler.limits.nodesPerWorkflow) nodes (limits.nodesPerWorkflow)"
    }

    /// Runs a template's work, through its retry strategy when it has one.
    func executeRunnable(
        nodeName: String, displayName: String, template: Template, inputs: Inputs, boundaryID: String?,
        scope localScope: VariableScope
    ) -> NodeStatus? {
        if let retry = template.retryStrategy ?? workflow.spec.retryStrategy {
            return executeWithRetries(
                nodeName: nodeName, displayName: displayName, template: template, retry: retry, inputs: inputs,
                boundaryID: boundaryID, scope: localScope)
        }
        return executeBody(
            nodeName: nodeName, displayName: displayName, template: template, inputs: inputs, boundaryID: boundaryID,
            scope: localScope)
    }

    enum MemoLookup {
        case hit(MemoizationStatus, Outputs?)
        case miss(MemoizationStatus)
        case failure(String)
    }

    /// Looks a memoized template's key up in its cache (entries older than `maxAge` do not count).
    func lookUpMemo(_ memoize: Memoize, scope: VariableScope) -> MemoLookup {
        guard let memo else { return .failure("memoize needs a controller with a cache store") }
        let key: String
        do {
            key = try substitute(memoize.key, scope, what: "memoize.key")
        } catch {
            return .failure(error.description)
        }
        let status = MemoizationStatus(hit: false, key: key, cacheName: memoize.cache.configMap.name)
        do {
            guard let entry = try memo.load(namespace: workflow.namespace, cache: status.cacheName, key: key) else {
                return .miss(status)
            }
            if let ageText = memoize.maxAge {
                let text = (try? substitute(ageText, scope, what: "memoize.maxAge")) ?? ageText
                guard let age = ArgoDuration.seconds(text) else {
                    return .failure("memoize.maxAge: invalid duration '\(text)'")
                }
                if now.timeIntervalSince(entry.savedAt) > age { return .miss(status) }
            }
            var hit = status
            hit.hit = true
            return .hit(hit, entry.outputs)
        } catch {
            return .failure("memoize: cannot read cache '\(status.cacheName)': \(error)")
        }
    }

    /// After a walk: nodes that finished give back their locks and save memoized outputs.
    func settleFinishedNodes() {
        for id in state.changedNodeIDs {
            guard let node = self.node(id: id), node.phase.isFinished, let template = reconciler.template(for: node)
            else {
                continue
            }
            if template.synchronization != nil, let locks { try? locks.release(holder: lockHolder(id)) }
            if let status = node.memoizationStatus, !status.hit, node.phase == .succeeded, let memo {
                try? memo.save(
                    namespace: workflow.namespace, cache: status.cacheName, key: status.key, nodeID: id,
                    outputs: node.outputs, now: now)
            }
        }
    }

    /// The holder name of a node's locks: `<workflow uid>/<node id>`.
    func lockHolder(_ nodeID: String) -> String { "\(workflow.metadata.uid ?? name)/\(nodeID)" }

    /// The `parallelism` of the steps or DAG template that owns boundary node `boundaryID`.
    func boundaryParallelism(_ boundaryID: String) -> Int? {
        guard let boundary = self.node(id: boundaryID) else { return nil }
        return reconciler.template(for: boundary)?.parallelism
    }

    func nodeType(for template: Template) -> NodeType {
        switch template.kind {
        case .steps: .steps
        case .dag: .dag
        case .suspend: .suspend
        default: .pod
        }
    }

    /// Runs the template's own kind of work as node `nodeName`.
    func executeBody(
        nodeName: String, displayName: String, template: Template, inputs: Inputs, boundaryID: String?,
        scope: VariableScope
    ) -> NodeStatus? {
        switch template.kind {
        case .container, .script:
            return executePod(
                nodeName: nodeName, displayName: displayName, template: template, inputs: inputs,
                boundaryID: boundaryID, scope: scope)
        case .steps:
            return executeSteps(
                nodeName: nodeName, displayName: displayName, template: template, inputs: inputs,
                boundaryID: boundaryID, scope: scope)
        case .dag:
            return executeDAG(
                nodeName: nodeName, displayName: displayName, template: template, inputs: inputs,
                boundaryID: boundaryID, scope: scope)
        case .suspend:
            return executeSuspend(
                nodeName: nodeName, displayName: displayName, template: template, inputs: inputs,
                boundaryID: boundaryID, scope: scope)
        case let other:
            let message =
                other.map { "template '\(template.name)': \($0.rawValue) templates are not supported by Argosy" }
                ?? "template '\(template.name)' has no container, script, steps, dag or suspend"
            return initializeNode(
                name: nodeName, displayName: displayName, type: .skipped, templateName: template.name,
                boundaryID: boundaryID, phase: .error, message: message)
        }
    }

    // MARK: - Inputs

    /// Matches arguments to the template's input parameters: argument, else default, else the input's value.
    /// True when starting `template` with `arguments` does nothing but start one pod once the workflow's
    /// `parallelism` has a slot: no memoization, locks or retries, and inputs that cannot fail to resolve. Such a
    /// step may be refused early while the pods are at their limit, with no difference but the work saved.
    func startsOnlyAPod(_ template: Template, _ arguments: Arguments?) -> Bool {
        template.runsProcess && template.memoize == nil && template.synchronization == nil
            && template.retryStrategy == nil && reconciler.workflow.spec.retryStrategy == nil
            && inputsCannotFail(template, arguments)
    }

    /// True when `resolveInputs` cannot fail for these arguments: every input is supplied or has a literal
    /// default, and none is limited to an `enum` (so refusing the step for now only delays, never hides, an error).
    func inputsCannotFail(_ template: Template, _ arguments: Arguments?) -> Bool {
        for input in template.inputs?.parameters ?? [] {
            if let allowed = input.enum, !allowed.isEmpty { return false }
            let raw = arguments?.parameters?.first { $0.name == input.name }?.value ?? input.default ?? input.value
            guard let raw, !raw.contains("{{") else { return false }
        }
        return true
    }

    func resolveInputs(template: Template, arguments: Arguments?, scope: VariableScope) throws(EngineError) -> Inputs {
        var resolved: [Parameter] = []
        for input in template.inputs?.parameters ?? [] {
            let argument = arguments?.parameters?.first { $0.name == input.name }
            guard let raw = argument?.value ?? input.default ?? input.value else {
                throw EngineError("inputs.parameters.\(input.name) was not supplied")
            }
            let value = try substitute(raw, scope, what: "inputs.parameters.\(input.name)")
            let limit = reconciler.limits.parameterBytes
            if value.utf8.count > limit {
                throw EngineError(
                    "inputs.parameters.\(input.name): the value is \(value.utf8.count) bytes, more than the limit of \(limit) (limits.parameterBytes)"
                )
            }
            if let allowed = input.enum, !allowed.isEmpty, !allowed.contains(value) {
                throw EngineError(
                    "inputs.parameters.\(input.name): value '\(value)' is not one of \(allowed.joined(separator: ", "))"
                )
            }
            var p = Parameter(name: input.name, value: value)
            p.description = input.description
            resolved.append(p)
        }
        return Inputs(parameters: resolved.isEmpty ? nil : resolved)
    }

    func addInputs(_ inputs: Inputs, to scope: inout VariableScope) {
        var list: [JSONValue] = []
        for p in inputs.parameters ?? [] {
            scope["inputs.parameters.\(p.name)"] = .string(p.value ?? "")
            list.append(["name": .string(p.name), "value": .string(p.value ?? "")])
        }
        scope["inputs.parameters"] = .string(JSONValue.array(list).compactJSON)
    }

    /// Replaces every `{{…}}` in `text`; an unknown variable is an error naming `what`.
    func substitute(_ text: String, _ scope: VariableScope, what: String) throws(EngineError) -> String {
        guard text.contains("{{") else { return text }
        do {
            return try Substitution.substitute(text, in: scope, unresolved: .fail)
        } catch {
            throw EngineError("\(what): \(error.message)")
        }
    }

    // MARK: - Retries

    func executeWithRetries(
        nodeName: String, displayName: String, template: Template, retry: RetryStrategy, inputs: Inputs,
        boundaryID: String?, scope: VariableScope
    ) -> NodeStatus? {
        if self.node(named: nodeName) == nil {
            if shutdownMessage != nil { return nil }
            if template.runsProcess, let limit = workflow.spec.parallelism, activePods >= limit { return nil }
            if workflow.spec.suspend == true { return nil }
            initializeNode(
                name: nodeName, displayName: displayName, type: .retry, templateName: template.name,
                boundaryID: boundaryID, phase: .running)
            state.update(named: nodeName) { $0.inputs = inputs.parameters == nil ? nil : inputs }
        }
        // At most one new attempt per pass: a retry loop advances when its attempt reports.
        for _ in 0..<2 {
            guard let retryNode = self.node(named: nodeName) else { return nil }
            // The first and the last attempt are all a decision reads: a long retry loop costs no more per pass.
            let children = retryNode.children ?? []
            let last = children.last.flatMap { self.node(id: $0) }
            var attemptNumber = children.count
            if let last, !last.phase.isFinished {
                attemptNumber = children.count - 1
            } else if let last {
                let firstStart = children.first.flatMap { self.node(id: $0) }?.startedAt
                switch retryDecision(
                    attempts: children.count, firstStartedAt: firstStart, last: last, retry: retry, scope: scope)
                {
                case .finish(let phase, let message):
                    state.update(named: nodeName) { $0.outputs = last.outputs }
                    return markPhase(nodeName, phase, message: message)
                case .wait(let until, let message):
                    outcome.wake(at: until)
                    return markPhase(nodeName, .running, message: message)
                case .retry:
                    break
                }
            }
            let attemptName = "\(nodeName)(\(attemptNumber))"
            var attemptScope = scope
            attemptScope["retries"] = .string(String(attemptNumber))
            attemptScope["lastRetry.exitCode"] = .string(last?.outputs?.exitCode ?? "0")
            attemptScope["lastRetry.status"] = .string(last?.phase.rawValue ?? "")
            attemptScope["lastRetry.message"] = .string(last?.message ?? "")
            attemptScope["lastRetry.duration"] = .string(
                last.map { String(($0.finishedAt ?? now).timeIntervalSince($0.startedAt ?? now)) } ?? "0")
            if self.node(named: attemptName) == nil, state.nodes.count >= reconciler.limits.nodesPerWorkflow {
                return markPhase(nodeName, .error, message: nodeLimitMessage)
            }
            if self.node(named: attemptName) == nil, retryNode.message != nil {
                state.update(named: nodeName) { $0.message = nil }
            }
            let attempt = executeBody(
                nodeName: attemptName, displayName: "\(displayName)(\(attemptNumber))", template: template,
                inputs: inputs, boundaryID: boundaryID, scope: attemptScope)
            guard let attempt else { return self.node(named: nodeName) }
            addChild(nodeName, attemptName)
            if !attempt.phase.isFinished { return self.node(named: nodeName) }
        }
        outcome.wake(at: now)
        return self.node(named: nodeName)
    }

    /// Errors `retryPolicy: OnTransientError` retries: a step whose process was lost (Argo's deleted pod: a
    /// controller or machine restart), and errors that say they are transient.
    static func isTransient(_ message: String?) -> Bool {
        guard let message else { return false }
        return message.hasPrefix("pod deleted") || message.hasPrefix("transient:")
    }

    enum RetryDecision {
        case finish(NodePhase, String?)
        case wait(until: Date, message: String)
        case retry
    }

    /// Whether to retry after `attempts` attempts, the last of which is `last` and the first started at
    /// `firstStartedAt`.
    func retryDecision(
        attempts: Int, firstStartedAt: Date?, last: NodeStatus, retry: RetryStrategy, scope: VariableScope
    ) -> RetryDecision {
        if !last.phase.isUnsuccessful { return .finish(.succeeded, nil) }
        if let shutdownMessage { return .finish(last.phase, shutdownMessage) }
        // As in Argo, an expression without a policy retries whatever the failure (it decides itself).
        let policy = retry.retryPolicy ?? (retry.expression?.isEmpty == false ? "Always" : "OnFailure")
        let retryable: Bool
        switch policy {
        case "Always": retryable = true
        case "OnError": retryable = last.phase == .error
        case "OnTransientError": retryable = last.phase == .error && Self.isTransient(last.message)
        default: retryable = last.phase == .failed
        }
        if !retryable { return .finish(last.phase, last.message) }
        if let limitValue = retry.limit {
            let limitText = (try? substitute(limitValue.description, scope, what: "retryStrategy.limit")) ?? "0"
            let limit = Int(limitText) ?? 0
            if attempts > limit { return .finish(last.phase, "No more retries left") }
        }
        if let expression = retry.expression, !expression.isEmpty {
            var s = scope
            s["lastRetry.exitCode"] = .string(last.outputs?.exitCode ?? "-1")
            s["lastRetry.status"] = .string(last.phase.rawValue)
            s["lastRetry.message"] = .string(last.message ?? "")
            s["lastRetry.duration"] = .string(
                String((last.finishedAt ?? now).timeIntervalSince(last.startedAt ?? now)))
            s["retries"] = .string(String(attempts - 1))
            do {
                let value = try Expression(expression).evaluate(in: s)
                if !(value.truthy) { return .finish(last.phase, "retryStrategy.expression evaluated to false") }
            } catch {
                return .finish(.error, "retryStrategy.expression: \(error.message)")
            }
        }
        if let backoff = retry.backoff {
            var maxDeadline: Date?
            if let maxText = backoff.maxDuration, let max = ArgoDuration.seconds(maxText), let first = firstStartedAt {
                maxDeadline = first.addingTimeInterval(max)
                if now >= maxDeadline! { return .finish(last.phase, "Max duration limit exceeded") }
            }
            let base = backoff.duration.flatMap(ArgoDuration.seconds) ?? 0
            var wait = base
            if let factorText = backoff.factor?.description, let factor = Double(factorText), factor > 0 {
                wait = base * pow(factor, Double(attempts - 1))
            }
            if let capText = backoff.cap, let cap = ArgoDuration.seconds(capText) { wait = min(wait, cap) }
            wait = min(wait, ArgoDuration.maxSeconds)  // a large factor must not reach an infinite date
            let until = (last.finishedAt ?? now).addingTimeInterval(wait)
            if let maxDeadline, until > maxDeadline {
                return .finish(last.phase, "Backoff would exceed max duration limit")
            }
            if now < until { return .wait(until: until, message: "Backoff for \(ArgoDuration.humanize(wait))") }
        }
        return .retry
    }

    // MARK: - Suspend

    func executeSuspend(
        nodeName: String, displayName: String, template: Template, inputs: Inputs, boundaryID: String?,
        scope: VariableScope
    ) -> NodeStatus? {
        var node = self.node(named: nodeName)
        if node == nil {
            if shutdownMessage != nil { return nil }
            node = initializeNode(
                name: nodeName, displayName: displayName, type: .suspend, templateName: template.name,
                boundaryID: boundaryID, phase: .running)
            if inputs.parameters != nil { state.update(named: nodeName) { $0.inputs = inputs } }
        }
        guard let node, !node.phase.isFinished else { return node }
        if let durationText = template.suspend?.duration, !durationText.isEmpty {
            guard let text = try? substitute(durationText, scope, what: "suspend.duration"),
                let seconds = ArgoDuration.seconds(text)
            else {
                return markPhase(nodeName, .error, message: "suspend.duration: invalid duration '\(durationText)'")
            }
            let until = (node.startedAt ?? now).addingTimeInterval(seconds)
            if now >= until {
                reconciler.resumeNode(&state, id: node.id, now: now)
                return self.node(named: nodeName)
            }
            outcome.wake(at: until)
        }
        return node
    }
}

extension Reconciler {
    func resumeNode(_ state: inout RunState, id: String, now: Date) {
        guard let node = state.node(id: id) else { return }
        _ = resume(&state, nodeName: node.name, now: now)
    }
}

/// A failure while resolving a template for a node; becomes the node's message.
struct EngineError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension JSONValue {
    /// expr-lang truthiness for `retryStrategy.expression` and hook expressions.
    var truthy: Bool {
        switch self {
        case .bool(let b): b
        case .string(let s): s == "true"
        case .null: false
        default: true
        }
    }
}
