import ArgosyExpressions
import ArgosyModel
import Foundation

/// Static checks of one template: its kind, references to other templates, variables and DAG shape.
struct TemplateValidator {
    let template: Template
    let path: FieldPath
    let templateNames: [String: Int]
    let workflowParameters: Set<String>
    let volumeNames: Set<String>
    var limits = Limits()

    func validate(into sink: inout DiagnosticSink) {
        let kinds = template.declaredKinds
        if kinds.isEmpty {
            sink.error(path, "template '\(template.name)' must have one of container, script, steps, dag or suspend")
        } else if kinds.count > 1 {
            sink.error(
                path,
                "template '\(template.name)' has more than one of \(kinds.map(\.rawValue).joined(separator: ", "))")
        }
        for kind in kinds where ![.container, .script, .steps, .dag, .suspend].contains(kind) {
            sink.error(path.appending(kind.rawValue), "\(kind.rawValue) templates are not supported by Argosy yet")
        }
        for (field, value) in [("sidecars", template.sidecars), ("initContainers", template.initContainers)]
        where value != nil {
            sink.error(path.appending(field), "\(field) is not supported by Argosy yet")
        }
        if let sync = template.synchronization {
            checkSynchronization(sync, path.appending("synchronization"), into: &sink)
        }
        if let memo = template.memoize {
            if memo.key.isEmpty { sink.error(path.appending("memoize").appending("key"), "memoize needs a key") }
            if let age = memo.maxAge, !age.contains("{{"), ArgoDuration.seconds(age) == nil {
                sink.error(path.appending("memoize").appending("maxAge"), "invalid duration '\(age)'")
            }
        }
        if template.daemon == true {
            sink.error(path.appending("daemon"), "daemon templates are not supported by Argosy yet")
        }
        if !(template.inputs?.artifacts ?? []).isEmpty {
            sink.error(path.appending("inputs").appending("artifacts"), "artifacts are not supported by Argosy yet")
        }
        if !(template.outputs?.artifacts ?? []).isEmpty {
            sink.error(path.appending("outputs").appending("artifacts"), "artifacts are not supported by Argosy yet")
        }
        if let retry = template.retryStrategy { checkRetry(retry, path.appending("retryStrategy"), into: &sink) }
        if let t = template.timeout, !t.contains("{{"), ArgoDuration.seconds(t) == nil {
            sink.error(path.appending("timeout"), "invalid duration '\(t)'")
        }
        if !template.runsProcess {
            if template.activeDeadlineSeconds != nil {
                sink.warning(
                    path.appending("activeDeadlineSeconds"),
                    "activeDeadlineSeconds applies to container and script templates only")
            }
            if template.timeout != nil, template.suspend == nil {
                sink.warning(
                    path.appending("timeout"), "timeout applies to container, script and suspend templates only")
            }
        }
        if let d = template.suspend?.duration, !d.contains("{{"), ArgoDuration.seconds(d) == nil {
            sink.error(path.appending("suspend").appending("duration"), "invalid duration '\(d)'")
        }
        var inputNames = Set<String>()
        for (i, p) in (template.inputs?.parameters ?? []).enumerated() {
            if p.name.isEmpty {
                sink.error(
                    path.appending("inputs").appending("parameters").appending(i), "parameter name must not be empty")
            }
            inputNames.insert(p.name)
        }
        for (i, p) in (template.outputs?.parameters ?? []).enumerated() {
            let pp = path.appending("outputs").appending("parameters").appending(i)
            if template.runsProcess, p.valueFrom?.path == nil, p.value == nil, p.valueFrom?.default == nil {
                sink.error(pp, "output parameter '\(p.name)' needs valueFrom.path (or a value)")
            }
            if p.valueFrom?.supplied != nil {
                sink.warning(
                    pp.appending("valueFrom").appending("supplied"),
                    "values supplied when resuming are not supported yet: `argosy resume` uses valueFrom.default")
            }
            if let vf = p.valueFrom,
                vf.jsonPath != nil || vf.jqFilter != nil || vf.event != nil || vf.configMapKeyRef != nil
            {
                sink.error(
                    pp.appending("valueFrom"),
                    "this valueFrom source is not supported by Argosy yet (use path, parameter, expression or default)")
            }
        }
        for (i, v) in (template.volumes ?? []).enumerated() {
            checkVolume(v, path.appending("volumes").appending(i), into: &sink)
        }
        for (i, m) in (template.container?.volumeMounts ?? template.script?.volumeMounts ?? []).enumerated() {
            let local = Set((template.volumes ?? []).map(\.name))
            if !volumeNames.contains(m.name), !local.contains(m.name) {
                let field = template.container != nil ? "container" : "script"
                sink.error(
                    path.appending(field).appending("volumeMounts").appending(i).appending("name"),
                    "volume '\(m.name)' not found")
            }
        }
        checkVariables(inputNames: inputNames, into: &sink)
        if let steps = template.steps { checkSteps(steps, into: &sink) }
        if let dag = template.dag { checkDAG(dag, into: &sink) }
    }

    /// `{{inputs.parameters.x}}` must name a declared input; `{{workflow.parameters.x}}` a workflow argument.
    func checkVariables(inputNames: Set<String>, into sink: inout DiagnosticSink) {
        var strings: [(FieldPath, String)] = []
        if let c = template.container {
            strings += (c.command ?? []).enumerated().map {
                (path.appending("container").appending("command").appending($0.offset), $0.element)
            }
            strings += (c.args ?? []).enumerated().map {
                (path.appending("container").appending("args").appending($0.offset), $0.element)
            }
        }
        if let s = template.script {
            strings.append((path.appending("script").appending("source"), s.source))
            strings += (s.args ?? []).enumerated().map {
                (path.appending("script").appending("args").appending($0.offset), $0.element)
            }
        }
        for (p, text) in strings where text.contains("{{") {
            for name in Substitution.referencedNames(in: text) {
                if name.hasPrefix("inputs.parameters."), !inputNames.contains(String(name.dropFirst(18))) {
                    sink.error(
                        p,
                        "failed to resolve {{\(name)}}: template '\(template.name)' has no input parameter '\(name.dropFirst(18))'"
                    )
                }
                if name.hasPrefix("workflow.parameters."), !workflowParameters.contains(String(name.dropFirst(20))) {
                    sink.error(
                        p, "failed to resolve {{\(name)}}: the workflow has no parameter '\(name.dropFirst(20))'")
                }
                if name.hasPrefix("steps.") || name.hasPrefix("tasks.") {
                    sink.error(
                        p,
                        "failed to resolve {{\(name)}}: steps and tasks variables are not visible inside a \(template.kind?.rawValue ?? "") template; pass them as arguments"
                    )
                }
                if name == "item" || name.hasPrefix("item.") {
                    sink.error(
                        p,
                        "failed to resolve {{\(name)}}: 'item' is only defined in the arguments of a looping step or task"
                    )
                }
            }
        }
    }

    func checkReference(
        _ template: String?, templateRef: TemplateRef?, inline: JSONValue?, _ p: FieldPath,
        into sink: inout DiagnosticSink
    ) {
        if inline != nil { sink.error(p.appending("inline"), "inline templates are not supported by Argosy yet") }
        if let t = template {
            if templateNames[t] == nil { sink.error(p.appending("template"), "template '\(t)' not found") }
        } else if templateRef == nil, inline == nil {
            sink.error(p, "missing required field 'template'")
        }
    }

    func checkLoop(
        _ items: [JSONValue]?, _ param: String?, _ sequence: Sequence?, _ p: FieldPath, into sink: inout DiagnosticSink
    ) {
        let count = [items != nil, param != nil, sequence != nil].filter { $0 }.count
        if count > 1 { sink.error(p, "only one of withItems, withParam and withSequence may be given") }
        if let items, items.count > limits.loopItems {
            sink.error(
                p.appending("withItems"),
                "\(items.count) items is more than the limit of \(limits.loopItems) per loop (limits.loopItems)")
        }
        if let sequence, let n = sequence.literalCount, n > limits.loopItems {
            sink.error(
                p.appending("withSequence"),
                "\(n) items is more than the limit of \(limits.loopItems) per loop (limits.loopItems)")
        }
        if let sequence {
            if sequence.count != nil, sequence.end != nil {
                sink.error(p.appending("withSequence"), "only one of count or end can be defined")
            }
            if sequence.count == nil, sequence.end == nil {
                sink.error(p.appending("withSequence"), "one of count or end is required")
            }
            if let f = sequence.format {
                do { _ = try PrintfFormat.format(f, 1, what: "format") } catch {
                    sink.error(p.appending("withSequence").appending("format"), error.description)
                }
            }
        }
    }

    func checkWhen(_ when: String?, _ p: FieldPath, into sink: inout DiagnosticSink) {
        guard let when, !when.isEmpty else { return }
        // Variables are unknown before a run: try the condition with each tag replaced by a placeholder.
        var probe = ""
        var rest = Substring(when)
        while let open = rest.range(of: "{{") {
            probe += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                sink.error(p.appending("when"), "unterminated '{{' in when expression '\(when)'")
                return
            }
            let tag = rest[open.upperBound..<close.lowerBound]
            if tag.hasPrefix("=") {
                // An expression tag: it must parse; its value is only known at run time.
                do { _ = try Expression(String(tag.dropFirst())) } catch {
                    sink.error(p.appending("when"), "invalid expression in when '\(when)': \(error.message)")
                    return
                }
                probe += "true"
            } else {
                probe += "0"
            }
            rest = rest[close.upperBound...]
        }
        probe += rest
        do { _ = try WhenCondition.evaluate(probe) } catch {
            sink.error(p.appending("when"), "invalid when expression '\(when)': \(error.message)")
        }
    }

    func checkSteps(_ steps: [[WorkflowStep]], into sink: inout DiagnosticSink) {
        var earlier = Set<String>()
        for (g, group) in steps.enumerated() {
            var thisGroup = Set<String>()
            for (i, step) in group.enumerated() {
                let p = path.appending("steps").appending(g).appending(i)
                if step.name.isEmpty { sink.error(p.appending("name"), "step name must not be empty") }
                if thisGroup.contains(step.name) || earlier.contains(step.name) {
                    sink.error(p.appending("name"), "step name '\(step.name)' is not unique")
                }
                thisGroup.insert(step.name)
                checkReference(step.template, templateRef: step.templateRef, inline: step.inline, p, into: &sink)
                checkLoop(step.withItems, step.withParam, step.withSequence, p, into: &sink)
                checkWhen(step.when, p, into: &sink)
                if let t = step.onExit, templateNames[t] == nil {
                    sink.error(p.appending("onExit"), "template '\(t)' not found")
                }
                for (key, hook) in step.hooks ?? [:] {
                    let hp = p.appending("hooks").appending(key)
                    if key != "exit" {
                        sink.error(hp, "lifecycle hooks other than 'exit' are not supported by Argosy yet")
                    }
                    if let t = hook.template, templateNames[t] == nil {
                        sink.error(hp.appending("template"), "template '\(t)' not found")
                    }
                }
                let loops = step.withItems != nil || step.withParam != nil || step.withSequence != nil
                var texts: [(FieldPath, String)] = (step.arguments?.parameters ?? []).enumerated().compactMap { e in
                    e.element.value.map {
                        (p.appending("arguments").appending("parameters").appending(e.offset).appending("value"), $0)
                    }
                }
                if let w = step.when { texts.append((p.appending("when"), w)) }
                if let w = step.withParam { texts.append((p.appending("withParam"), w)) }
                for (tp, text) in texts {
                    for name in Substitution.referencedNames(in: text) {
                        if name.hasPrefix("steps.") {
                            let ref = String(name.dropFirst(6).prefix { $0 != "." })
                            if !earlier.contains(ref) {
                                sink.error(tp, "failed to resolve {{\(name)}}: no step '\(ref)' runs before this one")
                            }
                        }
                        if (name == "item" || name.hasPrefix("item.")), !loops, !tp.description.hasSuffix("withParam") {
                            sink.error(
                                tp,
                                "failed to resolve {{\(name)}}: this step has no withItems, withParam or withSequence")
                        }
                    }
                }
            }
            earlier.formUnion(thisGroup)
        }
    }

    func checkDAG(_ dag: DAGTemplate, into sink: inout DiagnosticSink) {
        var tasks: [String: DAGTask] = [:]
        for (i, t) in dag.tasks.enumerated() {
            let p = path.appending("dag").appending("tasks").appending(i)
            if t.name.isEmpty { sink.error(p.appending("name"), "task name must not be empty") }
            if tasks[t.name] != nil { sink.error(p.appending("name"), "task name '\(t.name)' is not unique") }
            tasks[t.name] = t
        }
        var graph: [String: [String]] = [:]
        for (i, t) in dag.tasks.enumerated() {
            let p = path.appending("dag").appending("tasks").appending(i)
            checkReference(t.template, templateRef: t.templateRef, inline: t.inline, p, into: &sink)
            checkLoop(t.withItems, t.withParam, t.withSequence, p, into: &sink)
            checkWhen(t.when, p, into: &sink)
            if let ex = t.onExit, templateNames[ex] == nil {
                sink.error(p.appending("onExit"), "template '\(ex)' not found")
            }
            for (key, hook) in t.hooks ?? [:] {
                let hp = p.appending("hooks").appending(key)
                if key != "exit" { sink.error(hp, "lifecycle hooks other than 'exit' are not supported by Argosy yet") }
                if let tt = hook.template, templateNames[tt] == nil {
                    sink.error(hp.appending("template"), "template '\(tt)' not found")
                }
            }
            var deps: [String] = []
            if t.depends != nil, t.dependencies != nil {
                sink.error(p, "only one of dependencies and depends may be given")
            }
            if let depends = t.depends {
                do {
                    deps = try DependsExpression(depends).taskNames
                } catch {
                    sink.error(p.appending("depends"), "invalid depends '\(depends)': \(error.message)")
                }
                for d in deps where tasks[d] == nil {
                    sink.error(p.appending("depends"), "task '\(d)' in depends does not exist")
                }
            }
            for (j, d) in (t.dependencies ?? []).enumerated() {
                if tasks[d] == nil {
                    sink.error(p.appending("dependencies").appending(j), "dependency '\(d)' is not a task of this DAG")
                }
                deps.append(d)
            }
            graph[t.name] = deps.filter { tasks[$0] != nil }
            let loops = t.withItems != nil || t.withParam != nil || t.withSequence != nil
            // Computed at the first `{{tasks.…}}` reference only: for every task of a large DAG it is quadratic.
            var ancestors: Set<String>?
            var texts: [(FieldPath, String)] = (t.arguments?.parameters ?? []).enumerated().compactMap { e in
                e.element.value.map {
                    (p.appending("arguments").appending("parameters").appending(e.offset).appending("value"), $0)
                }
            }
            if let w = t.when { texts.append((p.appending("when"), w)) }
            if let w = t.withParam { texts.append((p.appending("withParam"), w)) }
            for (tp, text) in texts {
                for name in Substitution.referencedNames(in: text) {
                    if name.hasPrefix("tasks.") {
                        let ref = String(name.dropFirst(6).prefix { $0 != "." })
                        if tasks[ref] == nil {
                            sink.error(tp, "failed to resolve {{\(name)}}: no task '\(ref)' in this DAG")
                            continue
                        }
                        let known = ancestors ?? Self.ancestors(of: t.name, graph: graph, tasks: tasks)
                        ancestors = known
                        if !known.contains(ref) {
                            sink.error(tp, "{{\(name)}} refers to task '\(ref)', which '\(t.name)' does not depend on")
                        }
                    }
                    if (name == "item" || name.hasPrefix("item.")), !loops, !tp.description.hasSuffix("withParam") {
                        sink.error(
                            tp, "failed to resolve {{\(name)}}: this task has no withItems, withParam or withSequence")
                    }
                }
            }
        }
        if let cycle = Self.findCycle(graph, order: dag.tasks.map(\.name)) {
            sink.error(
                path.appending("dag"),
                "dependency cycle: \(cycle.joined(separator: " -> ")) (each task depends on the next)")
        }
        if let target = dag.target, !target.contains("{{") {
            for name in target.split(separator: " ") where tasks[String(name)] == nil {
                sink.error(path.appending("dag").appending("target"), "target '\(name)' is not a task of this DAG")
            }
        }
    }

    /// Every task `name` depends on, directly or not (tasks declared later are resolved lazily).
    static func ancestors(of name: String, graph: [String: [String]], tasks: [String: DAGTask]) -> Set<String> {
        var seen = Set<String>()
        var stack = directDependencies(name, tasks)
        while let next = stack.popLast() {
            if seen.insert(next).inserted { stack += directDependencies(next, tasks) }
        }
        return seen
    }

    static func directDependencies(_ name: String, _ tasks: [String: DAGTask]) -> [String] {
        guard let t = tasks[name] else { return [] }
        var deps = t.dependencies ?? []
        if let d = t.depends, let e = try? DependsExpression(d) { deps += e.taskNames }
        return deps
    }

    static func findCycle(_ graph: [String: [String]], order: [String]) -> [String]? {
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        var stack: [String] = []
        func visit(_ n: String) -> [String]? {
            if state[n] == 2 { return nil }
            if state[n] == 1 {
                let start = stack.firstIndex(of: n) ?? 0
                return Array(stack[start...]) + [n]
            }
            state[n] = 1
            stack.append(n)
            for d in graph[n] ?? [] { if let c = visit(d) { return c } }
            stack.removeLast()
            state[n] = 2
            return nil
        }
        for n in order { if let c = visit(n) { return c } }
        return nil
    }
}
