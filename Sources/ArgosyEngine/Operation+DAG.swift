import ArgosyExpressions
import ArgosyModel
import Foundation

/// Per-pass facts about one DAG template.
struct DAGContext {
    let nodeName: String
    let nodeID: String
    let template: Template
    let tasks: [String: DAGTask]
    /// Each task's dependencies and its `depends` logic (from `depends`, or built from `dependencies`).
    let dependencies: [String: [String]]
    let logic: [String: DependsExpression]
    let scope: VariableScope
    let order: [String]
    let position: [String: Int]
    let progress: DAGProgress
    /// The scope with every task's variables; rebuilt after a task node is created.
    var cachedTaskScope: VariableScope?
    /// Fail fast (the default): once a task failed, start no new task.
    var blocked = false

    func taskNodeName(_ task: String) -> String { "\(nodeName).\(task)" }
}

extension Operation {
    /// A `dag` template: tasks run when their dependencies allow.
    func executeDAG(
        nodeName: String, displayName: String, template: Template, inputs: Inputs, boundaryID: String?,
        scope: VariableScope
    ) -> NodeStatus? {
        var node = self.node(named: nodeName)
        if node == nil {
            if shutdownMessage != nil { return nil }
            node = initializeNode(
                name: nodeName, displayName: displayName, type: .dag, templateName: template.name,
                boundaryID: boundaryID, phase: .running)
            if inputs.parameters != nil { state.update(named: nodeName) { $0.inputs = inputs } }
        }
        guard let dagNode = node, !dagNode.phase.isFinished, let dag = template.dag else { return node }

        let compiled: CompiledDAG
        do {
            var target = dag.target
            if let t = target, t.contains("{{") { target = try substitute(t, scope, what: "dag.target") }
            compiled = try compileDAG(template, dag, target: target)
        } catch {
            return markPhase(nodeName, .error, message: error.description)
        }
        let tasks = compiled.tasks
        let targets = compiled.targets
        let progress = reconciler.cache.dagProgress(nodeName, tasks: compiled.order.count)
        var context = DAGContext(
            nodeName: nodeName, nodeID: dagNode.id, template: template, tasks: tasks,
            dependencies: compiled.dependencies, logic: compiled.logic, scope: scope, order: compiled.order,
            position: compiled.position, progress: progress)
        // Fail fast (the default): once a target's branch has failed, start nothing new.
        if dag.failFast ?? true, state.unsuccessfulChildren[dagNode.id, default: 0] > 0 {
            let phases = targetBranchPhases(targets: targets, context: context)
            context.blocked = targets.contains { t in
                guard let p = phases[t], p.isUnsuccessful else { return false }
                return !continues(tasks[t]?.continueOn, p)
            }
        }
        // Dependencies come before the tasks that need them, so one walk in order sees every change of this pass.
        // A task known done, or still waiting for a dependency that has not finished, costs a look at an array.
        let podLimit = reconciler.workflow.spec.parallelism
        for index in compiled.order.indices where !progress.done[index] {
            let waited = progress.waitingFor[index]
            if waited >= 0 {
                guard let id = progress.nodeIDs[waited], self.node(id: id)?.phase.isFinished == true else { continue }
                progress.waitingFor[index] = -1
            }
            // A plain step ready to start while the workflow's pods are at their limit: it would only be refused.
            if let podLimit, activePods >= podLimit, progress.ready[index], progress.nodeIDs[index] == nil,
                isPlainStep(index, context)
            {
                continue
            }
            executeTask(index, &context)
            if progress.nodeIDs[index] == nil {
                progress.nodeIDs[index] = self.node(named: context.taskNodeName(compiled.order[index]))?.id
            }
        }

        let phase = assessDAGPhase(targets: targets, context: context)
        switch phase {
        case .running, .pending:
            return self.node(named: nodeName)
        case .failed, .error:
            updateOutboundNodes(dagName: nodeName, targets: targets, context: context)
            return markPhase(nodeName, phase, message: shutdownMessage)
        default:
            break
        }
        var outputScope = scope
        for task in dag.tasks {
            guard let taskNode = self.node(named: context.taskNodeName(task.name)) else { continue }
            addTaskScope(task.name, taskNode, to: &outputScope)
        }
        updateOutboundNodes(dagName: nodeName, targets: targets, context: context)
        do {
            if let outputs = try templateOutputs(template, scope: outputScope) {
                state.update(named: nodeName) { $0.outputs = outputs }
            }
        } catch {
            return markPhase(nodeName, .error, message: error.description)
        }
        return markPhase(nodeName, .succeeded)
    }

    /// The DAG's shape (tasks, dependencies, depends logic, targets), computed once per template.
    func compileDAG(_ template: Template, _ dag: DAGTemplate, target: String?) throws(EngineError) -> CompiledDAG {
        let cacheKey = template.name + "\u{0}" + (target ?? "")
        if let cached = reconciler.cache.dag(cacheKey) { return cached }
        var tasks: [String: DAGTask] = [:]
        var dependencies: [String: [String]] = [:]
        var logic: [String: DependsExpression] = [:]
        for task in dag.tasks { tasks[task.name] = task }
        for task in dag.tasks {
            let (deps, expression) = try dependsLogic(task, tasks: tasks)
            dependencies[task.name] = deps
            if let expression { logic[task.name] = expression }
        }
        let targets: [String]
        if let target, !target.trimmingCharacters(in: .whitespaces).isEmpty {
            targets = target.split(separator: " ").map(String.init)
        } else {
            let depended = Set(dependencies.values.flatMap { $0 })
            targets = dag.tasks.map(\.name).filter { !depended.contains($0) }.sorted()
        }
        for t in targets where tasks[t] == nil { throw EngineError("target '\(t)' is not a task of the DAG") }
        // Depth first without recursion (a chain of 10,000 tasks is 10,000 deep).
        var order: [String] = []
        var seen: Set<String> = []
        var stack: [(task: String, next: Int)] = []
        for t in targets where seen.insert(t).inserted {
            stack.append((t, 0))
            while let (task, next) = stack.last {
                let deps = dependencies[task] ?? []
                if next < deps.count {
                    stack[stack.count - 1].next += 1
                    if seen.insert(deps[next]).inserted { stack.append((deps[next], 0)) }
                } else {
                    stack.removeLast()
                    order.append(task)
                }
            }
        }
        var position: [String: Int] = [:]
        for (i, t) in order.enumerated() { position[t] = i }
        let compiled = CompiledDAG(
            tasks: tasks, order: order, position: position, dependencies: dependencies, logic: logic,
            targets: targets)
        reconciler.cache.setDAG(cacheKey, compiled)
        return compiled
    }

    /// A task's dependency names and its depends logic. `dependencies: [A]` means
    /// `(A.Succeeded || A.Skipped || A.Daemoned)`, widened by A's `continueOn`.
    func dependsLogic(_ task: DAGTask, tasks: [String: DAGTask]) throws(EngineError) -> ([String], DependsExpression?) {
        if let depends = task.depends, !depends.trimmingCharacters(in: .whitespaces).isEmpty {
            let expression: DependsExpression
            do {
                expression = try DependsExpression(depends)
            } catch {
                throw EngineError("tasks.\(task.name).depends: \(error.message)")
            }
            for d in expression.taskNames where tasks[d] == nil {
                throw EngineError("tasks.\(task.name).depends: task '\(d)' does not exist")
            }
            return (expression.taskNames, expression)
        }
        let deps = task.dependencies ?? []
        if deps.isEmpty { return ([], nil) }
        var clauses: [String] = []
        for d in deps {
            guard let depTask = tasks[d] else {
                throw EngineError("tasks.\(task.name).dependencies: task '\(d)' does not exist")
            }
            var results = ["\(d).Succeeded", "\(d).Skipped", "\(d).Daemoned"]
            if depTask.continueOn?.failed == true { results.append("\(d).Failed") }
            if depTask.continueOn?.error == true { results.append("\(d).Errored") }
            clauses.append("(" + results.joined(separator: " || ") + ")")
        }
        do {
            return (deps, try DependsExpression(clauses.joined(separator: " && ")))
        } catch {
            throw EngineError("tasks.\(task.name).dependencies: \(error.message)")
        }
    }

    func addTaskScope(_ taskName: String, _ node: NodeStatus, to scope: inout VariableScope) {
        let prefix = "tasks.\(taskName)"
        if node.type == .taskGroup {
            let children = (node.children ?? []).compactMap { self.node(id: $0) }
            addAggregateScope(prefix, children, to: &scope)
            scope["\(prefix).status"] = .string(node.phase.rawValue)
            scope["\(prefix).id"] = .string(node.id)
        } else {
            addNodeScope(prefix, node, to: &scope)
        }
    }

    /// True when starting the task is all there is to do for it: no loop, `when`, arguments to resolve or exit
    /// hook, and a template that only starts a pod (`startsOnlyAPod`).
    func isPlainStep(_ index: Int, _ context: DAGContext) -> Bool {
        if let known = context.progress.plain[index] { return known }
        var plain = false
        if let task = context.tasks[context.order[index]], task.withItems == nil, task.withParam == nil,
            task.withSequence == nil, !Self.usesVariables(task)
        {
            plain = onlyStartsAPod(task)
        }
        context.progress.plain[index] = plain
        return plain
    }

    /// True when a run of the task (or of one of its loop items) only starts a pod: no `when`, exit hook or
    /// argument from another output, and a template that only starts a pod (`startsOnlyAPod`).
    func onlyStartsAPod(_ task: DAGTask) -> Bool {
        guard task.when == nil, exitHook(onExit: task.onExit, hooks: task.hooks) == nil,
            task.arguments?.parameters?.allSatisfy({ $0.valueFrom == nil }) ?? true,
            let name = task.template, let template = reconciler.templates[name]
        else { return false }
        return startsOnlyAPod(template, task.arguments)
    }

    /// The scope a task's fields see: the DAG's scope plus every task that has a node. Built only for tasks
    /// whose fields use variables, and cached for the pass until a task node is created.
    func taskScope(_ task: DAGTask, _ context: inout DAGContext) -> VariableScope {
        guard Self.usesVariables(task) else { return context.scope }
        if let cached = context.cachedTaskScope { return cached }
        var scope = context.scope
        for name in context.tasks.keys {
            if let n = self.node(named: context.taskNodeName(name)) { addTaskScope(name, n, to: &scope) }
        }
        context.cachedTaskScope = scope
        return scope
    }

    static func usesVariables(_ task: DAGTask) -> Bool {
        if task.when?.contains("{{") == true || task.withParam?.contains("{{") == true { return true }
        if task.arguments?.parameters?.contains(where: { $0.value?.contains("{{") == true }) == true { return true }
        if task.withItems?.contains(where: { $0.compactJSON.contains("{{") }) == true { return true }
        if let sequence = task.withSequence {
            for case .string(let text)? in [sequence.count, sequence.start, sequence.end] where text.contains("{{") {
                return true
            }
            if sequence.format?.contains("{{") == true { return true }
        }
        return false
    }

    /// Executes the task at `index` of the walk order; its dependencies were executed before it.
    func executeTask(_ index: Int, _ context: inout DAGContext) {
        let taskName = context.order[index]
        guard let task = context.tasks[taskName] else { return }
        let nodeName = context.taskNodeName(taskName)
        let existing = self.node(named: nodeName)
        let what = "tasks.\(taskName)"

        if let existing, existing.phase.isFinished {
            var done = true
            if let hook = exitHook(onExit: task.onExit, hooks: task.hooks) {
                var scope = context.scope
                addTaskScope(taskName, existing, to: &scope)
                done = runExitHook(hook, for: existing, boundaryID: context.nodeID, scope: scope)
            }
            if done,
                (context.dependencies[taskName] ?? []).allSatisfy({ d in
                    context.position[d].map { context.progress.done[$0] } ?? true
                })
            {
                context.progress.done[index] = true
            }
            return
        }
        let deps = context.dependencies[taskName] ?? []

        // Once its dependencies finished, whether a task may run cannot change (finished nodes stay as they are).
        if existing == nil, !context.progress.ready[index], let logic = context.logic[taskName] {
            var outcomes: [String: TaskOutcome] = [:]
            for d in deps {
                let depName = context.taskNodeName(d)
                guard let depNode = self.node(named: depName), depNode.phase.isFinished,
                    exitHookDone(depNode, context.tasks[d])
                else {
                    if let p = context.position[d] { context.progress.waitingFor[index] = p }
                    return
                }
                let childPhases = (depNode.type == .taskGroup ? depNode.children ?? [] : []).compactMap {
                    self.node(id: $0).map { TaskOutcome.Phase($0.phase) }
                }
                outcomes[d] = TaskOutcome(phase: TaskOutcome.Phase(depNode.phase), childPhases: childPhases)
            }
            if !logic.evaluate({ outcomes[$0] ?? TaskOutcome(phase: .omitted) }) {
                skippedTask(
                    nodeName, taskName, template: task.template, phase: .omitted,
                    message: "omitted: depends condition not met", deps: deps, group: nil, context: context)
                return
            }
        }
        if existing == nil { context.progress.ready[index] = true }
        if existing == nil, context.blocked || shutdownMessage != nil { return }

        let scope = taskScope(task, &context)
        var groupName: String?
        let expansions: [TaskExpansion]
        if existing?.type == .taskGroup, let cached = reconciler.cache.taskExpansions(nodeName) {
            // A loop's items are fixed once its task group exists.
            expansions = cached
            groupName = nodeName
        } else {
            let items: [LoopItem]?
            do {
                items = try expandLoop(
                    withItems: task.withItems, withParam: task.withParam, withSequence: task.withSequence,
                    scope: scope, what: what)
            } catch {
                skippedTask(
                    nodeName, taskName, template: task.template, phase: .error, message: error.description,
                    deps: deps, group: nil, context: context)
                return
            }
            if let items {
                if items.isEmpty {
                    skippedTask(
                        nodeName, taskName, template: task.template, phase: .skipped,
                        message: "Skipped, empty params", deps: deps, group: nil, context: context)
                    return
                }
                if existing == nil {
                    initializeNode(
                        name: nodeName, displayName: taskName, type: .taskGroup, templateName: task.template,
                        boundaryID: context.nodeID, phase: .running)
                    connectDependencies(nodeName, deps: deps, group: nil, context: context)
                }
                groupName = nodeName
            }
            expansions =
                items.map { $0.map { TaskExpansion(display: "\(taskName)(\($0.index):\($0.nameLabel))", item: $0) } }
                ?? [TaskExpansion(display: taskName, item: nil)]
            if groupName != nil { reconciler.cache.setTaskExpansions(nodeName, expansions) }
        }

        // The loop children known finished from the start of the list on are not looked at again.
        let start = groupName.map { reconciler.cache.prefix($0) } ?? 0
        var finishedPrefix = start
        // A new child that would only start a pod is refused while the workflow's pods are at their limit: seen
        // before its scope is built, which was most of a pass for a wide loop waiting for slots.
        let podLimit = reconciler.workflow.spec.parallelism
        let plainChild = podLimit != nil && onlyStartsAPod(task)
        for index in start..<expansions.count {
            let (display, item) = (expansions[index].display, expansions[index].item)
            let childName = "\(context.nodeName).\(display)"
            let childNode = self.node(named: childName)
            if let childNode, childNode.phase.isFinished {
                if finishedPrefix == index { finishedPrefix = index + 1 }
                continue
            }
            if let childNode, childNode.type == .pod, childNode.phase == .running {
                _ = watch(childNode)
                continue
            }
            if childNode == nil, plainChild, let podLimit, activePods >= podLimit { continue }
            var childScope = scope
            item?.add(to: &childScope)
            if childNode == nil {
                if context.blocked || shutdownMessage != nil { continue }
                do {
                    if let reason = try evaluateWhen(task.when, childScope, what: what) {
                        skippedTask(
                            childName, display, template: task.template, phase: .skipped, message: reason, deps: deps,
                            group: groupName, context: context)
                        continue
                    }
                } catch {
                    skippedTask(
                        childName, display, template: task.template, phase: .error, message: error.description,
                        deps: deps, group: groupName, context: context)
                    continue
                }
            }
            if task.template == nil, task.templateRef != nil || task.inline != nil {
                skippedTask(
                    childName, display, template: nil, phase: .error,
                    message: task.inline != nil
                        ? "\(what): inline templates are not supported by Argosy yet"
                        : "\(what): templateRef was not resolved (submit the workflow with argosy submit)", deps: deps,
                    group: groupName, context: context)
                continue
            }
            let arguments: Arguments?
            do {
                arguments = try resolveArguments(task.arguments, childScope, what: what)
            } catch {
                skippedTask(
                    childName, display, template: task.template, phase: .error, message: error.description, deps: deps,
                    group: groupName, context: context)
                continue
            }
            let isNew = self.node(named: childName) == nil
            if isNew { context.cachedTaskScope = nil }
            let child = executeTemplate(
                nodeName: childName, displayName: display, templateName: task.template, arguments: arguments,
                boundaryID: context.nodeID, scope: globals)
            if child != nil, isNew { connectDependencies(childName, deps: deps, group: groupName, context: context) }
        }

        // Children this pass finished (a skipped item, say) extend the prefix too.
        while finishedPrefix < expansions.count,
            self.node(named: "\(context.nodeName).\(expansions[finishedPrefix].display)")?.phase.isFinished == true
        {
            finishedPrefix += 1
        }
        if let groupName, finishedPrefix > start { reconciler.cache.setPrefix(groupName, finishedPrefix) }
        if let groupName, finishedPrefix == expansions.count, let group = self.node(named: groupName),
            !group.phase.isFinished
        {
            var phase = NodePhase.succeeded
            for expansion in expansions {
                let display = expansion.display
                guard let n = self.node(named: "\(context.nodeName).\(display)"), n.phase.isFinished else { return }
                if n.phase.isUnsuccessful { phase = n.phase }
            }
            markPhase(groupName, phase)
        }
    }

    /// A task (or loop item) that cannot run: a Skipped-type node linked where the task would have been.
    func skippedTask(
        _ name: String, _ display: String, template: String?, phase: NodePhase, message: String, deps: [String],
        group: String?, context: DAGContext
    ) {
        initializeNode(
            name: name, displayName: display, type: .skipped, templateName: template, boundaryID: context.nodeID,
            phase: phase, message: message)
        connectDependencies(name, deps: deps, group: group, context: context)
    }

    func exitHookDone(_ node: NodeStatus, _ task: DAGTask?) -> Bool {
        guard let task, exitHook(onExit: task.onExit, hooks: task.hooks) != nil else { return true }
        if node.phase == .skipped || node.phase == .omitted { return true }
        return self.node(named: "\(node.name).onExit")?.phase.isFinished ?? false
    }

    /// Links a new task node under its dependencies' outbound nodes (or the DAG node, or its task group).
    func connectDependencies(_ childName: String, deps: [String], group: String?, context: DAGContext) {
        if let group, group != childName {
            addChild(group, childName)
            return
        }
        if deps.isEmpty {
            addChild(context.nodeName, childName)
            return
        }
        for d in deps {
            guard let depNode = self.node(named: context.taskNodeName(d)) else { continue }
            for out in outboundNodes(depNode.id) {
                if let outName = self.node(id: out)?.name { addChild(outName, childName) }
            }
        }
    }

    /// Argo's DAG phase: running while any node under the DAG runs; then failed when a target's branch
    /// failed (unless `continueOn` covers it) or fail-fast kept a target from starting; else succeeded.
    func assessDAGPhase(targets: [String], context: DAGContext) -> NodePhase {
        if state.activeChildren[context.nodeID, default: 0] > 0 { return .running }
        if shutdownMessage != nil { return .failed }
        let phases = targetBranchPhases(targets: targets, context: context)
        var result = NodePhase.succeeded
        for t in targets {
            guard let phase = phases[t] else {
                if context.blocked { return .failed }
                result = .running
                continue
            }
            if phase.isUnsuccessful, !continues(context.tasks[t]?.continueOn, phase) { return phase }
        }
        return result
    }

    /// The phase of each target's branch: follows the DAG's children down to the targets; an omitted or
    /// running node takes the phase of the branch above it, and a failure wins over a success.
    func targetBranchPhases(targets: [String], context: DAGContext) -> [String: NodePhase] {
        var byID: [String: String] = [:]
        for t in targets { byID[Workflow.nodeID(workflowName: name, nodeName: context.taskNodeName(t))] = t }
        var phases: [String: NodePhase] = [:]
        var queue: [(String, NodePhase)] = (self.node(named: context.nodeName)?.children ?? []).map {
            ($0, .succeeded)
        }
        var seen: [String: NodePhase] = [:]
        var index = 0
        while index < queue.count {
            let (id, inherited) = queue[index]
            index += 1
            if let prior = seen[id], prior.isUnsuccessful || !inherited.isUnsuccessful { continue }
            seen[id] = inherited
            guard let node = self.node(id: id) else { continue }
            var branch = inherited
            if node.phase.isFinished, node.phase != .omitted { branch = node.phase }
            if let t = byID[id], node.phase.isFinished {
                if !(phases[t]?.isUnsuccessful ?? false) { phases[t] = branch }
            }
            let next = node.type == .retry ? Array((node.children ?? []).suffix(1)) : (node.children ?? [])
            for c in next where c != id { queue.append((c, branch)) }
        }
        return phases
    }

    func updateOutboundNodes(dagName: String, targets: [String], context: DAGContext) {
        var outbound: [String] = []
        for t in targets {
            if let n = self.node(named: context.taskNodeName(t)) { outbound += outboundNodes(n.id) }
        }
        state.update(named: dagName) { $0.outboundNodes = outbound.isEmpty ? nil : outbound }
    }
}

extension TaskOutcome.Phase {
    init(_ phase: NodePhase) {
        switch phase {
        case .succeeded: self = .succeeded
        case .failed: self = .failed
        case .error: self = .errored
        case .skipped: self = .skipped
        default: self = .omitted
        }
    }
}
