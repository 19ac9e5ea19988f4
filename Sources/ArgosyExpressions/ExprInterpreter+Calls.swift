import ArgosyModel

extension ExprInterpreter {
    mutating func call(_ callee: ExprNode, _ argNodes: [ExprNode], at node: ExprNode) throws(ExpressionError)
        -> JSONValue
    {
        switch callee.kind {
        case .identifier(let name):
            if ExprParser.predicateArguments[name] != nil {
                return try callPredicate(name, argNodes, at: node)
            }
            let keepTemporal = Builtins.temporalFunctions.contains(name)
            if keepTemporal && name != "string" && name != "type" { usesTemporal = true }
            let context = CallContext(
                name: name, args: try evalArguments(argNodes, keepTemporal: keepTemporal), node: node, source: source,
                currentTime: scope.currentTime)
            if let result = try Builtins.call(context) { return result }
            throw fail("unknown function \(name)", at: callee, code: .unknownName)
        case .member(let base, let property, _):
            if case .identifier("sprig") = base.kind, case .literal(.string(let name)) = property.kind {
                let keepTemporal = SprigFunctions.temporalFunctions.contains(name)
                if keepTemporal { usesTemporal = true }
                let context = CallContext(
                    name: "sprig.\(name)", args: try evalArguments(argNodes, keepTemporal: keepTemporal), node: node,
                    source: source, currentTime: scope.currentTime)
                if let result = try SprigFunctions.call(name, context) { return result }
                throw fail("unknown function sprig.\(name)", at: property, code: .unknownName)
            }
            guard case .literal(.string(let name)) = property.kind else {
                throw fail("\(callee) is not a function", at: callee, code: .type)
            }
            return try callMethod(name, on: base, argNodes, at: node)
        default:
            throw fail("\(callee) is not a function", at: callee, code: .type)
        }
    }

    /// `receiver.Name(args)`: a Go method of a date or a duration, or (with no arguments) a field of a map, as Go
    /// structs such as sprig's `semver` result expose them (`sprig.semver('1.2.3').Major()`).
    private mutating func callMethod(_ name: String, on base: ExprNode, _ argNodes: [ExprNode], at node: ExprNode)
        throws(ExpressionError) -> JSONValue
    {
        let receiver = try eval(base)
        if let temporal = Temporal(receiver) {
            let context = CallContext(
                name: name, args: try evalArguments(argNodes, keepTemporal: true), node: node, source: source,
                currentTime: scope.currentTime)
            return try Builtins.method(temporal, context)
        }
        if case .object(let o) = receiver, argNodes.isEmpty, let field = o[name] { return field }
        throw fail("\(Self.typeName(receiver)) has no method \(name)", at: node, code: .unknownName)
    }

    /// The arguments' values; dates and durations in their JSON form unless the function takes them as they are.
    private mutating func evalArguments(_ nodes: [ExprNode], keepTemporal: Bool) throws(ExpressionError)
        -> [JSONValue]
    {
        var args: [JSONValue] = []
        args.reserveCapacity(nodes.count)
        for n in nodes {
            let v = try eval(n)
            args.append(usesTemporal && !keepTemporal ? Temporal.external(v) : v)
        }
        return args
    }

    private mutating func run(_ closure: ExprNode, _ frame: Frame) throws(ExpressionError) -> JSONValue {
        guard case .predicate(let body) = closure.kind else { return try eval(closure) }
        frames.append(frame)
        defer { frames.removeLast() }
        return try eval(body)
    }

    private mutating func test(_ closure: ExprNode, _ element: JSONValue, _ index: Int, _ name: String)
        throws(ExpressionError) -> Bool
    {
        let v = try run(closure, Frame(element: element, index: index))
        guard case .bool(let b) = v else {
            throw fail("\(name): the closure must return a bool, got \(Self.typeName(v))", at: closure, code: .type)
        }
        return b
    }

    private mutating func callPredicate(_ name: String, _ argNodes: [ExprNode], at node: ExprNode)
        throws(ExpressionError) -> JSONValue
    {
        let input = try eval(argNodes[0])
        let items: [JSONValue]
        switch input {
        case .array(let a): items = a
        case .null where name == "count" || name == "sum": items = []
        default:
            throw fail("\(name): cannot iterate over \(Self.typeName(input))", at: argNodes[0], code: .type)
        }
        let closure = argNodes.count > 1 ? argNodes[1] : nil
        switch name {
        case "all", "any", "none", "one", "count":
            var hits = 0
            for (i, item) in items.enumerated() {
                let hit: Bool
                if let closure {
                    hit = try test(closure, item, i, name)
                } else {
                    guard case .bool(let b) = item else {
                        throw fail("count: elements must be bools, got \(Self.typeName(item))", at: node, code: .type)
                    }
                    hit = b
                }
                if hit { hits += 1 }
                if name == "all", !hit { return .bool(false) }
                if name == "any", hit { return .bool(true) }
                if name == "none", hit { return .bool(false) }
            }
            switch name {
            case "all", "none": return .bool(true)
            case "any": return .bool(false)
            case "one": return .bool(hits == 1)
            default: return .int(hits)
            }
        case "filter":
            var out: [JSONValue] = []
            for (i, item) in items.enumerated() where try test(closure ?? node, item, i, name) { out.append(item) }
            return .array(out)
        case "map":
            var out: [JSONValue] = []
            for (i, item) in items.enumerated() {
                out.append(try run(closure ?? node, Frame(element: item, index: i)))
            }
            return .array(out)
        case "find", "findIndex", "findLast", "findLastIndex":
            let order = name.hasPrefix("findLast") ? Array(items.indices.reversed()) : Array(items.indices)
            for i in order where try test(closure ?? node, items[i], i, name) {
                return name.hasSuffix("Index") ? .int(i) : items[i]
            }
            return name.hasSuffix("Index") ? .int(-1) : .null
        case "sum":
            var total: JSONValue = .int(0)
            for (i, item) in items.enumerated() {
                let v =
                    try closure.map { c throws(ExpressionError) in try run(c, Frame(element: item, index: i)) } ?? item
                total = try arithmetic("+", total, v, at: node)
            }
            return total
        case "groupBy":
            var groups: [(String, [JSONValue])] = []
            for (i, item) in items.enumerated() {
                let key = try run(closure ?? node, Frame(element: item, index: i))
                let text = key.stringValue ?? GoText.plain(key)
                if let at = groups.firstIndex(where: { $0.0 == text }) {
                    groups[at].1.append(item)
                } else {
                    groups.append((text, [item]))
                }
            }
            return .object(pairs: groups.map { ($0.0, .array($0.1)) })
        case "sortBy":
            var keyed: [(JSONValue, JSONValue)] = []
            for (i, item) in items.enumerated() {
                keyed.append((try run(closure ?? node, Frame(element: item, index: i)), item))
            }
            let order = argNodes.count > 2 ? try eval(argNodes[2]) : .string("asc")
            guard order == "asc" || order == "desc" else {
                throw fail("sortBy: order must be \"asc\" or \"desc\"", at: argNodes[2], code: .type)
            }
            for pair in keyed where Self.compare(pair.0, keyed[0].0) == nil {
                throw fail("sortBy: keys must all be numbers or all strings", at: node, code: .type)
            }
            let sorted = keyed.enumerated().sorted { a, b in
                let c = Self.compare(a.element.0, b.element.0) ?? .orderedSame
                if c == .orderedSame { return a.offset < b.offset }
                return (c == .orderedAscending) == (order == "asc")
            }
            return .array(sorted.map { $0.element.1 })
        case "reduce":
            var accumulator: JSONValue
            var start = 0
            if argNodes.count > 2 {
                accumulator = try eval(argNodes[2])
            } else {
                guard let first = items.first else { return .null }
                accumulator = first
                start = 1
            }
            for i in items.indices.dropFirst(start) {
                accumulator = try run(closure ?? node, Frame(element: items[i], index: i, accumulator: accumulator))
            }
            return accumulator
        default:
            throw fail("unknown function \(name)", at: node, code: .unknownName)
        }
    }
}
