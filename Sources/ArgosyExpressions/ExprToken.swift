import ArgosyModel

/// One token of an expr-lang expression.
struct ExprToken: Sendable {
    enum Kind: Sendable, Equatable {
        /// A name, including the word operators (`and`, `or`, `not`, `in`, `matches`, `contains`, …).
        case identifier
        /// An integer or float literal; `value` holds it.
        case number
        /// A string literal; `value` holds it unescaped.
        case string
        /// A punctuation operator such as `+`, `??`, `?.`, `..`, `#`.
        case symbol
        /// One of `( ) [ ] { }`.
        case bracket
        case end
    }

    var kind: Kind
    var text: String
    /// Character offset of the token's first character.
    var position: Int
    var value: JSONValue = .null

    func isSymbol(_ s: String) -> Bool { kind == .symbol && text == s }
    func isBracket(_ s: String) -> Bool { kind == .bracket && text == s }
    func isWord(_ s: String) -> Bool { kind == .identifier && text == s }

    /// Words that act as operators in expression position.
    static let wordOperators: Set<String> = [
        "and", "or", "not", "in", "matches", "contains", "startsWith", "endsWith", "let",
    ]

    /// Operators, longest first, so `??` wins over `?`.
    static let symbols: [String] = [
        "?.", "??", "..", "**", "==", "!=", "<=", ">=", "&&", "||", "::",
        "+", "-", "*", "/", "%", "^", "<", ">", "!", "?", ":", ",", ".", "#", ";", "|", "=", "@",
    ]

    /// A short human description for "expected …, found …" messages.
    var display: String {
        switch kind {
        case .end: return "end of expression"
        case .string: return "string \(GoText.json(value))"
        default: return "'\(text)'"
        }
    }
}
