import ArgosyModel
import Foundation

/// The sprig functions Argo exposes as `sprig.<name>(…)`, with sprig's argument order (the subject comes last:
/// `sprig.replace(old, new, text)`, `sprig.default(fallback, value)`) and its lenient conversions (`sprig.int('x')`
/// is 0). YAML, file, network, crypto beyond hashes, and template-only functions are not provided.
enum SprigFunctions {
    /// Calls sprig function `name`, or returns nil when there is no such function.
    static func call(_ name: String, _ c: CallContext) throws(ExpressionError) -> JSONValue? {
        switch name {
        case "trim", "upper", "lower", "title", "untitle", "nospace", "toString":
            try c.arity(1)
            let s = strval(c.args[0])
            switch name {
            case "trim": return .string(s.trimmingWhitespace())
            case "upper": return .string(s.uppercased())
            case "lower": return .string(s.lowercased())
            case "title": return .string(title(s))
            case "untitle": return .string(untitle(s))
            case "nospace": return .string(String(s.filter { !$0.isWhitespace }))
            default: return .string(Temporal(c.args[0])?.goString ?? s)
            }
        case "trimAll", "trimPrefix", "trimSuffix", "contains", "hasPrefix", "hasSuffix":
            try c.arity(2)
            let affix = strval(c.args[0])
            let s = strval(c.args[1])
            switch name {
            case "trimAll":
                let cutset = Set(affix)
                return .string(
                    String(s.drop(while: cutset.contains).reversed().drop(while: cutset.contains).reversed()))
            case "trimPrefix": return .string(s.hasPrefix(affix) ? String(s.dropFirst(affix.count)) : s)
            case "trimSuffix": return .string(s.hasSuffix(affix) ? String(s.dropLast(affix.count)) : s)
            case "contains": return .bool(affix.isEmpty || s.contains(affix))
            case "hasPrefix": return .bool(s.hasPrefix(affix))
            default: return .bool(s.hasSuffix(affix))
            }
        case "replace":
            try c.arity(3)
            let old = strval(c.args[0])
            let s = strval(c.args[2])
            return .string(old.isEmpty ? s : s.replacingOccurrences(of: old, with: strval(c.args[1])))
        case "repeat":
            try c.arity(2)
            let n = toInt64(c.args[0])
            let s = strval(c.args[1])
            guard n >= 0, n <= 1_000_000, s.utf8.count * n <= 10_000_000 else { throw c.error("bad repeat count \(n)") }
            return .string(String(repeating: s, count: n))
        case "substr":
            try c.arity(3)
            let chars = Array(strval(c.args[2]))
            let start = toInt64(c.args[0])
            let end = toInt64(c.args[1])
            let lower = start < 0 ? 0 : min(start, chars.count)
            let upper = end < 0 || end > chars.count ? chars.count : end
            return .string(lower <= upper ? String(chars[lower..<upper]) : "")
        case "trunc":
            try c.arity(2)
            let n = toInt64(c.args[0])
            let chars = Array(strval(c.args[1]))
            if n >= 0 { return .string(String(chars.prefix(n))) }
            return .string(String(chars.suffix(min(chars.count, -n))))
        case "quote", "squote", "cat":
            let present = c.args.filter { !$0.isNull }.map(strval)
            switch name {
            case "quote": return .string(present.map(goQuote).joined(separator: " "))
            case "squote": return .string(present.map { "'\($0)'" }.joined(separator: " "))
            default: return .string(present.joined(separator: " "))
            }
        case "indent", "nindent":
            try c.arity(2)
            let pad = String(repeating: " ", count: max(0, toInt64(c.args[0])))
            let text = pad + strval(c.args[1]).replacingOccurrences(of: "\n", with: "\n" + pad)
            return .string(name == "nindent" ? "\n" + text : text)
        case "int", "int64", "atoi":
            try c.arity(1)
            return .int(toInt64(c.args[0]))
        case "float64":
            try c.arity(1)
            return .double(toFloat64(c.args[0]))
        case "add", "mul", "max", "min":
            try c.arity(1...Int.max)
            let numbers = c.args.map(toInt64)
            switch name {
            case "add": return .int(numbers.reduce(0, &+))
            case "mul": return .int(numbers.reduce(1, &*))
            case "max": return .int(numbers.max() ?? 0)
            default: return .int(numbers.min() ?? 0)
            }
        case "add1":
            try c.arity(1)
            return .int(toInt64(c.args[0]) &+ 1)
        case "sub", "div", "mod":
            try c.arity(2)
            let a = toInt64(c.args[0])
            let b = toInt64(c.args[1])
            if name == "sub" { return .int(a &- b) }
            guard b != 0 else { throw c.error("integer divide by zero") }
            if name == "div" { return .int(a.dividedReportingOverflow(by: b).partialValue) }
            return .int(a.remainderReportingOverflow(dividingBy: b).partialValue)
        case "addf", "subf", "mulf", "divf", "maxf", "minf":
            try c.arity(1...Int.max)
            let numbers = c.args.map(toFloat64)
            let rest = numbers.dropFirst()
            switch name {
            case "addf": return .double(numbers.reduce(0, +))
            case "subf": return .double(rest.reduce(numbers[0], -))
            case "mulf": return .double(rest.reduce(numbers[0], *))
            case "divf": return .double(rest.reduce(numbers[0], /))
            case "maxf": return .double(numbers.max() ?? 0)
            default: return .double(numbers.min() ?? 0)
            }
        case "floor", "ceil":
            try c.arity(1)
            return .double(toFloat64(c.args[0]).rounded(name == "floor" ? .down : .up))
        case "round":
            try c.arity(2...3)
            let scale = pow(10, Double(toInt64(c.args[1])))
            return .double((toFloat64(c.args[0]) * scale).rounded(.toNearestOrAwayFromZero) / scale)
        case "default":
            try c.arity(1...2)
            if c.args.count < 2 || c.args[1].isEmptyValue { return c.args[0] }
            return c.args[1]
        case "empty":
            try c.arity(1)
            return .bool(c.args[0].isEmptyValue)
        case "coalesce":
            return c.args.first { !$0.isEmptyValue } ?? .null
        case "ternary":
            try c.arity(3)
            guard case .bool(let b) = c.args[2] else { throw c.typeError(2, expected: "a bool") }
            return b ? c.args[0] : c.args[1]
        case "typeOf":
            try c.arity(1)
            return .string(c.args[0].isNull ? "<nil>" : ExprInterpreter.typeName(c.args[0]))
        case "kindOf":
            try c.arity(1)
            switch c.args[0] {
            case .null: return "invalid"
            case .array: return "slice"
            case .object: return "map"
            default: return .string(ExprInterpreter.typeName(c.args[0]))
            }
        default:
            return try collections(name, c)
        }
    }

    /// sprig's `strval`: strings as they are, everything else as `fmt.Sprintf("%v")`.
    static func strval(_ v: JSONValue) -> String { GoText.plain(v) }

    /// sprig's `toInt64` (spf13/cast): numbers truncate, numeric strings parse, booleans are 1 or 0, else 0.
    static func toInt64(_ v: JSONValue) -> Int {
        switch v {
        case .int(let i): return i
        case .double(let d): return d.isFinite && abs(d) < 9.2e18 ? Int(d) : 0
        case .bool(let b): return b ? 1 : 0
        case .string(let s):
            let t = s.trimmingWhitespace()
            if let i = Int(t) { return i }
            if t.lowercased().hasPrefix("0x"), let i = Int(t.dropFirst(2), radix: 16) { return i }
            if let d = Double(t), d.isFinite, abs(d) < 9.2e18 { return Int(d) }
            return 0
        default: return 0
        }
    }

    /// sprig's `toFloat64`: numbers as they are, numeric strings parse, booleans are 1 or 0, else 0.
    static func toFloat64(_ v: JSONValue) -> Double {
        switch v {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .bool(let b): return b ? 1 : 0
        case .string(let s): return Double(s.trimmingWhitespace()) ?? 0
        default: return 0
        }
    }

    /// Go's `%q`: double-quoted with Go escapes.
    static func goQuote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\u{00}"..."\u{1F}", "\u{7F}": out += String(format: "\\x%02x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    private static func title(_ s: String) -> String {
        var out = ""
        var atWordStart = true
        for ch in s {
            out += atWordStart ? ch.uppercased() : String(ch)
            atWordStart = ch.isWhitespace || ch.isPunctuation && ch != "'"
        }
        return out
    }

    private static func untitle(_ s: String) -> String {
        var out = ""
        var atWordStart = true
        for ch in s {
            out += atWordStart ? ch.lowercased() : String(ch)
            atWordStart = ch.isWhitespace
        }
        return out
    }
}
