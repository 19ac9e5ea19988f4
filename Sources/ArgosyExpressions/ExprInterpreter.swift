import ArgosyModel

/// Evaluates a parsed expression tree against a ``VariableScope``.
struct ExprInterpreter {
    /// What a name or member chain refers to: a value, or a dotted prefix of the flat scope not yet materialised.
    enum Ref {
        case value(JSONValue)
        case namespace(String)
    }

    /// The innermost closure's `#`, `#index` and `#acc`.
    struct Frame {
        var element: JSONValue
        var index: Int
        var accumulator: JSONValue = .null
    }

    let source: String
    let scope: VariableScope
    var frames: [Frame] = []
    var locals: [String: JSONValue] = [:]
    /// Set once a date or duration function has run: only then can values hold marked dates (see ``Temporal``).
    var usesTemporal = false

    init(source: String, scope: VariableScope) {
        self.source = source
        self.scope = scope
    }

    func fail(_ message: String, at node: ExprNode, code: ExpressionError.Code = .evaluation) -> ExpressionError {
        ExpressionError(expression: source, position: node.position, message: message, code: code)
    }

    static func typeName(_ v: JSONValue) -> String {
        switch v {
        case .null: return "nil"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float64"
        case .string: return "string"
        case .array: return "[]interface {}"
        case .object: return "map[string]interface {}"
        }
    }

    func materialize(_ ref: Ref) -> JSONValue {
        switch ref {
        case .value(let v): return v
        case .namespace(let prefix): return scope.materialize(prefix)
        }
    }

    mutating func eval(_ node: ExprNode) throws(ExpressionError) -> JSONValue {
        switch node.kind {
        case .literal(let v): return v
        case .identifier, .member:
            guard let ref = try reference(node, nilSafe: false) else { return .null }
            return materialize(ref)
        case .pointer(let name):
            guard let frame = frames.last else { throw fail("'#' used outside a closure", at: node, code: .syntax) }
            switch name {
            case "": return frame.element
            case "index": return .int(frame.index)
            case "acc": return frame.accumulator
            default: throw fail("unknown closure variable '#\(name)'", at: node, code: .unknownName)
            }
        case .slice(let base, let from, let to):
            return try slice(try eval(base), from: from, to: to, at: node)
        case .unary(let op, let operand):
            return try unary(op, try eval(operand), at: node)
        case .binary(let op, let left, let right):
            return try binary(op, left, right, at: node)
        case .conditional(let condition, let yes, let no):
            let c = try eval(condition)
            guard case .bool(let b) = c else {
                throw fail(
                    "non-bool expression (type \(Self.typeName(c))) used as condition", at: condition, code: .type)
            }
            return try eval(b ? yes : no)
        case .array(let items):
            var out: [JSONValue] = []
            out.reserveCapacity(items.count)
            for item in items { out.append(try eval(item)) }
            return .array(out)
        case .map(let pairs):
            var object: [(String, JSONValue)] = []
            for (k, v) in pairs {
                let key = try eval(k)
                object.append((key.stringValue ?? GoText.plain(key), try eval(v)))
            }
            return .object(.init(object, uniquingKeysWith: { _, last in last }))
        case .call(let callee, let args):
            return try call(callee, args, at: node)
        case .predicate:
            throw fail("a closure can only be an argument of filter, map, all, any, …", at: node, code: .syntax)
        case .letIn(let name, let value, let body):
            let saved = locals[name]
            locals[name] = try eval(value)
            defer { locals[name] = saved }
            return try eval(body)
        case .sequence(let nodes):
            var last: JSONValue = .null
            for n in nodes { last = try eval(n) }
            return last
        }
    }

    /// Resolves a name or member chain. Nil means an optional access (`?.`) met nil and short-circuited the chain.
    /// With `nilSafe`, reading a member of nil gives nil instead of an error (the left side of `??`).
    mutating func reference(_ node: ExprNode, nilSafe: Bool) throws(ExpressionError) -> Ref? {
        switch node.kind {
        case .identifier(let name):
            if let v = locals[name] { return .value(v) }
            if scope.hasChildren(name) { return .namespace(name) }
            if let v = scope.values[name] { return .value(v) }
            throw ExpressionError(
                expression: source, position: node.position, message: "unknown name \(name)", code: .unknownName,
                name: name)
        case .member(let base, let property, let optional):
            guard let receiver = try reference(base, nilSafe: nilSafe) else { return nil }
            let key = try eval(property)
            if case .value(.null) = receiver {
                if optional { return nil }
                if nilSafe { return .value(.null) }
                throw fail("cannot fetch \(GoText.plain(key)) from nil", at: node)
            }
            return try member(receiver, key, at: node)
        default:
            return .value(try eval(node))
        }
    }

    func member(_ receiver: Ref, _ key: JSONValue, at node: ExprNode) throws(ExpressionError) -> Ref {
        switch receiver {
        case .namespace(let prefix):
            let name: String
            switch key {
            case .string(let s): name = s
            case .int(let i): name = String(i)
            default: throw fail("cannot fetch \(GoText.plain(key)) from \(prefix)", at: node, code: .type)
            }
            let path = prefix + "." + name
            if scope.hasChildren(path) { return .namespace(path) }
            if let v = scope.values[path] { return .value(v) }
            if case .object(let o)? = scope.values[prefix] { return .value(o[name] ?? .null) }
            return .value(.null)
        case .value(let v):
            return .value(try fetch(v, key, at: node))
        }
    }

    func fetch(_ value: JSONValue, _ key: JSONValue, at node: ExprNode) throws(ExpressionError) -> JSONValue {
        switch (value, key) {
        case (.object(let o), .string(let k)): return o[k] ?? .null
        case (.array(let a), _):
            guard let i = Self.integer(key) else {
                throw fail("cannot fetch \(GoText.plain(key)) from \(Self.typeName(value))", at: node, code: .type)
            }
            let index = i < 0 ? a.count + i : i
            guard a.indices.contains(index) else {
                throw fail("index out of range: \(i) (array length is \(a.count))", at: node)
            }
            return a[index]
        case (.string(let s), _):
            guard let i = Self.integer(key) else {
                throw fail("cannot fetch \(GoText.plain(key)) from string", at: node, code: .type)
            }
            let chars = Array(s)
            let index = i < 0 ? chars.count + i : i
            guard chars.indices.contains(index) else {
                throw fail("index out of range: \(i) (string length is \(chars.count))", at: node)
            }
            return .string(String(chars[index]))
        default:
            throw fail("cannot fetch \(GoText.plain(key)) from \(Self.typeName(value))", at: node, code: .type)
        }
    }

    static func integer(_ v: JSONValue) -> Int? {
        switch v {
        case .int(let i): return i
        case .double(let d) where d == d.rounded() && abs(d) < 9e15: return Int(d)
        default: return nil
        }
    }

    mutating func slice(
        _ value: JSONValue, from: ExprNode?, to: ExprNode?, at node: ExprNode
    ) throws(ExpressionError) -> JSONValue {
        func bound(_ n: ExprNode?, _ fallback: Int, _ count: Int) throws(ExpressionError) -> Int {
            guard let n else { return fallback }
            let v = try eval(n)
            guard let i = Self.integer(v) else {
                throw fail("slice bounds must be integers, got \(Self.typeName(v))", at: n, code: .type)
            }
            return min(max(i < 0 ? count + i : i, 0), count)
        }
        switch value {
        case .array(let a):
            let lower = try bound(from, 0, a.count)
            let upper = max(lower, try bound(to, a.count, a.count))
            return .array(Array(a[lower..<upper]))
        case .string(let s):
            let chars = Array(s)
            let lower = try bound(from, 0, chars.count)
            let upper = max(lower, try bound(to, chars.count, chars.count))
            return .string(String(chars[lower..<upper]))
        default:
            throw fail("cannot slice \(Self.typeName(value))", at: node, code: .type)
        }
    }

    static func collectNames(_ node: ExprNode, into names: inout [String]) {
        if case .binary("??", let guarded, let fallback) = node.kind {
            var root = guarded
            while case .member(let base, _, _) = root.kind { root = base }
            collectNames(root, into: &names)
            collectNames(fallback, into: &names)
            return
        }
        if let path = dottedPath(node) {
            names.append(path)
            return
        }
        switch node.kind {
        case .member(let base, let property, _):
            collectNames(base, into: &names)
            collectNames(property, into: &names)
        case .slice(let base, let from, let to):
            collectNames(base, into: &names)
            if let from { collectNames(from, into: &names) }
            if let to { collectNames(to, into: &names) }
        case .unary(_, let n), .predicate(let n): collectNames(n, into: &names)
        case .binary(_, let l, let r):
            collectNames(l, into: &names)
            collectNames(r, into: &names)
        case .conditional(let a, let b, let c): [a, b, c].forEach { collectNames($0, into: &names) }
        case .array(let items), .sequence(let items): items.forEach { collectNames($0, into: &names) }
        case .map(let pairs):
            pairs.forEach {
                collectNames($0.0, into: &names); collectNames($0.1, into: &names)
            }
        case .call(let callee, let args):
            if case .member(let base, _, _) = callee.kind, case .identifier("sprig") = base.kind {
            } else if case .identifier = callee.kind {
            } else {
                collectNames(callee, into: &names)
            }
            args.forEach { collectNames($0, into: &names) }
        case .letIn(_, let v, let b):
            collectNames(v, into: &names)
            collectNames(b, into: &names)
        case .literal, .identifier, .pointer: break
        }
    }

    /// `a.b['c']` as "a.b.c" when every step is a plain constant string; nil otherwise.
    static func dottedPath(_ node: ExprNode) -> String? {
        switch node.kind {
        case .identifier(let name): return name
        case .member(let base, let property, let optional):
            guard !optional, case .literal(.string(let key)) = property.kind, let head = dottedPath(base) else {
                return nil
            }
            return head + "." + key
        default: return nil
        }
    }
}
