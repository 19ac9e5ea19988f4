import ArgosyExpressions
import ArgosyModel
import ArgosyTestSupport
import Testing

/// Parsing, printing and parsing again must give the same tree (same canonical text) and the same value.
@Suite struct ExpressionRoundTripTests {
    static let scope = VariableScope([
        "inputs.parameters.x": "5", "inputs.parameters.my-p": "p", "n": 3, "f": 1.5, "s": "str", "list": [1, 2, 3],
        "obj": ["a": 1, "b": ["c": true]], "nothing": nil,
    ])

    /// Random expressions from a seed, so failures reproduce.
    struct Generator {
        var random: SeededRandom
        init(state: UInt64) { random = SeededRandom(seed: state) }
        mutating func next() -> UInt64 { random.next() }
        mutating func pick<T>(_ options: [T]) -> T { random.pick(options) }

        mutating func expression(depth: Int) -> String {
            if depth <= 0 || next() % 4 == 0 {
                return pick([
                    "1", "2.5", "0", "-3", "'a'", "\"b c\"", "true", "false", "nil", "n", "f", "s", "list", "obj.a",
                    "obj.b.c", "obj?.z", "inputs.parameters.x", "inputs.parameters['my-p']", "list[0]", "list[-1]",
                    "[1, 2]", "{k: 1}", "nothing ?? 7",
                ])
            }
            let a = expression(depth: depth - 1)
            let b = expression(depth: depth - 1)
            let c = expression(depth: depth - 1)
            switch next() % 12 {
            case 0, 1, 2:
                let op = pick([
                    "+", "-", "*", "/", "%", "**", "==", "!=", "<", ">=", "and", "||", "in", "contains", "..", "??",
                    "startsWith", "not in",
                ])
                return "\(a) \(op) \(b)"
            case 3: return "(\(a))"
            case 4: return pick(["-", "!", "not "]) + a
            case 5: return "\(a) ? \(b) : \(c)"
            case 6: return pick(["len", "string", "type", "toJson", "abs", "upper"]) + "(\(a))"
            case 7: return "\(pick(["filter", "map", "all", "count"]))(list, {# \(pick([">", "+", "=="])) \(b)})"
            case 8: return "[\(a), \(b)]"
            case 9: return "{x: \(a), 'y-z': \(b)}"
            case 10: return "sprig.default(\(a), \(b))"
            default: return "let v = \(a); v ?? \(b)"
            }
        }
    }

    static func outcome(_ e: Expression) -> String {
        do {
            return "value " + (try e.evaluate(in: scope)).compactJSON
        } catch {
            return "error " + error.message
        }
    }

    @Test(arguments: 0..<8)
    func printedExpressionsReparseToTheSameTree(seed: Int) throws {
        var generator = Generator(state: UInt64(seed) &* 7919)
        var parsed = 0
        for _ in 0..<150 {
            let source = generator.expression(depth: 4)
            guard let first = try? Expression(source) else { continue }
            parsed += 1
            let printed = first.description
            let second = try Expression(printed)
            #expect(second.description == printed, "source: \(source)")
            #expect(Self.outcome(first) == Self.outcome(second), "source: \(source)")
        }
        #expect(parsed > 100)
    }

    static let precedence: [(String, String)] = [
        ("1 + 2 * 3", "(1 + (2 * 3))"), ("1 - 2 - 3", "((1 - 2) - 3)"), ("2 ** 3 ** 2", "(2 ** (3 ** 2))"),
        ("-2 ** 2", "(-(2 ** 2))"), ("not a == b", "((not a) == b)"), ("!a && b || c", "(((!a) && b) || c)"),
        ("a or b and c", "(a or (b and c))"), ("a ?? b ?? c", "((a ?? b) ?? c)"), ("1 < 2 < 3", "((1 < 2) && (2 < 3))"),
        ("a ? b : c ? d : e", "(a ? b : (c ? d : e))"), ("x not in y", "(not (x in y))"),
        ("1..2 + 3", "(1 .. (2 + 3))"),
        ("a.b?.c['d']", "a.b?.c.d"), ("a['x-y'][0]", "a[\"x-y\"][0]"), ("filter(l, .x > 1)", "filter(l, {(#.x > 1)})"),
        ("l | map(#)", "map(l, {#})"), ("s[1:]", "s[1:]"), ("a ?: b", "(a ?: b)"),
    ]

    @Test(arguments: precedence)
    func printsCanonicalPrecedence(_ source: String, _ expected: String) throws {
        #expect(try Expression(source).description == expected)
    }
}
