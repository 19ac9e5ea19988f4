import ArgosyModel
import Foundation

/// Argo's `set` (`argo node set`): gives running suspend nodes a phase, a message or supplied output values.
public struct NodeUpdate: Codable, Sendable, Equatable {
    /// A node field selector: `displayName=…`, `name=…`, `id=…`, `templateName=…` or `phase=…`, with `=` or
    /// `!=`, several joined by commas.
    public var selector: String
    public var phase: NodePhase?
    public var message: String?
    public var outputParameters: [String: String]

    public init(
        selector: String, phase: NodePhase? = nil, message: String? = nil, outputParameters: [String: String] = [:]
    ) {
        self.selector = selector
        self.phase = phase
        self.message = message
        self.outputParameters = outputParameters
    }
}

/// Argo's node field selectors.
public enum NodeFieldSelector {
    static let fields: Set<String> = ["displayName", "name", "id", "templateName", "phase"]

    struct Term {
        var field: String
        var value: String
        var negated: Bool
    }

    /// The terms of `selector`; an unknown field or a term without `=` is an error.
    static func terms(_ selector: String) throws(ArgosyError) -> [Term] {
        var terms: [Term] = []
        for raw in selector.split(separator: ",") {
            let term = raw.trimmingCharacters(in: .whitespaces)
            let negated = term.contains("!=")
            guard let r = term.range(of: negated ? "!=" : "=") else {
                throw ArgosyError(.invalid, "nodeFieldSelector: '\(term)' is not FIELD=VALUE or FIELD!=VALUE")
            }
            let field = String(term[..<r.lowerBound])
            guard fields.contains(field) else {
                throw ArgosyError(
                    .invalid,
                    "nodeFieldSelector: unsupported field '\(field)' (use \(fields.sorted().joined(separator: ", ")))")
            }
            terms.append(Term(field: field, value: String(term[r.upperBound...]), negated: negated))
        }
        return terms
    }

    /// Checks `selector` before it is handed to a controller.
    public static func validate(_ selector: String) throws(ArgosyError) { _ = try terms(selector) }

    /// Whether `node` matches every term of `selector`.
    public static func matches(_ selector: String, _ node: NodeStatus) throws(ArgosyError) -> Bool {
        try terms(selector).allSatisfy { term in
            let actual: String? =
                switch term.field {
                case "displayName": node.displayName
                case "name": node.name
                case "id": node.id
                case "templateName": node.templateName
                default: node.phase.rawValue
                }
            return (actual == term.value) != term.negated
        }
    }
}

extension Reconciler {
    /// Argo's `resume` with a node field selector: resumes the running suspend nodes it picks (all when nil).
    @discardableResult
    public func resume(_ state: inout RunState, selector: String?, now: Date) -> Int {
        guard let selector else { return resume(&state, now: now) }
        var count = 0
        for node in state.nodes.values where node.type == .suspend && node.phase == .running {
            if (try? NodeFieldSelector.matches(selector, node)) == true {
                count += resume(&state, nodeName: node.name, now: now)
            }
        }
        return count
    }
}

extension Reconciler {
    /// The running suspend nodes `update` applies to, after checking its output parameters are ones those nodes'
    /// templates declare with `valueFrom.supplied`, as Argo requires.
    public func nodesToSet(_ update: NodeUpdate, in nodes: [NodeStatus]) throws(ArgosyError) -> [NodeStatus] {
        if let phase = update.phase, phase != .succeeded, phase != .failed {
            throw ArgosyError(.invalid, "phase: set accepts Succeeded or Failed, not \(phase.rawValue)")
        }
        var matched: [NodeStatus] = []
        for node in nodes where node.type == .suspend && node.phase == .running {
            if try NodeFieldSelector.matches(update.selector, node) { matched.append(node) }
        }
        guard !matched.isEmpty else {
            throw ArgosyError(
                .failedPrecondition,
                "currently, set only targets suspend nodes: no running suspend nodes match nodeFieldSelector '\(update.selector)'"
            )
        }
        for node in matched {
            let declared = template(for: node)?.outputs?.parameters ?? []
            for name in update.outputParameters.keys.sorted() {
                guard declared.contains(where: { $0.name == name && $0.valueFrom?.supplied != nil }) else {
                    throw ArgosyError(
                        .invalid,
                        "outputParameters: node '\(node.displayName)' does not expect output parameter '\(name)' "
                            + "(declare it with valueFrom.supplied)")
                }
            }
        }
        return matched
    }

    /// Applies `update` (already checked with `nodesToSet`): supplied outputs are kept for the node's resume; a
    /// phase finishes the node now. Returns how many nodes changed.
    @discardableResult
    public func set(_ state: inout RunState, _ update: NodeUpdate, now: Date) -> Int {
        guard let matched = try? nodesToSet(update, in: Array(state.nodes.values)) else { return 0 }
        for node in matched {
            var n = node
            if !update.outputParameters.isEmpty {
                var params = n.outputs?.parameters ?? []
                for (name, value) in update.outputParameters.sorted(by: { $0.key < $1.key }) {
                    params.removeAll { $0.name == name }
                    params.append(Parameter(name: name, value: value))
                }
                n.outputs = Outputs(parameters: params)
            }
            if let message = update.message { n.message = message }
            state.set(n)
            if update.phase == .succeeded {
                resume(&state, nodeName: n.name, now: now)
            } else if update.phase == .failed, var failed = state.node(id: n.id) {
                failed.phase = .failed
                failed.finishedAt = now
                state.set(failed)
            }
        }
        return matched.count
    }
}
