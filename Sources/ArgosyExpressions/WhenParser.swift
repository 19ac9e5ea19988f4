/// Parses `when` tokens with govaluate's precedence, lowest first: ternary (`?` `:` `??`), `||`, `&&`,
/// comparators (`==` `!=` `<` `<=` `>` `>=` `=~` `!~` `in`), `+ -`, `* / %`, `**`, prefix `!` and `-`.
struct WhenParser {
    let source: String
    let tokens: [WhenToken]
    var index = 0
    var depth = 0

    static func parse(_ source: String) throws(ExpressionError) -> WhenNode {
        var parser = WhenParser(source: source, tokens: try WhenLexer.tokenize(source))
        let node = try parser.ternary()
        guard case .end = parser.current.kind else {
            throw parser.error(
                "unexpected \(parser.current.display): expected an operator or the end of the condition",
                at: parser.current)
        }
        return node
    }

    private init(source: String, tokens: [WhenToken]) {
        self.source = source
        self.tokens = tokens
    }

    private var current: WhenToken { tokens[index] }

    private mutating func advance() { if index < tokens.count - 1 { index += 1 } }

    private func error(_ message: String, at token: WhenToken) -> ExpressionError {
        ExpressionError(expression: source, position: token.position, message: message, code: .syntax)
    }

    private func isOp(_ ops: Set<String>) -> String? {
        if case .op(let op) = current.kind, ops.contains(op) { return op }
        return nil
    }

    private mutating func ternary() throws(ExpressionError) -> WhenNode {
        depth += 1
        defer { depth -= 1 }
        guard depth < 200 else { throw error("condition is nested too deeply", at: current) }
        var node = try binary(level: 0)
        while let op = isOp(["?", "??"]) {
            let at = current.position
            advance()
            if op == "??" {
                node = .binary("??", node, try binary(level: 0), at)
                continue
            }
            let yes = try ternary()
            guard isOp([":"]) != nil else { throw error("expected ':' after the '?' branch", at: current) }
            advance()
            node = .ternary(node, yes, try ternary(), at)
        }
        return node
    }

    private static let levels: [Set<String>] = [
        ["||"], ["&&"], ["==", "!=", "<", "<=", ">", ">=", "=~", "!~", "in"], ["+", "-"], ["*", "/", "%"], ["**"],
    ]

    private mutating func binary(level: Int) throws(ExpressionError) -> WhenNode {
        guard level < Self.levels.count else { return try prefix() }
        var node = try binary(level: level + 1)
        while let op = isOp(Self.levels[level]) {
            let at = current.position
            advance()
            node = .binary(op, node, try binary(level: level + 1), at)
        }
        return node
    }

    private mutating func prefix() throws(ExpressionError) -> WhenNode {
        if let op = isOp(["!", "-"]) {
            let at = current.position
            advance()
            return .unary(op, try prefix(), at)
        }
        return try value()
    }

    private mutating func value() throws(ExpressionError) -> WhenNode {
        let token = current
        switch token.kind {
        case .number(let d):
            advance()
            return .value(.number(d), token.position)
        case .string(let s):
            advance()
            return .value(.string(s), token.position)
        case .bool(let b):
            advance()
            return .value(.bool(b), token.position)
        case .word:
            // Adjacent bare words form one string, spacing kept: `hello world == hello world`.
            var last = token
            advance()
            while case .word = current.kind {
                last = current
                advance()
            }
            let chars = Array(source)
            return .value(.string(String(chars[token.position..<last.end])), token.position)
        case .open:
            advance()
            var items = [try ternary()]
            while case .comma = current.kind {
                advance()
                items.append(try ternary())
            }
            guard case .close = current.kind else {
                throw error("expected ')' to close the '(' at \(token.position), found \(current.display)", at: current)
            }
            advance()
            return items.count == 1 ? items[0] : .list(items, token.position)
        case .end:
            throw error("unexpected end of condition: expected a value", at: token)
        default:
            throw error("unexpected \(token.display): expected a value", at: token)
        }
    }
}
