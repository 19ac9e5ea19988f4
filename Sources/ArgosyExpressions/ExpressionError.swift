/// A problem with a `{{…}}` tag, an expression, a `when` condition or a `depends` expression.
///
/// `position` is the 0-based character offset in `expression` where the problem was found. For errors raised by
/// ``Substitution`` the `expression` is the whole text being substituted, so the offset points at the tag.
public struct ExpressionError: Error, Sendable, CustomStringConvertible, Equatable {
    /// What kind of problem this is, for callers that react differently (a missing variable may resolve later).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String, Hashable, Sendable {
            case syntax, unresolvedVariable, unknownName, absentValue, type, evaluation
        }
        private let kind: Kind

        /// The text does not parse.
        public static let syntax = Code(kind: .syntax)
        /// A `{{name}}` tag names a variable the scope does not hold.
        public static let unresolvedVariable = Code(kind: .unresolvedVariable)
        /// An expression names a variable the scope does not hold.
        public static let unknownName = Code(kind: .unknownName)
        /// A variable is present but absent-optional (null): a skipped or omitted node's output with no default.
        public static let absentValue = Code(kind: .absentValue)
        /// An operator or function was given a value of the wrong type.
        public static let type = Code(kind: .type)
        /// Any other failure while evaluating (bad regex, division by zero, bad JSON, index out of range…).
        public static let evaluation = Code(kind: .evaluation)

        /// The code's name, e.g. `unknownName`.
        public var description: String { kind.rawValue }
    }

    /// The text that was being parsed or evaluated.
    public var expression: String
    /// 0-based character offset in `expression`.
    public var position: Int
    /// What went wrong, and what was expected.
    public var message: String
    /// The kind of problem.
    public var code: Code
    /// The variable involved, for `.unresolvedVariable`, `.unknownName` and `.absentValue`.
    public var name: String?

    /// Creates an error.
    public init(expression: String, position: Int, message: String, code: Code = .syntax, name: String? = nil) {
        self.expression = expression
        self.position = position
        self.message = message
        self.code = code
        self.name = name
    }

    /// The message, the offset and an excerpt of the text around it.
    public var description: String {
        let chars = Array(expression)
        let at = max(0, min(position, chars.count))
        let from = max(0, at - 30)
        let to = min(chars.count, at + 30)
        let excerpt = (from > 0 ? "…" : "") + String(chars[from..<to]) + (to < chars.count ? "…" : "")
        return "\(message) (at character \(position) of \"\(excerpt)\")"
    }

    /// The same error moved into a larger text that contains `expression` starting at character `offset`.
    func rebased(into text: String, at offset: Int) -> ExpressionError {
        var copy = self
        copy.expression = text
        copy.position = offset + position
        return copy
    }
}
