import Foundation

/// A parsed `when` condition. Every node carries the character offset it came from.
indirect enum WhenNode: Sendable {
    /// A value during evaluation: govaluate knows numbers (all floats), strings, booleans and lists.
    enum Value: Sendable, Equatable {
        case number(Double)
        case string(String)
        case bool(Bool)
        case list([Value])

        var text: String {
            switch self {
            case .number(let d): return GoText.float(d, json: false)
            case .string(let s): return s
            case .bool(let b): return b ? "true" : "false"
            case .list(let items): return "[" + items.map(\.text).joined(separator: " ") + "]"
            }
        }
    }

    case value(Value, Int)
    case unary(String, WhenNode, Int)
    case binary(String, WhenNode, WhenNode, Int)
    case ternary(WhenNode, WhenNode, WhenNode, Int)
    case list([WhenNode], Int)

    var position: Int {
        switch self {
        case .value(_, let p), .unary(_, _, let p), .binary(_, _, _, let p), .ternary(_, _, _, let p), .list(_, let p):
            return p
        }
    }

    func evaluate(_ source: String) throws(ExpressionError) -> Value {
        func fail(_ message: String, at position: Int = position) -> ExpressionError {
            ExpressionError(expression: source, position: position, message: message, code: .type)
        }
        switch self {
        case .value(let v, _): return v
        case .list(let items, _):
            var values: [Value] = []
            for item in items { values.append(try item.evaluate(source)) }
            return .list(values)
        case .unary(let op, let operand, _):
            let v = try operand.evaluate(source)
            switch (op, v) {
            case ("!", .bool(let b)): return .bool(!b)
            case ("-", .number(let d)): return .number(-d)
            default: throw fail("value '\(v.text)' cannot be used with the prefix '\(op)'")
            }
        case .ternary(let condition, let yes, let no, _):
            guard case .bool(let b) = try condition.evaluate(source) else {
                throw fail("the condition before '?' must be a boolean", at: condition.position)
            }
            return try (b ? yes : no).evaluate(source)
        case .binary(let op, let l, let r, _):
            let left = try l.evaluate(source)
            if op == "&&" || op == "||" {
                guard case .bool(let lb) = left else {
                    throw fail(
                        "value '\(left.text)' cannot be used with the logical operator '\(op)', it is not a bool",
                        at: l.position)
                }
                if lb == (op == "||") { return .bool(lb) }
                let right = try r.evaluate(source)
                guard case .bool(let rb) = right else {
                    throw fail(
                        "value '\(right.text)' cannot be used with the logical operator '\(op)', it is not a bool",
                        at: r.position)
                }
                return .bool(rb)
            }
            if op == "??" { return left }
            return try Self.apply(op, left, try r.evaluate(source), fail: { fail($0) })
        }
    }

    static func apply(
        _ op: String, _ left: Value, _ right: Value, fail: (String) -> ExpressionError
    ) throws(ExpressionError) -> Value {
        switch (op, left, right) {
        case ("==", _, _): return .bool(left == right)
        case ("!=", _, _): return .bool(left != right)
        case ("<", .number(let a), .number(let b)): return .bool(a < b)
        case ("<=", .number(let a), .number(let b)): return .bool(a <= b)
        case (">", .number(let a), .number(let b)): return .bool(a > b)
        case (">=", .number(let a), .number(let b)): return .bool(a >= b)
        case ("<", .string(let a), .string(let b)): return .bool(Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8)))
        case ("<=", .string(let a), .string(let b)):
            return .bool(!Array(b.utf8).lexicographicallyPrecedes(Array(a.utf8)))
        case (">", .string(let a), .string(let b)): return .bool(Array(b.utf8).lexicographicallyPrecedes(Array(a.utf8)))
        case (">=", .string(let a), .string(let b)):
            return .bool(!Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8)))
        case ("<", _, _), ("<=", _, _), (">", _, _), (">=", _, _):
            throw fail(
                "cannot compare '\(left.text)' \(op) '\(right.text)': both sides must be numbers or both strings")
        case ("=~", _, .string(let pattern)), ("!~", _, .string(let pattern)):
            if case .list = left { throw fail("value '\(left.text)' cannot be matched against a regular expression") }
            guard let regex = try? NSRegularExpression(pattern: pattern) else {
                throw fail("unable to compile regular expression '\(pattern)'")
            }
            let text = left.text
            let found = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
            return .bool(found == (op == "=~"))
        case ("=~", _, _), ("!~", _, _):
            throw fail("the right side of '\(op)' must be a string holding a regular expression")
        case ("in", _, .list(let items)): return .bool(items.contains(left))
        case ("in", _, _): return .bool(left == right)
        case ("+", .number(let a), .number(let b)): return .number(a + b)
        case ("+", .string, _), ("+", _, .string): return .string(left.text + right.text)
        case ("-", .number(let a), .number(let b)): return .number(a - b)
        case ("*", .number(let a), .number(let b)): return .number(a * b)
        case ("/", .number(let a), .number(let b)): return .number(a / b)
        case ("%", .number(let a), .number(let b)): return .number(fmod(a, b))
        case ("**", .number(let a), .number(let b)): return .number(pow(a, b))
        default:
            let culprit = if case .number = left { right } else { left }
            throw fail("value '\(culprit.text)' cannot be used with the modifier '\(op)', it is not a number")
        }
    }
}
