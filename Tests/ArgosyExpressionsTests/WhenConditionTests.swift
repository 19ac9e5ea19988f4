import ArgosyExpressions
import Testing

@Suite struct WhenConditionTests {
    static let cases: [(String, Bool)] = [
        ("heads == heads", true), ("tails == heads", false), ("tails != heads", true), ("'heads' == heads", true),
        ("\"heads\" == 'heads'", true), ("my-value == my-value", true), ("my-value == my-other", false),
        ("1.2.3 == 1.2.3", true), ("1.2.3 != 1.2.4", true), ("v1.2.3 == v1.2.3", true),
        ("2024-01-31 == 2024-01-31", true),
        ("a_b == a_b", true), ("_private == _private", true), ("hello world == hello world", true),
        ("[spaced name] == 'spaced name'", true), ("5 == 5", true), ("5 == 5.0", true), ("10 > 9", true),
        ("'10' > '9'", false),
        ("2 < 10", true), ("2 <= 2", true), ("3 >= 4", false), ("-1 < 0", true), ("0x10 == 16", true),
        ("1 + 2 == 3", true),
        ("2 * 3 + 1 == 7", true), ("2 + 3 * 2 == 8", true), ("(2 + 3) * 2 == 10", true), ("10 / 4 == 2.5", true),
        ("7 % 4 == 3", true), ("2 ** 3 == 8", true), ("5 - 3 == 2", true), ("'a' + 'b' == ab", true),
        ("1 + 'a' == '1a'", true),
        ("'5' == 5", false), ("true", true), ("false", false), ("true == true", true), ("!false", true),
        ("!(1 > 2)", true),
        ("true && false", false), ("true || false", true), ("false || false || true", true),
        ("true || false && false", true), ("(true || false) && false", false), ("1 == 1 && 2 == 2", true),
        ("heads == tails || heads == heads", true), ("abc123 =~ '^[a-z]+[0-9]+$'", true), ("abc =~ 'b'", true),
        ("abc =~ '^b'", false), ("abc !~ '^b'", true), ("\"hello world\" =~ 'o w'", true), ("123 =~ '^1'", true),
        ("b in (a, b, c)", true), ("d in (a, b, c)", false), ("2 in (1, 2, 3)", true), ("'2' in (1, 2, 3)", false),
        ("x in (x)", true), ("!(d in (a, b))", true), ("a IN (a)", true), ("true ? false : true", false),
        ("1 > 2 ? false : true", true), ("'' == ''", true), ("   ", true), ("", true), ("b > a", true),
        ("Succeeded == Succeeded", true), ("'it\\'s' == \"it's\"", true),
    ]

    @Test(arguments: cases)
    func evaluatesLikeGovaluateAsArgoUsesIt(_ condition: String, _ expected: Bool) throws {
        #expect(try WhenCondition.evaluate(condition) == expected)
    }

    static let errors: [(String, Int, String)] = [
        ("heads ==", 8, "unexpected end of condition"), ("(a == b", 7, "expected ')'"),
        ("a == b)", 6, "unexpected ')'"),
        ("'unclosed == x", 0, "unclosed string"), ("a = b", 2, "invalid token '='"),
        ("a == b c ==", 11, "expected a value"),
        ("heads", 0, "expected a boolean result"), ("1 + 2", 0, "expected a boolean result"),
        ("a < 1", 2, "both sides must be numbers or both strings"), ("a && true", 0, "is not a bool"),
        ("a - b == c", 2, "it is not a number"), ("x =~ '('", 2, "unable to compile"), ("!abc", 0, "prefix '!'"),
        ("a == b ? c", 10, "expected ':'"), ("[open == b", 0, "expected ']'"), ("a == b; c", 6, "invalid token ';'"),
        ("true ? 1", 8, "expected ':'"), ("(1 + 2", 6, "expected ')'"),
    ]

    @Test(arguments: errors)
    func reportsPositionAndExpectation(_ condition: String, _ position: Int, _ fragment: String) {
        let error = #expect(throws: ExpressionError.self) { try WhenCondition.evaluate(condition) }
        #expect(error?.position == position, "\(error?.description ?? "")")
        #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "")")
    }

    @Test func worksOnSubstitutedText() throws {
        let scope = VariableScope(["steps.flip.outputs.result": "heads", "steps.count.outputs.result": "12"])
        let when = try Substitution.substitute(
            "{{steps.flip.outputs.result}} == heads && {{steps.count.outputs.result}} > 9", in: scope, unresolved: .fail
        )
        #expect(try WhenCondition.evaluate(when))
    }
}
