/// A `when` condition, evaluated with govaluate's semantics AFTER `{{…}}` substitution.
///
/// As in Argo (`shouldExecute`), bare words are strings, so `heads == heads` and `tails != heads` work. Quoted
/// strings use `'` or `"`; numbers (all floating point) compare numerically when both sides are numbers; strings
/// compare byte-wise. Operators: `==` `!=` `<` `<=` `>` `>=`, `=~` and `!~` (regular expression found anywhere
/// in the left side), `in (a, b, c)`, `&&` `||` `!`, `+ - * / % **`, `? :`, `??`, parentheses, `true`/`false`.
/// An empty condition is true. The result must be a boolean.
///
/// Differences from govaluate, each turning one of its errors into what a user means:
/// - A word may contain `-` between letters or digits and `.`: `my-value == my-value`, `1.2.3 == 1.2.3`,
///   `2024-01-31` are single strings (govaluate subtracts, rejects `1.2.3`, or reads `a.b` as a struct accessor).
///   So `5-3` is the string "5-3"; write `5 - 3` to subtract.
/// - Words may start with `_`, and adjacent bare words form one string with their spacing
///   (`hello world == hello world`).
/// - Quoted strings end at the same kind of quote they started with (govaluate ends at either kind).
/// - Quoted strings that look like dates stay strings (govaluate turns them into timestamps).
/// - `=~` accepts a number on the left (matched as its text); `in` accepts a single value on the right.
/// - Bitwise operators (`& | ^ << >> ~`) and functions are not supported.
public enum WhenCondition {
    /// Evaluates a substituted condition. Throws ``ExpressionError`` with the character position and what was
    /// expected when the condition does not parse, an operator gets the wrong type, or the result is not a boolean.
    public static func evaluate(_ substituted: String) throws(ExpressionError) -> Bool {
        guard !substituted.allSatisfy(\.isWhitespace) else { return true }
        let node = try WhenParser.parse(substituted)
        let result = try node.evaluate(substituted)
        guard case .bool(let b) = result else {
            throw ExpressionError(
                expression: substituted, position: 0,
                message: "expected a boolean result, got '\(result.text)'", code: .type)
        }
        return b
    }
}
