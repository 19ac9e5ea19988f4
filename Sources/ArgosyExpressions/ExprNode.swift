import ArgosyModel

/// A node of a parsed expr-lang expression, with the character offset it came from.
struct ExprNode: Sendable {
    indirect enum Kind: Sendable {
        case literal(JSONValue)
        case identifier(String)
        /// `#` (empty name), `#index`, `#acc` inside a closure.
        case pointer(String)
        /// `base.name`, `base[index]`, `base?.name`; `optional` for `?.`.
        case member(ExprNode, ExprNode, optional: Bool)
        case slice(ExprNode, from: ExprNode?, to: ExprNode?)
        case unary(String, ExprNode)
        case binary(String, ExprNode, ExprNode)
        case conditional(ExprNode, ExprNode, ExprNode)
        case array([ExprNode])
        case map([(ExprNode, ExprNode)])
        /// A call: the callee is an identifier (`len(x)`) or a member (`sprig.trim(x)`).
        case call(ExprNode, [ExprNode])
        /// A closure argument `{ … }` of `filter`, `map`, `all`, ….
        case predicate(ExprNode)
        /// `let name = value; body`.
        case letIn(String, ExprNode, ExprNode)
        /// `a; b` — evaluates each, yields the last.
        case sequence([ExprNode])
    }

    var kind: Kind
    var position: Int

    init(_ kind: Kind, at position: Int) {
        self.kind = kind
        self.position = position
    }
}

extension ExprNode: CustomStringConvertible {
    /// A canonical, fully parenthesised form that parses back to the same tree.
    var description: String {
        switch kind {
        case .literal(let v):
            switch v {
            case .string(let s): return GoText.json(.string(s))
            case .null: return "nil"
            case .double(let d):
                let text = GoText.float(d, json: false)
                return text.contains(".") || text.contains("e") || text.contains("Inf") || text.contains("NaN")
                    ? text : text + ".0"
            default: return GoText.json(v)
            }
        case .identifier(let name): return name
        case .pointer(let name): return "#" + name
        case .member(let base, let property, let optional):
            if case .literal(.string(let name)) = property.kind, ExprNode.isPlainName(name) {
                return "\(base)\(optional ? "?." : ".")\(name)"
            }
            return "\(base)\(optional ? "?." : "")[\(property)]"
        case .slice(let base, let from, let to):
            return "\(base)[\(from.map(\.description) ?? ""):\(to.map(\.description) ?? "")]"
        case .unary(let op, let node):
            return op == "not" ? "(not \(node))" : "(\(op)\(node))"
        case .binary(let op, let l, let r): return "(\(l) \(op) \(r))"
        case .conditional(let c, let a, let b): return "(\(c) ? \(a) : \(b))"
        case .array(let items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .map(let pairs):
            return "{" + pairs.map { "(\($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
        case .call(let callee, let args): return "\(callee)(" + args.map(\.description).joined(separator: ", ") + ")"
        case .predicate(let body): return "{\(body)}"
        case .letIn(let name, let value, let body): return "(let \(name) = \(value); \(body))"
        case .sequence(let nodes): return "(" + nodes.map(\.description).joined(separator: "; ") + ")"
        }
    }

    /// True when `name` can follow a `.` without brackets.
    static func isPlainName(_ name: String) -> Bool {
        guard let first = name.first, first.isLetter || first == "_" || first == "$" else { return false }
        return name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "$" }
    }
}
