import ArgosyExpressions
import ArgosyModel
import Foundation
import OrderedCollections

extension Operation {
    /// Adds `<prefix>.id/status/startedAt/finishedAt/exitCode/outputs.*` for one finished or running node
    /// (`prefix` is `steps.NAME` or `tasks.NAME`).
    func addNodeScope(_ prefix: String, _ node: NodeStatus, to scope: inout VariableScope) {
        scope["\(prefix).id"] = .string(node.id)
        scope["\(prefix).status"] = .string(node.phase.rawValue)
        if let s = node.startedAt { scope["\(prefix).startedAt"] = .string(Timestamp.format(s)) }
        if let f = node.finishedAt { scope["\(prefix).finishedAt"] = .string(Timestamp.format(f)) }
        if node.type == .pod {
            scope["\(prefix).hostNodeName"] = .string(node.hostNodeName ?? "localhost")
            scope["\(prefix).ip"] = .string("127.0.0.1")
        }
        if node.phase == .skipped || node.phase == .omitted {
            addAbsentOutputs(prefix, node, to: &scope)
            return
        }
        guard let outputs = node.outputs else { return }
        if let result = outputs.result { scope["\(prefix).outputs.result"] = .string(result) }
        if let code = outputs.exitCode {
            scope["\(prefix).exitCode"] = .string(code)
            scope["\(prefix).outputs.exitCode"] = .string(code)
        }
        var all: [JSONValue] = []
        for p in outputs.parameters ?? [] {
            scope["\(prefix).outputs.parameters.\(p.name)"] = .string(p.value ?? "")
            all.append(["name": .string(p.name), "value": .string(p.value ?? "")])
        }
        if !all.isEmpty { scope["\(prefix).outputs.parameters"] = .string(JSONValue.array(all).compactJSON) }
    }

    /// Outputs of a skipped or omitted node (Argo v4): a declared `valueFrom.default` stands in; anything
    /// else is absent (`null`), which `??` can replace and a plain reference reports as an error.
    func addAbsentOutputs(_ prefix: String, _ node: NodeStatus, to scope: inout VariableScope) {
        guard let template = reconciler.template(for: node) else { return }
        if template.runsProcess { scope["\(prefix).outputs.result"] = .null }
        for p in template.outputs?.parameters ?? [] {
            scope["\(prefix).outputs.parameters.\(p.name)"] = p.valueFrom?.default.map { .string($0) } ?? .null
        }
    }

    /// Adds the aggregated outputs of a loop's children: `<prefix>.outputs.result` and
    /// `<prefix>.outputs.parameters` as JSON lists, and `<prefix>.outputs.parameters.<name>` lists.
    func addAggregateScope(_ prefix: String, _ children: [NodeStatus], to scope: inout VariableScope) {
        var results: [JSONValue] = []
        var params: [JSONValue] = []
        var perName: [String: [JSONValue]] = [:]
        var names: [String] = []
        for child in children where child.phase == .succeeded {
            guard let outputs = child.outputs else { continue }
            if let ps = outputs.parameters, !ps.isEmpty {
                var entry: [(String, JSONValue)] = []
                for p in ps {
                    entry.append((p.name, .string(p.value ?? "")))
                    if perName[p.name] == nil { names.append(p.name) }
                    perName[p.name, default: []].append(.string(p.value ?? ""))
                }
                params.append(.object(.init(entry, uniquingKeysWith: { a, _ in a })))
            }
            if let r = outputs.result { results.append((try? JSONValue.parse(r)) ?? .string(r)) }
        }
        scope["\(prefix).outputs.result"] = .string(JSONValue.array(results).compactJSON)
        scope["\(prefix).outputs.parameters"] = .string(JSONValue.array(params).compactJSON)
        for n in names {
            scope["\(prefix).outputs.parameters.\(n)"] = .string(JSONValue.array(perName[n]!).compactJSON)
        }
    }

    /// Evaluates a steps or DAG template's declared outputs in `scope` (`valueFrom.parameter`,
    /// `valueFrom.expression`, `value`). Global names are published as workflow outputs.
    func templateOutputs(_ template: Template, scope: VariableScope) throws(EngineError) -> Outputs? {
        guard let declared = template.outputs?.parameters, !declared.isEmpty else { return nil }
        var params: [Parameter] = []
        for d in declared {
            var p = Parameter(name: d.name)
            p.globalName = d.globalName
            let what = "outputs.parameters.\(d.name)"
            if let ref = d.valueFrom?.parameter {
                do {
                    p.value = try Substitution.substitute(ref, in: scope, unresolved: .fail)
                } catch {
                    guard let fallback = d.valueFrom?.default else { throw EngineError("\(what): \(error.message)") }
                    p.value = fallback
                }
            } else if let expression = d.valueFrom?.expression {
                do {
                    p.value = try Expression(expression).evaluate(in: scope).parameterString
                } catch {
                    guard let fallback = d.valueFrom?.default else { throw EngineError("\(what): \(error.message)") }
                    p.value = fallback
                }
            } else if let v = d.value {
                p.value = try substitute(v, scope, what: what)
            } else if let fallback = d.valueFrom?.default {
                p.value = fallback
            }
            if let g = d.globalName, let v = p.value {
                state.outputs[g] = v
                state.markHeaderChanged()
            }
            params.append(p)
        }
        return Outputs(parameters: params)
    }

    /// The exit hook of a step or task: `hooks.exit`, or the deprecated `onExit`.
    func exitHook(onExit: String?, hooks: [String: LifecycleHook]?) -> LifecycleHook? {
        if let hook = hooks?["exit"] { return hook }
        if let onExit, !onExit.isEmpty { return LifecycleHook(template: onExit) }
        return nil
    }

    /// Runs a finished step's or task's exit hook as `<node>.onExit`. Returns true once the hook is done
    /// (or when there is none).
    func runExitHook(_ hook: LifecycleHook?, for node: NodeStatus, boundaryID: String?, scope: VariableScope) -> Bool {
        guard let hook, node.phase.isFinished, node.phase != .skipped, node.phase != .omitted else { return true }
        let hookName = "\(node.name).onExit"
        var arguments = hook.arguments
        if let params = arguments?.parameters {
            var resolved: [Parameter] = []
            for var p in params {
                if let v = p.value { p.value = (try? substitute(v, scope, what: "hooks.exit.arguments")) ?? v }
                resolved.append(p)
            }
            arguments?.parameters = resolved
        }
        let hookNode = executeTemplate(
            nodeName: hookName, displayName: "\(node.displayName).onExit", templateName: hook.template,
            arguments: arguments, boundaryID: boundaryID, scope: globals)
        if hookNode != nil { addChild(node.name, hookName) }
        return hookNode?.phase.isFinished ?? false
    }

    /// Resolves a step's or task's argument values in `scope`.
    func resolveArguments(_ arguments: Arguments?, _ scope: VariableScope, what: String) throws(EngineError)
        -> Arguments?
    {
        guard var arguments else { return nil }
        if let params = arguments.parameters {
            var out: [Parameter] = []
            for var p in params {
                if let v = p.value {
                    // An argument that only names an absent output (of a skipped or omitted node) is left out,
                    // so the consuming input's default applies (Argo v4).
                    if let name = Self.soleReference(v), case .null? = scope[name] { continue }
                    p.value = try substitute(v, scope, what: "\(what).arguments.parameters.\(p.name)")
                }
                out.append(p)
            }
            arguments.parameters = out
        }
        return arguments
    }

    /// The variable name when `text` is exactly one simple tag (`{{ steps.a.outputs.result }}`).
    static func soleReference(_ text: String) -> String? {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard t.hasPrefix("{{"), t.hasSuffix("}}"), !t.hasPrefix("{{=") else { return nil }
        let inner = t.dropFirst(2).dropLast(2)
        guard !inner.contains("{{"), !inner.contains("}}") else { return nil }
        return inner.trimmingCharacters(in: .whitespaces)
    }

    /// Evaluates a `when` after substitution. Returns nil when it holds or is absent; otherwise a skip reason,
    /// or throws for a bad expression.
    func evaluateWhen(_ when: String?, _ scope: VariableScope, what: String) throws(EngineError) -> String? {
        guard let when, !when.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        let substituted = try substitute(when, scope, what: "\(what).when")
        do {
            return try WhenCondition.evaluate(substituted) ? nil : "when '\(substituted)' evaluated false"
        } catch {
            throw EngineError("Invalid 'when' expression '\(substituted)': \(error.message)")
        }
    }
}
