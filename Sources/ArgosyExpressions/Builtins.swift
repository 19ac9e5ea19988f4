import ArgosyModel
import Foundation

/// expr-lang's built-in functions, plus Argo's `asInt`, `asFloat`, `toJson` and `jsonpath`.
/// The closure functions (`filter`, `map`, `all`, …) live in the interpreter, since they evaluate code.
enum Builtins {
    /// Calls the function named `context.name`, or returns nil when there is no such function.
    static func call(_ c: CallContext) throws(ExpressionError) -> JSONValue? {
        switch c.name {
        case "len":
            try c.arity(1)
            switch c.args[0] {
            case .string(let s): return .int(s.unicodeScalars.count)
            case .array(let a): return .int(a.count)
            case .object(let o): return .int(o.count)
            default: throw c.typeError(0, expected: "a string, an array or a map")
            }
        case "type":
            try c.arity(1)
            switch Temporal(c.args[0]) {
            case .time?: return "time.Time"
            case .duration?: return "time.Duration"
            case nil: break
            }
            switch c.args[0] {
            case .null: return "nil"
            case .bool: return "bool"
            case .int: return "int"
            case .double: return "float"
            case .string: return "string"
            case .array: return "array"
            case .object: return "map"
            }
        case "int", "asInt":
            try c.arity(1)
            return try toInt(c)
        case "float", "asFloat":
            try c.arity(1)
            switch c.args[0] {
            case .int(let i): return .double(Double(i))
            case .double: return c.args[0]
            case .string(let s):
                guard let d = goParseFloat(s) else { throw c.error("invalid operation: float(\(s))", code: .type) }
                return .double(d)
            default: throw c.typeError(0, expected: "a number or a numeric string")
            }
        case "string":
            try c.arity(1)
            if let t = Temporal(c.args[0]) { return .string(t.goString) }
            return .string(GoText.plain(Temporal.external(c.args[0])))
        case "abs":
            try c.arity(1)
            switch c.args[0] {
            case .int(let i): return .int(i == Int.min ? i : abs(i))
            case .double(let d): return .double(abs(d))
            default: throw c.typeError(0, expected: "a number")
            }
        case "ceil", "floor", "round":
            try c.arity(1)
            let d = try c.number(0)
            let rule: FloatingPointRoundingRule =
                c.name == "ceil" ? .up : c.name == "floor" ? .down : .toNearestOrAwayFromZero
            return .double(d.rounded(rule))
        case "toJSON":
            try c.arity(1)
            return .string(GoText.json(c.args[0], pretty: true))
        case "toJson":
            try c.arity(1)
            return .string(GoText.json(c.args[0]))
        case "fromJSON":
            try c.arity(1)
            return try c.parseJSON(try c.string(0))
        case "toBase64":
            try c.arity(1)
            return .string(Data(try c.string(0).utf8).base64EncodedString())
        case "fromBase64":
            try c.arity(1)
            guard let data = Data(base64Encoded: try c.string(0)) else { throw c.error("illegal base64 data") }
            return .string(String(decoding: data, as: UTF8.self))
        case "jsonpath":
            try c.arity(2)
            let document: JSONValue
            if case .string(let text) = c.args[0] { document = try c.parseJSON(text) } else { document = c.args[0] }
            return try JSONPath(try c.string(1), context: c).evaluate(on: document)
        default:
            if let result = try strings(c) { return result }
            if let result = try dates(c) { return result }
            return try Builtins.collections(c)
        }
    }

    /// expr's `int`: truncates floats, parses decimal strings, fails on anything else.
    static func toInt(_ c: CallContext) throws(ExpressionError) -> JSONValue {
        switch c.args[0] {
        case .int: return c.args[0]
        case .double(let d):
            guard d.isFinite, abs(d) < 9.2e18 else { throw c.error("invalid operation: int(\(d))", code: .type) }
            return .int(Int(d))
        case .string(let s):
            guard let i = Int(s) else { throw c.error("invalid operation: int(\(s))", code: .type) }
            return .int(i)
        default: throw c.typeError(0, expected: "a number or a numeric string")
        }
    }

    /// Go's `strconv.ParseFloat` for the forms people write ("1.5", "1e3", "-2", "+Inf").
    static func goParseFloat(_ s: String) -> Double? {
        guard !s.isEmpty, !s.contains(where: { $0.isWhitespace }) else { return nil }
        return Double(s.replacingOccurrences(of: "_", with: ""))
    }

    private static func strings(_ c: CallContext) throws(ExpressionError) -> JSONValue? {
        switch c.name {
        case "upper", "lower":
            try c.arity(1)
            let s = try c.string(0)
            return .string(c.name == "upper" ? s.uppercased() : s.lowercased())
        case "trim":
            try c.arity(1...2)
            let s = try c.string(0)
            if c.args.count == 1 { return .string(s.trimmingWhitespace()) }
            let cutset = Set(try c.string(1))
            return .string(String(s.drop(while: cutset.contains).reversed().drop(while: cutset.contains).reversed()))
        case "trimPrefix", "trimSuffix":
            try c.arity(1...2)
            let s = try c.string(0)
            let affix = c.args.count == 2 ? try c.string(1) : " "
            if c.name == "trimPrefix" { return .string(s.hasPrefix(affix) ? String(s.dropFirst(affix.count)) : s) }
            return .string(s.hasSuffix(affix) ? String(s.dropLast(affix.count)) : s)
        case "split", "splitAfter":
            try c.arity(2...3)
            let limit = c.args.count == 3 ? try c.int(2) : -1
            let parts = goSplit(try c.string(0), separator: try c.string(1), limit: limit, keep: c.name == "splitAfter")
            return .array(parts.map { .string($0) })
        case "replace":
            try c.arity(3...4)
            let s = try c.string(0)
            let old = try c.string(1)
            let new = try c.string(2)
            let limit = c.args.count == 4 ? try c.int(3) : -1
            if limit < 0 { return .string(old.isEmpty ? s : s.replacingOccurrences(of: old, with: new)) }
            var pieces = goSplit(s, separator: old, limit: limit + 1, keep: false)
            if pieces.isEmpty { pieces = [s] }
            return .string(pieces.joined(separator: new))
        case "repeat":
            try c.arity(2)
            let s = try c.string(0)
            let n = try c.int(1)
            guard n >= 0 else { throw c.error("expected a non-negative count, got \(n)") }
            guard n <= 1_000_000, s.utf8.count * n <= 10_000_000 else { throw c.error("result too large") }
            return .string(String(repeating: s, count: n))
        case "indexOf", "lastIndexOf":
            try c.arity(2)
            let s = try c.string(0)
            let t = try c.string(1)
            let range = c.name == "indexOf" ? s.range(of: t) : s.range(of: t, options: .backwards)
            guard let range else { return .int(-1) }
            return .int(s.distance(from: s.startIndex, to: range.lowerBound))
        case "hasPrefix", "hasSuffix":
            try c.arity(2)
            let s = try c.string(0)
            let t = try c.string(1)
            return .bool(c.name == "hasPrefix" ? s.hasPrefix(t) : s.hasSuffix(t))
        case "join":
            try c.arity(1...2)
            let separator = c.args.count == 2 ? try c.string(1) : ""
            var parts: [String] = []
            for item in try c.array(0) {
                guard case .string(let s) = item else {
                    throw c.error("elements must be strings, got \(ExprInterpreter.typeName(item))", code: .type)
                }
                parts.append(s)
            }
            return .string(parts.joined(separator: separator))
        default:
            return nil
        }
    }

    /// Go's `strings.SplitN` / `SplitAfterN`: an empty separator splits into characters; `limit < 0` means no limit.
    static func goSplit(_ s: String, separator: String, limit: Int, keep: Bool) -> [String] {
        if limit == 0 { return [] }
        if separator.isEmpty {
            var chars = s.map(String.init)
            if limit > 0, chars.count > limit {
                let rest = chars[(limit - 1)...].joined()
                chars = Array(chars[..<(limit - 1)]) + [rest]
            }
            return chars
        }
        var parts: [String] = []
        var rest = s[...]
        while limit < 0 || parts.count < limit - 1, let r = rest.range(of: separator) {
            parts.append(String(rest[..<(keep ? r.upperBound : r.lowerBound)]))
            rest = rest[r.upperBound...]
        }
        parts.append(String(rest))
        return parts
    }
}
