import ArgosyModel

extension Builtins {
    /// expr's list, map and aggregate functions.
    static func collections(_ c: CallContext) throws(ExpressionError) -> JSONValue? {
        switch c.name {
        case "first", "last":
            try c.arity(1)
            let a = try c.array(0)
            return (c.name == "first" ? a.first : a.last) ?? .null
        case "get":
            try c.arity(2)
            switch (c.args[0], c.args[1]) {
            case (.object(let o), .string(let k)): return o[k] ?? .null
            case (.array(let a), let key):
                guard let i = ExprInterpreter.integer(key) else { return .null }
                let index = i < 0 ? a.count + i : i
                return a.indices.contains(index) ? a[index] : .null
            default: return .null
            }
        case "take":
            try c.arity(2)
            return .array(Array(try c.array(0).prefix(max(0, try c.int(1)))))
        case "keys":
            try c.arity(1)
            return .array(try c.entries(0).map { .string($0.key) })
        case "values":
            try c.arity(1)
            return .array(try c.entries(0).map(\.value))
        case "toPairs":
            try c.arity(1)
            return .array(try c.entries(0).map { .array([.string($0.key), $0.value]) })
        case "fromPairs":
            try c.arity(1)
            var pairs: [(String, JSONValue)] = []
            for item in try c.array(0) {
                guard case .array(let pair) = item, pair.count == 2 else {
                    throw c.error("each element must be a [key, value] pair", code: .type)
                }
                pairs.append((pair[0].stringValue ?? GoText.plain(pair[0]), pair[1]))
            }
            return .object(pairs: pairs)
        case "reverse":
            try c.arity(1)
            return .array(try c.array(0).reversed())
        case "uniq":
            try c.arity(1)
            var out: [JSONValue] = []
            for item in try c.array(0) where !out.contains(where: { ExprInterpreter.equal($0, item) }) {
                out.append(item)
            }
            return .array(out)
        case "concat":
            var out: [JSONValue] = []
            for i in c.args.indices { out += try c.array(i) }
            return .array(out)
        case "flatten":
            try c.arity(1)
            return .array(flatten(try c.array(0)))
        case "sort":
            try c.arity(1...2)
            let items = try c.array(0)
            let order = c.args.count == 2 ? try c.string(1) : "asc"
            let descending = order == "desc"
            if !descending, order != "asc" {
                throw c.error("order must be \"asc\" or \"desc\"", code: .type)
            }
            for item in items where ExprInterpreter.compare(item, items[0]) == nil {
                throw c.error("elements must all be numbers or all strings", code: .type)
            }
            return .array(
                items.sorted { a, b in
                    let order = ExprInterpreter.compare(a, b) ?? .orderedSame
                    return descending ? order == .orderedDescending : order == .orderedAscending
                })
        case "max", "min", "mean", "median":
            let numbers = try aggregateNumbers(c)
            switch c.name {
            case "max", "min":
                var best: JSONValue?
                for n in numbers {
                    guard let current = best else {
                        best = n
                        continue
                    }
                    let order = ExprInterpreter.compare(n, current)
                    if order == (c.name == "max" ? .orderedDescending : .orderedAscending) { best = n }
                }
                return best ?? .null
            case "mean":
                guard !numbers.isEmpty else { return .double(0) }
                return .double(numbers.compactMap(\.doubleValue).reduce(0, +) / Double(numbers.count))
            default:
                let sorted = numbers.compactMap(\.doubleValue).sorted()
                guard !sorted.isEmpty else { return .double(0) }
                let mid = sorted.count / 2
                return .double(sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2)
            }
        default:
            return nil
        }
    }

    private static func flatten(_ items: [JSONValue]) -> [JSONValue] {
        items.flatMap { item -> [JSONValue] in
            if case .array(let inner) = item { return flatten(inner) }
            return [item]
        }
    }

    /// The numbers given as arguments or inside list arguments (`max(1, 2)`, `max([1, 2])`).
    private static func aggregateNumbers(_ c: CallContext) throws(ExpressionError) -> [JSONValue] {
        var out: [JSONValue] = []
        for (i, arg) in c.args.enumerated() {
            for item in arg.arrayValue.map(flatten) ?? [arg] {
                guard item.doubleValue != nil else { throw c.typeError(i, expected: "numbers") }
                out.append(item)
            }
        }
        if c.args.isEmpty { throw c.error("expected at least one argument", code: .type) }
        return out
    }
}
