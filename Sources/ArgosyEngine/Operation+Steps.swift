import ArgosyExpressions
import ArgosyModel
import Foundation

extension Operation {
    /// A `steps` template: groups run in order, the steps of a group in parallel.
    func executeSteps(
        nodeName: String, displayName: String, template: Template, inputs: Inputs, boundaryID: String?,
        scope: VariableScope
    ) -> NodeStatus? {
        var node = self.node(named: nodeName)
        if node == nil {
            if shutdownMessage != nil { return nil }
            node = initializeNode(
                name: nodeName, displayName: displayName, type: .steps, templateName: template.name,
                boundaryID: boundaryID, phase: .running)
            if inputs.parameters != nil { state.update(named: nodeName) { $0.inputs = inputs } }
        }
        guard let stepsNode = node, !stepsNode.phase.isFinished else { return node }

        // The groups that already succeeded add the same variables every pass: start after them (what makes a
        // long chain cost the same per step at its end). They were all seen succeeded when the scope was cached,
        // and only a retry (which empties the cache) takes a succeeded node back: checking the last one is enough.
        // The cached scope is taken out of the cache, so that this pass changes it in place instead of copying
        // every variable of the finished groups.
        var stepsScope = scope
        var start = 0
        if var cached = reconciler.cache.takeStepsScope(nodeName),
            self.node(named: "\(nodeName)[\(cached.groups - 1)]")?.phase == .succeeded,
            Self.refresh(&cached.scope, builtOn: cached.parent, to: scope)
        {
            start = cached.groups
            stepsScope = cached.scope
        }
        for (i, group) in (template.steps ?? []).enumerated() where i >= start {
            let groupName = "\(nodeName)[\(i)]"
            if self.node(named: groupName) == nil {
                if shutdownMessage != nil { break }
                initializeNode(
                    name: groupName, displayName: "[\(i)]", type: .stepGroup, templateName: nil,
                    boundaryID: stepsNode.id, phase: .running)
                if i == 0 {
                    addChild(nodeName, groupName)
                } else {
                    let previousName = "\(nodeName)[\(i - 1)]"
                    let previous = self.node(named: previousName)?.children ?? []
                    if previous.isEmpty {
                        addChild(previousName, groupName)
                    } else {
                        for child in previous {
                            for out in outboundNodes(child) {
                                if let outName = self.node(id: out)?.name { addChild(outName, groupName) }
                            }
                        }
                    }
                }
            }
            guard
                let groupNode = executeStepGroup(
                    group, groupName: groupName, template: template, boundaryID: stepsNode.id, scope: stepsScope)
            else { return stepsNode }
            if !groupNode.phase.isFinished {
                if i > 0 {
                    reconciler.cache.setStepsScope(
                        nodeName, .init(groups: i, parent: scope.values, scope: stepsScope))
                }
                return self.node(named: nodeName)
            }
            if groupNode.phase.isUnsuccessful {
                updateOutboundNodes(stepsName: nodeName, template: template)
                return markPhase(nodeName, .failed, message: groupNode.message)
            }
            for step in group { addStepScope(step, groupName: groupName, to: &stepsScope) }
        }
        if shutdownMessage != nil {
            // No new group could start: the steps node fails once nothing under it runs.
            updateOutboundNodes(stepsName: nodeName, template: template)
            return markPhase(nodeName, .failed, message: shutdownMessage)
        }
        updateOutboundNodes(stepsName: nodeName, template: template)
        do {
            if let outputs = try templateOutputs(template, scope: stepsScope) {
                state.update(named: nodeName) { $0.outputs = outputs }
            }
        } catch {
            return markPhase(nodeName, .error, message: error.description)
        }
        return markPhase(nodeName, .succeeded)
    }

    /// Brings a cached scope of finished groups, built on `old`, up to date with `parent`, whose workflow-level
    /// values (`workflow.duration`, `workflow.status`) change between passes. False when a changed value is one
    /// the groups may have replaced (a `steps.` name): the scope cannot be reused.
    static func refresh(_ scope: inout VariableScope, builtOn old: [String: JSONValue], to parent: VariableScope)
        -> Bool
    {
        var kept = 0  // names of `old` still in `parent`
        for (name, value) in parent.values {
            let before = old[name]
            if before != nil { kept += 1 }
            if before == value { continue }
            if name.hasPrefix("steps.") { return false }
            scope[name] = value
        }
        if kept < old.count {  // some name of `old` is gone from `parent` (mostly none is)
            for name in old.keys where parent.values[name] == nil {
                if name.hasPrefix("steps.") { return false }
                scope[name] = nil
            }
        }
        scope.currentTime = parent.currentTime
        return true
    }

    func addStepScope(_ step: WorkflowStep, groupName: String, to scope: inout VariableScope) {
        let prefix = "steps.\(step.name)"
        let childName = "\(groupName).\(step.name)"
        if let child = self.node(named: childName) {
            addNodeScope(prefix, child, to: &scope)
            return
        }
        // A loop: aggregate the expanded children.
        guard let group = self.node(named: groupName) else { return }
        let children = (group.children ?? []).compactMap { self.node(id: $0) }
            .filter { $0.name.hasPrefix(childName + "(") && $0.type != .skipped }
        addAggregateScope(prefix, children, to: &scope)
        scope["\(prefix).status"] = .string(group.phase.rawValue)
    }

    func updateOutboundNodes(stepsName: String, template: Template) {
        let count = template.steps?.count ?? 0
        var outbound: [String] = []
        for i in stride(from: count - 1, through: 0, by: -1) {
            if let group = self.node(named: "\(stepsName)[\(i)]") {
                for child in group.children ?? [] where self.node(id: child)?.type != .stepGroup {
                    outbound += outboundNodes(child)
                }
                break
            }
        }
        state.update(named: stepsName) { $0.outboundNodes = outbound.isEmpty ? nil : outbound }
    }

    /// One child a step group will have: a step, one item of a step's loop, or the skipped marker of an
    /// empty loop.
    struct GroupEntry {
        var step: Int
        var display: String
        var item: LoopItem?
        var emptyLoop = false
    }

    /// The children of a group, in order; computed once per group and reused by later passes.
    func groupEntries(_ group: [WorkflowStep], groupName: String, scope: VariableScope) throws(EngineError)
        -> [GroupEntry]
    {
        var entries: [GroupEntry] = []
        for (index, step) in group.enumerated() {
            let items = try expandLoop(
                withItems: step.withItems, withParam: step.withParam, withSequence: step.withSequence, scope: scope,
                what: "steps.\(step.name)")
            switch items {
            case nil: entries.append(GroupEntry(step: index, display: step.name))
            case let items? where items.isEmpty:
                entries.append(GroupEntry(step: index, display: step.name, emptyLoop: true))
            case let items?:
                for item in items {
                    entries.append(
                        GroupEntry(step: index, display: "\(step.name)(\(item.index):\(item.nameLabel))", item: item))
                }
            }
        }
        return entries
    }

    /// Runs the steps of one group in parallel; finishes when every child (and its exit hook) has.
    ///
    /// Children are visited from the first one not yet known finished, so a pass over a loop of 10,000 items
    /// costs what changed, not 10,000 visits.
    func executeStepGroup(
        _ group: [WorkflowStep], groupName: String, template: Template, boundaryID: String, scope: VariableScope
    ) -> NodeStatus? {
        guard let groupNode = self.node(named: groupName) else { return nil }
        if groupNode.phase.isFinished { return groupNode }
        let entries: [GroupEntry]
        do {
            entries = try cachedEntries(group, groupName: groupName, scope: scope)
        } catch {
            return markPhase(groupName, .error, message: error.description)
        }
        let hooks = group.map { exitHook(onExit: $0.onExit, hooks: $0.hooks) }
        let failFast = template.failFast == true
        var failed = failFast && hasUnsuccessfulChild(groupName)
        var prefix = reconciler.cache.prefix(groupName)
        var extendingPrefix = true
        var blocked = false
        var index = prefix
        /// Entries looked at so far (the finished prefix included) that have a node.
        var withNodes = prefix
        /// A child that cannot run (a false `when`, an error resolving it): a Skipped-type node under the group.
        func skippedChild(_ name: String, _ display: String, template: String?, phase: NodePhase, message: String) {
            initializeNode(
                name: name, displayName: display, type: .skipped, templateName: template, boundaryID: boundaryID,
                phase: phase, message: message)
            addChild(groupName, name)
        }
        while index < entries.count {
            let entry = entries[index]
            index += 1
            let step = group[entry.step]
            let what = "steps.\(step.name)"
            let childName = "\(groupName).\(entry.display)"
            var done = false
            defer {
                if extendingPrefix, done { prefix += 1 } else { extendingPrefix = false }
                if self.node(named: childName) != nil { withNodes += 1 }
            }
            if entry.emptyLoop {
                if self.node(named: childName) == nil {
                    initializeNode(
                        name: childName, displayName: step.name, type: .skipped, templateName: step.template,
                        boundaryID: boundaryID, phase: .skipped, message: "Skipped, empty params")
                    addChild(groupName, childName)
                }
                done = true
                continue
            }
            let existing = self.node(named: childName)
            if let existing, existing.phase.isFinished {
                guard let hook = hooks[entry.step] else {
                    done = true
                    continue
                }
                var hookScope = scope
                entry.item?.add(to: &hookScope)
                addNodeScope("steps.\(step.name)", existing, to: &hookScope)
                done = runExitHook(hook, for: existing, boundaryID: boundaryID, scope: hookScope)
                continue
            }
            if existing == nil, blocked {
                // Nothing more starts in this pass. Once every child with a node was seen (children start in
                // order, so usually all lie before this one; a retry can leave gaps), the rest need no look.
                if withNodes >= (self.node(named: groupName)?.children?.count ?? 0) { break }
                continue
            }
            if let existing, existing.type == .pod, existing.phase == .running {
                let watched = watch(existing)
                if watched?.phase.isUnsuccessful == true { failed = true }
                if watched?.phase.isFinished == true, hooks[entry.step] == nil { done = true }
                continue
            }
            var stepScope = scope
            entry.item?.add(to: &stepScope)
            if existing == nil {
                if shutdownMessage != nil || (failFast && failed) {
                    blocked = true
                    continue
                }
                do {
                    if let reason = try evaluateWhen(step.when, stepScope, what: what) {
                        skippedChild(
                            childName, entry.display, template: step.template, phase: .skipped, message: reason)
                        done = true
                        continue
                    }
                } catch {
                    skippedChild(
                        childName, entry.display, template: step.template, phase: .error, message: error.description)
                    return markPhase(groupName, .error, message: error.description)
                }
            }
            let arguments: Arguments?
            do {
                arguments = try resolveArguments(step.arguments, stepScope, what: what)
            } catch {
                skippedChild(
                    childName, entry.display, template: step.template, phase: .error, message: error.description)
                return markPhase(groupName, .error, message: error.description)
            }
            if step.template == nil, step.templateRef != nil || step.inline != nil {
                skippedChild(
                    childName, entry.display, template: nil, phase: .error,
                    message: step.inline != nil
                        ? "\(what): inline templates are not supported by Argosy yet"
                        : "\(what): templateRef was not resolved (submit the workflow with argosy submit)")
                continue
            }
            let child = executeTemplate(
                nodeName: childName, displayName: entry.display, templateName: step.template, arguments: arguments,
                boundaryID: boundaryID, scope: globals)
            guard let child else {
                // Parallelism, a stop or a suspended workflow: no later child can start in this pass either.
                blocked = true
                continue
            }
            addChild(groupName, childName)
            if child.phase.isUnsuccessful { failed = true }
            if child.phase.isFinished, hooks[entry.step] == nil { done = true }
        }
        reconciler.cache.setPrefix(groupName, prefix)

        let allDone = prefix == entries.count
        if !allDone {
            // Stopping or failing fast: the group ends once nothing under it runs any more.
            if shutdownMessage != nil || (failFast && failed) {
                let children = (self.node(named: groupName)?.children ?? []).compactMap { self.node(id: $0) }
                if children.allSatisfy({ $0.phase.isFinished }) {
                    return markPhase(
                        groupName, .failed,
                        message: shutdownMessage ?? "template has failed or errored children and failFast enabled")
                }
            }
            return self.node(named: groupName)
        }
        for entry in entries {
            guard let child = self.node(named: "\(groupName).\(entry.display)"), child.phase.isUnsuccessful else {
                continue
            }
            if !continues(group[entry.step].continueOn, child.phase) {
                return markPhase(groupName, .failed, message: "child '\(child.id)' failed")
            }
        }
        return markPhase(groupName, .succeeded)
    }

    func cachedEntries(_ group: [WorkflowStep], groupName: String, scope: VariableScope) throws(EngineError)
        -> [GroupEntry]
    {
        if let cached = reconciler.cache.groupEntries(groupName) { return cached }
        let entries = try groupEntries(group, groupName: groupName, scope: scope)
        reconciler.cache.setGroupEntries(groupName, entries)
        return entries
    }

    func hasUnsuccessfulChild(_ groupName: String) -> Bool {
        (self.node(named: groupName)?.children ?? []).contains { self.node(id: $0)?.phase.isUnsuccessful ?? false }
    }

    func continues(_ continueOn: ContinueOn?, _ phase: NodePhase) -> Bool {
        guard let continueOn else { return false }
        return (phase == .failed && continueOn.failed == true) || (phase == .error && continueOn.error == true)
    }
}
