import ArgosyExpressions
import ArgosyModel
import Foundation

extension Operation {
    /// A `steps` template: groups run in order, the steps of a group in parallel.
    func executeSteps(
        nodeName: String, displayName: String, template: Template, inputs: Inputs, boundaryID: String?,
        scope: VariableScope
    ) -> NodeStatus? {
        var node = state.node(named: nodeName)
        if node == nil {
            if shutdownMessage != nil { return nil }
            node = initializeNode(
                name: nodeName, displayName: displayName, type: .steps, templateName: template.name,
                boundaryID: boundaryID, phase: .running)
            if inputs.parameters != nil { state.update(named: nodeName) { $0.inputs = inputs } }
        }
        guard let stepsNode = node, !stepsNode.phase.isFinished else { return node }

        var stepsScope = scope
        for (i, group) in (template.steps ?? []).enumerated() {
            let groupName = "\(nodeName)[\(i)]"
            if state.node(named: groupName) == nil {
                if shutdownMessage != nil { break }
                initializeNode(
                    name: groupName, displayName: "[\(i)]", type: .stepGroup, templateName: nil,
                    boundaryID: stepsNode.id, phase: .running)
                if i == 0 {
                    addChild(nodeName, groupName)
                } else {
                    let previousName = "\(nodeName)[\(i - 1)]"
                    let previous = state.node(named: previousName)?.children ?? []
                    if previous.isEmpty {
                        addChild(previousName, groupName)
                    } else {
                        for child in previous {
                            for out in outboundNodes(child) {
                                if let outName = state.node(id: out)?.name { addChild(outName, groupName) }
                            }
                        }
                    }
                }
            }
            guard
                let groupNode = executeStepGroup(
                    group, groupName: groupName, template: template, boundaryID: stepsNode.id, scope: stepsScope)
            else { return stepsNode }
            if !groupNode.phase.isFinished { return state.node(named: nodeName) }
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

    func addStepScope(_ step: WorkflowStep, groupName: String, to scope: inout VariableScope) {
        let prefix = "steps.\(step.name)"
        let childName = "\(groupName).\(step.name)"
        if let child = state.node(named: childName) {
            addNodeScope(prefix, child, to: &scope)
            return
        }
        // A loop: aggregate the expanded children.
        guard let group = state.node(named: groupName) else { return }
        let children = (group.children ?? []).compactMap { state.node(id: $0) }
            .filter { $0.name.hasPrefix(childName + "(") && $0.type != .skipped }
        addAggregateScope(prefix, children, to: &scope)
        scope["\(prefix).status"] = .string(group.phase.rawValue)
    }

    func updateOutboundNodes(stepsName: String, template: Template) {
        let count = template.steps?.count ?? 0
        var outbound: [String] = []
        for i in stride(from: count - 1, through: 0, by: -1) {
            if let group = state.node(named: "\(stepsName)[\(i)]") {
                for child in group.children ?? [] where state.node(id: child)?.type != .stepGroup {
                    outbound += outboundNodes(child)
                }
                break
            }
        }
        state.update(named: stepsName) { $0.outboundNodes = outbound.isEmpty ? nil : outbound }
    }

    /// Runs the steps of one group in parallel; finishes when every child (and its exit hook) has.
    func executeStepGroup(
        _ group: [WorkflowStep], groupName: String, template: Template, boundaryID: String, scope: VariableScope
    ) -> NodeStatus? {
        guard let groupNode = state.node(named: groupName) else { return nil }
        if groupNode.phase.isFinished { return groupNode }
        let failFast = template.failFast == true
        var hooksByChild: [String: (hook: LifecycleHook, scope: VariableScope, step: String)] = [:]
        var allStarted = true

        for step in group {
            let what = "steps.\(step.name)"
            let items: [LoopItem]?
            do {
                items = try expandLoop(
                    withItems: step.withItems, withParam: step.withParam, withSequence: step.withSequence,
                    scope: scope, what: what)
            } catch {
                return markPhase(groupName, .error, message: error.description)
            }
            if let items, items.isEmpty {
                let childName = "\(groupName).\(step.name)"
                if state.node(named: childName) == nil {
                    initializeNode(
                        name: childName, displayName: step.name, type: .skipped, templateName: step.template,
                        boundaryID: boundaryID, phase: .skipped, message: "Skipped, empty params")
                    addChild(groupName, childName)
                }
                continue
            }
            let expansions: [(name: String, item: LoopItem?)] =
                items.map { $0.map { ("\(step.name)(\($0.index):\($0.nameLabel))", $0) } } ?? [(step.name, nil)]
            let hook = exitHook(onExit: step.onExit, hooks: step.hooks)
            for (childDisplay, item) in expansions {
                let childName = "\(groupName).\(childDisplay)"
                let existing = state.node(named: childName)
                // Finished children cost nothing more, unless an exit hook has to follow them.
                if let existing, existing.phase.isFinished, hook == nil { continue }
                var stepScope = scope
                item?.add(to: &stepScope)
                if let hook { hooksByChild[childName] = (hook, stepScope, step.name) }
                if let existing {
                    if existing.phase.isFinished { continue }
                } else {
                    if shutdownMessage != nil || (failFast && hasUnsuccessfulChild(groupName)) {
                        allStarted = false
                        continue
                    }
                    do {
                        if let reason = try evaluateWhen(step.when, stepScope, what: what) {
                            initializeNode(
                                name: childName, displayName: childDisplay, type: .skipped, templateName: step.template,
                                boundaryID: boundaryID, phase: .skipped, message: reason)
                            addChild(groupName, childName)
                            continue
                        }
                    } catch {
                        initializeNode(
                            name: childName, displayName: childDisplay, type: .skipped, templateName: step.template,
                            boundaryID: boundaryID, phase: .error, message: error.description)
                        addChild(groupName, childName)
                        return markPhase(groupName, .error, message: error.description)
                    }
                }
                let arguments: Arguments?
                do {
                    arguments = try resolveArguments(step.arguments, stepScope, what: what)
                } catch {
                    initializeNode(
                        name: childName, displayName: childDisplay, type: .skipped, templateName: step.template,
                        boundaryID: boundaryID, phase: .error, message: error.description)
                    addChild(groupName, childName)
                    return markPhase(groupName, .error, message: error.description)
                }
                if step.template == nil, step.templateRef != nil || step.inline != nil {
                    initializeNode(
                        name: childName, displayName: childDisplay, type: .skipped, templateName: nil,
                        boundaryID: boundaryID, phase: .error,
                        message: "\(what): templateRef and inline templates are not supported by Argosy yet")
                    addChild(groupName, childName)
                    continue
                }
                let child = executeTemplate(
                    nodeName: childName, displayName: childDisplay, templateName: step.template, arguments: arguments,
                    boundaryID: boundaryID, scope: globals)
                if child != nil { addChild(groupName, childName) } else { allStarted = false }
            }
        }

        // Done when every child, and its exit hook, has finished.
        let children = (state.node(named: groupName)?.children ?? []).compactMap { state.node(id: $0) }
        var completed = true
        for child in children {
            if !child.phase.isFinished {
                completed = false
            } else if let entry = hooksByChild[child.name] {
                var s = entry.scope
                addNodeScope("steps.\(entry.step)", child, to: &s)
                if !runExitHook(entry.hook, for: child, boundaryID: boundaryID, scope: s) { completed = false }
            }
        }
        if failFast, hasUnsuccessfulChild(groupName), children.allSatisfy({ $0.phase.isFinished }) {
            return markPhase(
                groupName, .failed, message: "template has failed or errored children and failFast enabled")
        }
        if shutdownMessage != nil, children.allSatisfy({ $0.phase.isFinished }) {
            return markPhase(groupName, .failed, message: shutdownMessage)
        }
        if !completed || !allStarted { return state.node(named: groupName) }

        for child in children where child.phase.isUnsuccessful {
            let step = group.first { child.displayName == $0.name || child.displayName.hasPrefix($0.name + "(") }
            if !continues(step?.continueOn, child.phase) {
                return markPhase(groupName, .failed, message: "child '\(child.id)' failed")
            }
        }
        return markPhase(groupName, .succeeded)
    }

    func hasUnsuccessfulChild(_ groupName: String) -> Bool {
        (state.node(named: groupName)?.children ?? []).contains { state.node(id: $0)?.phase.isUnsuccessful ?? false }
    }

    func continues(_ continueOn: ContinueOn?, _ phase: NodePhase) -> Bool {
        guard let continueOn else { return false }
        return (phase == .failed && continueOn.failed == true) || (phase == .error && continueOn.error == true)
    }
}
