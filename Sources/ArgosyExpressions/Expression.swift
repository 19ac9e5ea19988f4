import ArgosyModel

/// An expr-lang expression as Argo exposes it in `{{=…}}`, parsed once and evaluated many times.
///
/// Variables come from the flat scope nested by dots: `"inputs.parameters.x"` is reachable as
/// `inputs.parameters.x`, `"steps.a-b.outputs.result"` as `steps['a-b'].outputs.result`. A missing member of an
/// object evaluates to nil, so `??` can supply a default; an unknown top-level name is an error, as in expr.
///
/// Differences from expr-lang, chosen for what a user expects:
/// - On the left of `??`, reading a member of nil yields nil instead of failing (as if written with `?.`), so
///   `tasks.a.outputs.parameters.x ?? 'none'` works even when `tasks.a` has no outputs at all.
/// - Indexing a string yields a one-character string (expr yields the byte's number).
/// - `keys` and `values` keep an object's stored order (Go's map order is random).
/// - `toJSON`, `toJson` and results inserted by ``Substitution`` sort object keys, as Go's `json.Marshal` does.
/// - Dates and durations (`now()`, `date(…)`, `duration(…)`) leave an evaluation in their JSON form, as Argo
///   writes them into a template: a date as RFC 3339 text, a duration as integer nanoseconds. `now()` is UTC.
/// - Not supported: bitwise operators, methods other than those of dates, durations and sprig's `semver`.
public struct Expression: Sendable, CustomStringConvertible {
    /// The text this expression was parsed from.
    public let source: String
    let root: ExprNode

    /// Parses `source`. Throws an ``ExpressionError`` with the character position and what was expected.
    public init(_ source: String) throws(ExpressionError) {
        self.source = source
        root = try ExprParser.parse(source)
    }

    /// Evaluates the expression against `scope`.
    public func evaluate(in scope: VariableScope) throws(ExpressionError) -> JSONValue {
        var interpreter = ExprInterpreter(source: source, scope: scope)
        let result = try interpreter.eval(root)
        return interpreter.usesTemporal ? Temporal.external(result) : result
    }

    /// Evaluates the expression and requires a boolean result (as Argo does for `depends`-style and hook conditions).
    public func evaluateCondition(in scope: VariableScope) throws(ExpressionError) -> Bool {
        let value = try evaluate(in: scope)
        guard case .bool(let b) = value else {
            throw ExpressionError(
                expression: source, position: 0,
                message: "expected a boolean result, got \(ExprInterpreter.typeName(value))", code: .type)
        }
        return b
    }

    /// The dotted variable paths the expression reads (`inputs.parameters.x`, `item`), in first-seen order.
    /// Paths through `?.`, computed indexes, or the left of `??` stop at the last plain name before them.
    public var referencedNames: [String] {
        var names: [String] = []
        ExprInterpreter.collectNames(root, into: &names)
        var seen: Set<String> = []
        return names.filter { seen.insert($0).inserted }
    }

    /// A canonical, fully parenthesised rendering of the parsed expression; parsing it gives the same tree.
    public var description: String { root.description }
}
