import ArgosyModel
import Foundation

extension ExprInterpreter {
    mutating func unary(_ op: String, _ value: JSONValue, at node: ExprNode) throws(ExpressionError) -> JSONValue {
        switch (op, value) {
        case ("-", .int(let i)): return .int(0 &- i)
        case ("-", .double(let d)): return .double(-d)
        case ("-", .string):
            guard case .duration(let d)? = Temporal(value) else { fallthrough }
            return Temporal.duration(0 &- d).encoded
        case ("+", .int), ("+", .double): return value
        case ("!", .bool(let b)), ("not", .bool(let b)): return .bool(!b)
        default:
            throw fail("invalid operation: \(op) (mismatched type \(Self.typeName(value)))", at: node, code: .type)
        }
    }

    mutating func binary(
        _ op: String, _ leftNode: ExprNode, _ rightNode: ExprNode, at node: ExprNode
    ) throws(ExpressionError) -> JSONValue {
        switch op {
        case "and", "&&", "or", "||":
            let isAnd = op == "and" || op == "&&"
            let l = try eval(leftNode)
            guard case .bool(let lb) = l else { throw mismatch(op, l, .bool(true), at: node) }
            if lb != isAnd { return .bool(lb) }
            let r = try eval(rightNode)
            guard case .bool(let rb) = r else { throw mismatch(op, l, r, at: node) }
            return .bool(rb)
        case "??":
            let l = try reference(leftNode, nilSafe: true).map(materialize) ?? .null
            return l.isNull ? try eval(rightNode) : l
        case "?:":
            let l = try eval(leftNode)
            if l.isNull || l == .bool(false) { return try eval(rightNode) }
            return l
        case "in":
            let l = try eval(leftNode)
            guard let container = try reference(rightNode, nilSafe: false) else { return .bool(false) }
            return .bool(try contains(container, l, at: node))
        default:
            break
        }
        let l = try eval(leftNode)
        let r = try eval(rightNode)
        switch op {
        case "==": return .bool(Self.equal(l, r))
        case "!=": return .bool(!Self.equal(l, r))
        case "<", ">", "<=", ">=":
            guard let order = Self.compare(l, r) else { throw mismatch(op, l, r, at: node) }
            switch op {
            case "<": return .bool(order == .orderedAscending)
            case ">": return .bool(order == .orderedDescending)
            case "<=": return .bool(order != .orderedDescending)
            default: return .bool(order != .orderedAscending)
            }
        case "+", "-", "*", "/", "%", "**", "^":
            return try arithmetic(op, l, r, at: node)
        case "matches":
            guard case .string(let s) = l, case .string(let pattern) = r else { throw mismatch(op, l, r, at: node) }
            return .bool(try Self.regex(pattern, at: rightNode, source: source).firstMatch(in: s) != nil)
        case "contains", "startsWith", "endsWith":
            guard case .string(let s) = l, case .string(let t) = r else { throw mismatch(op, l, r, at: node) }
            if op == "contains" { return .bool(t.isEmpty || s.contains(t)) }
            return .bool(op == "startsWith" ? s.hasPrefix(t) : s.hasSuffix(t))
        case "..":
            guard case .int(let from) = l, case .int(let to) = r else { throw mismatch(op, l, r, at: node) }
            guard to < from || to - from < 1_000_000 else { throw fail("range \(from)..\(to) is too large", at: node) }
            return .array(to < from ? [] : (from...to).map { .int($0) })
        default:
            throw fail("unknown operator \(op)", at: node, code: .syntax)
        }
    }

    func mismatch(_ op: String, _ l: JSONValue, _ r: JSONValue, at node: ExprNode) -> ExpressionError {
        fail(
            "invalid operation: \(op) (mismatched types \(Self.typeName(l)) and \(Self.typeName(r)))", at: node,
            code: .type)
    }

    func contains(_ container: Ref, _ element: JSONValue, at node: ExprNode) throws(ExpressionError) -> Bool {
        switch container {
        case .namespace(let prefix):
            guard case .string(let key) = element else { return false }
            let path = prefix + "." + key
            return scope.values[path] != nil || scope.hasChildren(path)
                || scope.values[prefix]?.objectValue?[key] != nil
        case .value(.array(let a)): return a.contains { Self.equal($0, element) }
        case .value(.object(let o)):
            guard case .string(let key) = element else { return false }
            return o[key] != nil
        case .value(.null): return false
        case .value(let other):
            throw fail(
                "invalid operation: in (mismatched types \(Self.typeName(element)) and \(Self.typeName(other)))",
                at: node, code: .type)
        }
    }

    func arithmetic(_ op: String, _ l: JSONValue, _ r: JSONValue, at node: ExprNode) throws(ExpressionError)
        -> JSONValue
    {
        if usesTemporal, let result = try temporalArithmetic(op, l, r, at: node) { return result }
        switch (l, r) {
        case (.string(let a), .string(let b)) where op == "+": return .string(a + b)
        case (.array(let a), .array(let b)) where op == "+": return .array(a + b)
        case (.int(let a), .int(let b)):
            switch op {
            case "+": return .int(a &+ b)
            case "-": return .int(a &- b)
            case "*": return .int(a &* b)
            case "/": return .double(Double(a) / Double(b))
            case "%":
                guard b != 0 else { throw fail("integer divide by zero", at: node) }
                return .int(a.remainderReportingOverflow(dividingBy: b).partialValue)
            default: return .double(pow(Double(a), Double(b)))
            }
        default:
            guard let a = l.doubleValue, let b = r.doubleValue, op != "%" else { throw mismatch(op, l, r, at: node) }
            switch op {
            case "+": return .double(a + b)
            case "-": return .double(a - b)
            case "*": return .double(a * b)
            case "/": return .double(a / b)
            default: return .double(pow(a, b))
            }
        }
    }

    /// expr's date arithmetic: date − date is a duration, date ± duration a date, durations add and subtract, and
    /// multiply or divide by numbers. Nil when neither side is a date or a duration.
    func temporalArithmetic(_ op: String, _ l: JSONValue, _ r: JSONValue, at node: ExprNode) throws(ExpressionError)
        -> JSONValue?
    {
        let a = Temporal(l)
        let b = Temporal(r)
        if a == nil && b == nil { return nil }
        switch (a, op, b) {
        case (.time(let x)?, "-", .time(let y)?): return Temporal.duration(x.nanoseconds(since: y)).encoded
        case (.time(let x)?, "+", .duration(let d)?), (.duration(let d)?, "+", .time(let x)?):
            return Temporal.time(x.adding(nanoseconds: d)).encoded
        case (.time(let x)?, "-", .duration(let d)?): return Temporal.time(x.adding(nanoseconds: 0 &- d)).encoded
        case (.duration(let x)?, "+", .duration(let y)?): return Temporal.duration(x &+ y).encoded
        case (.duration(let x)?, "-", .duration(let y)?): return Temporal.duration(x &- y).encoded
        case (.duration(let x)?, "*", nil), (.duration(let x)?, "/", nil), (nil, "*", .duration(let x)?):
            let factor = a == nil ? l : r
            guard let n = factor.doubleValue else { break }
            let product = op == "/" ? Double(x) / n : Double(x) * n
            guard product.isFinite, abs(product) < 9.2e18 else { throw fail("duration out of range", at: node) }
            return Temporal.duration(Int(product)).encoded
        default: break
        }
        throw fail(
            "invalid operation: \(op) (mismatched types \(temporalTypeName(l)) and \(temporalTypeName(r)))", at: node,
            code: .type)
    }

    private func temporalTypeName(_ v: JSONValue) -> String {
        switch Temporal(v) {
        case .time?: return "time.Time"
        case .duration?: return "time.Duration"
        case nil: return Self.typeName(v)
        }
    }

    /// expr's equality: numbers compare by value across int and float; lists and objects compare deeply.
    static func equal(_ l: JSONValue, _ r: JSONValue) -> Bool {
        switch (l, r) {
        case (.int(let a), .double(let b)): return Double(a) == b
        case (.double(let a), .int(let b)): return a == Double(b)
        case (.array(let a), .array(let b)): return a.count == b.count && zip(a, b).allSatisfy { equal($0, $1) }
        case (.object(let a), .object(let b)):
            return a.count == b.count && a.allSatisfy { k, v in b[k].map { equal(v, $0) } ?? false }
        case (.string(let a), .string) where Temporal.isMarked(a):
            return compare(l, r) == .orderedSame
        default: return l == r
        }
    }

    /// Ordering of two numbers or two strings; nil for anything else.
    static func compare(_ l: JSONValue, _ r: JSONValue) -> ComparisonResult? {
        switch (l, r) {
        case (.int(let a), .int(let b)): return a < b ? .orderedAscending : a > b ? .orderedDescending : .orderedSame
        case (.string(let a), _) where Temporal.isMarked(a), (_, .string(let a)) where Temporal.isMarked(a):
            switch (Temporal(l), Temporal(r)) {
            case (.time(let x)?, .time(let y)?):
                return x < y ? .orderedAscending : y < x ? .orderedDescending : .orderedSame
            case (.duration(let x)?, .duration(let y)?): return compare(.int(x), .int(y))
            case (.duration(let x)?, nil) where r.doubleValue != nil: return compare(.int(x), r)
            case (nil, .duration(let y)?) where l.doubleValue != nil: return compare(l, .int(y))
            default: return nil
            }
        case (.string(let a), .string(let b)):
            let x = Array(a.utf8)
            let y = Array(b.utf8)
            return x.lexicographicallyPrecedes(y) ? .orderedAscending : x == y ? .orderedSame : .orderedDescending
        default:
            guard let a = l.doubleValue, let b = r.doubleValue else { return nil }
            return a < b ? .orderedAscending : a > b ? .orderedDescending : .orderedSame
        }
    }

    /// Compiles a regular expression (ICU syntax, close to Go's RE2 for common patterns).
    static func regex(_ pattern: String, at node: ExprNode, source: String) throws(ExpressionError) -> RegexMatcher {
        do {
            return try RegexMatcher(pattern)
        } catch {
            throw ExpressionError(
                expression: source, position: node.position, message: "invalid regular expression '\(pattern)'",
                code: .evaluation)
        }
    }
}

/// A compiled regular expression over whole Swift strings.
struct RegexMatcher {
    let expression: NSRegularExpression

    init(_ pattern: String) throws {
        expression = try NSRegularExpression(pattern: pattern)
    }

    func firstMatch(in s: String) -> NSTextCheckingResult? {
        expression.firstMatch(in: s, range: NSRange(s.startIndex..., in: s))
    }

    /// Go's `ReplaceAllString`: `$1`, `${1}` and `${name}` in `template` refer to groups.
    func replaceAll(in s: String, with template: String) -> String {
        var converted = ""
        var chars = template[...]
        while let c = chars.first {
            chars = chars.dropFirst()
            if c == "\\" {
                converted += "\\\\"
            } else if c == "$", chars.first == "{", let close = chars.firstIndex(of: "}") {
                converted += "$" + chars[chars.index(after: chars.startIndex)..<close]
                chars = chars[chars.index(after: close)...]
            } else {
                converted.append(c)
            }
        }
        return expression.stringByReplacingMatches(
            in: s, range: NSRange(s.startIndex..., in: s), withTemplate: converted)
    }
}
