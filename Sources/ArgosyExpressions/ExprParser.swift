import ArgosyModel

/// A recursive-descent parser for the expr-lang subset, following expr's precedence table.
struct ExprParser {
    let source: String
    let tokens: [ExprToken]
    var index = 0
    /// How many closures (`{ … }` arguments of `filter`, `map`, …) enclose the current position.
    var closureDepth = 0
    var nesting = 0

    static func parse(_ source: String) throws(ExpressionError) -> ExprNode {
        var parser = ExprParser(source: source, tokens: try ExprLexer.tokenize(source))
        guard parser.current.kind != .end else { throw parser.error("expected an expression", at: parser.current) }
        let node = try parser.parseSequence()
        guard parser.current.kind == .end else {
            throw parser.error("unexpected token \(parser.current.display)", at: parser.current)
        }
        return node
    }

    /// Parses `source` as the body of a closure, where `#`, `@` and a leading `.` refer to the current element.
    static func parseClosureBody(_ source: String) throws(ExpressionError) -> ExprNode {
        var parser = ExprParser(source: source, tokens: try ExprLexer.tokenize(source))
        parser.closureDepth = 1
        let node = try parser.parseSequence()
        guard parser.current.kind == .end else {
            throw parser.error("unexpected token \(parser.current.display)", at: parser.current)
        }
        return node
    }

    private init(source: String, tokens: [ExprToken]) {
        self.source = source
        self.tokens = tokens
    }

    static let binaryPrecedence: [String: Int] = [
        "|": 0, "or": 10, "||": 10, "and": 15, "&&": 15,
        "==": 20, "!=": 20, "<": 20, ">": 20, ">=": 20, "<=": 20,
        "in": 20, "matches": 20, "contains": 20, "startsWith": 20, "endsWith": 20,
        "..": 25, "+": 30, "-": 30, "*": 60, "/": 60, "%": 60, "**": 100, "^": 100, "??": 500,
    ]
    static let negatable: Set<String> = ["in", "matches", "contains", "startsWith", "endsWith"]
    static let predicateArguments: [String: (required: Int, optionalExpression: Bool)] = [
        "all": (2, false), "none": (2, false), "any": (2, false), "one": (2, false), "filter": (2, false),
        "map": (2, false), "find": (2, false), "findIndex": (2, false), "findLast": (2, false),
        "findLastIndex": (2, false), "groupBy": (2, false), "count": (1, false), "sum": (1, false),
        "sortBy": (2, true), "reduce": (2, true),
    ]

    var current: ExprToken { tokens[index] }
    var nextToken: ExprToken { tokens[min(index + 1, tokens.count - 1)] }

    mutating func advance() { if index < tokens.count - 1 { index += 1 } }

    func error(_ message: String, at token: ExprToken) -> ExpressionError {
        ExpressionError(expression: source, position: token.position, message: message, code: .syntax)
    }

    mutating func expectBracket(_ b: String) throws(ExpressionError) {
        guard current.isBracket(b) else { throw error("expected '\(b)', found \(current.display)", at: current) }
        advance()
    }

    mutating func expectSymbol(_ s: String) throws(ExpressionError) {
        guard current.isSymbol(s) else { throw error("expected '\(s)', found \(current.display)", at: current) }
        advance()
    }

    private func binaryOperator(_ token: ExprToken) -> String? {
        switch token.kind {
        case .symbol where Self.binaryPrecedence[token.text] != nil: return token.text
        case .identifier where Self.binaryPrecedence[token.text] != nil: return token.text
        default: return nil
        }
    }

    mutating func parseSequence() throws(ExpressionError) -> ExprNode {
        let first = try parseExpression(0)
        var nodes = [first]
        while current.isSymbol(";") {
            advance()
            if current.kind == .end || current.isBracket(")") || current.isBracket("}") { break }
            nodes.append(try parseExpression(0))
        }
        return nodes.count == 1 ? first : ExprNode(.sequence(nodes), at: first.position)
    }

    mutating func parseExpression(_ precedence: Int) throws(ExpressionError) -> ExprNode {
        nesting += 1
        defer { nesting -= 1 }
        guard nesting < 256 else { throw error("expression is nested too deeply", at: current) }
        if precedence == 0, current.isWord("let") { return try parseLet() }
        var left = try parsePrimary()
        var previous = ""
        while true {
            var opToken = current
            var negate = false
            if opToken.isWord("not") {
                let following = nextToken
                guard following.kind == .identifier, Self.negatable.contains(following.text),
                    (Self.binaryPrecedence[following.text] ?? 0) >= precedence
                else { break }
                advance()
                opToken = current
                negate = true
            }
            guard let op = binaryOperator(opToken), let opPrecedence = Self.binaryPrecedence[op],
                opPrecedence >= precedence
            else { break }
            advance()
            if op == "|" {
                guard current.kind == .identifier else {
                    throw error("expected a function name after '|'", at: current)
                }
                let name = current
                advance()
                left = try parseCall(name, leading: [left])
                previous = op
                continue
            }
            if previous == "??", op != "??" {
                throw error(
                    "operator (\(op)) and coalesce expressions (??) cannot be mixed; wrap either in parentheses",
                    at: opToken)
            }
            if ["<", ">", "<=", ">="].contains(op) {
                left = try parseComparison(left, op: opToken, precedence: opPrecedence)
            } else {
                let right = try parseExpression(op == "**" || op == "^" ? opPrecedence : opPrecedence + 1)
                left = ExprNode(.binary(op, left, right), at: opToken.position)
            }
            if negate { left = ExprNode(.unary("not", left), at: opToken.position) }
            previous = op
        }
        if precedence == 0 { left = try parseConditional(left) }
        return left
    }

    /// `a < b < c` means `a < b && b < c`, as in expr.
    private mutating func parseComparison(
        _ first: ExprNode, op firstOp: ExprToken, precedence: Int
    ) throws(ExpressionError) -> ExprNode {
        var left = first
        var op = firstOp
        var root: ExprNode?
        while true {
            let right = try parseExpression(precedence + 1)
            let comparison = ExprNode(.binary(op.text, left, right), at: op.position)
            root = root.map { ExprNode(.binary("&&", $0, comparison), at: op.position) } ?? comparison
            left = right
            guard current.kind == .symbol, ["<", ">", "<=", ">="].contains(current.text) else { break }
            op = current
            advance()
        }
        return root ?? first
    }

    private mutating func parseConditional(_ condition: ExprNode) throws(ExpressionError) -> ExprNode {
        var node = condition
        while current.isSymbol("?") {
            let at = current.position
            advance()
            if current.isSymbol(":") {
                advance()
                let other = try parseExpression(0)
                node = ExprNode(.binary("?:", node, other), at: at)
            } else {
                let yes = try parseExpression(0)
                try expectSymbol(":")
                let no = try parseExpression(0)
                node = ExprNode(.conditional(node, yes, no), at: at)
            }
        }
        return node
    }

    private mutating func parseLet() throws(ExpressionError) -> ExprNode {
        let at = current.position
        advance()
        guard current.kind == .identifier, !ExprToken.wordOperators.contains(current.text) else {
            throw error("expected a variable name after 'let'", at: current)
        }
        let name = current.text
        advance()
        try expectSymbol("=")
        let value = try parseExpression(0)
        try expectSymbol(";")
        let body = try parseSequence()
        return ExprNode(.letIn(name, value, body), at: at)
    }

    private mutating func parsePrimary() throws(ExpressionError) -> ExprNode {
        let token = current
        if (token.kind == .symbol && ["!", "-", "+"].contains(token.text)) || token.isWord("not") {
            advance()
            let operand = try parseExpression(token.text == "-" || token.text == "+" ? 90 : 50)
            return try parsePostfix(ExprNode(.unary(token.text, operand), at: token.position))
        }
        if token.isBracket("(") {
            advance()
            let inner = try parseSequence()
            try expectBracket(")")
            return try parsePostfix(inner)
        }
        if closureDepth > 0, token.isSymbol("#") || token.isSymbol("@") || token.isSymbol(".") {
            var name = ""
            if !token.isSymbol(".") {
                advance()
                if current.kind == .identifier, !ExprToken.wordOperators.contains(current.text) {
                    name = current.text
                    advance()
                }
            }
            return try parsePostfix(ExprNode(.pointer(name), at: token.position))
        }
        return try parseSecondary()
    }

    private mutating func parseSecondary() throws(ExpressionError) -> ExprNode {
        let token = current
        let node: ExprNode
        switch token.kind {
        case .identifier:
            guard !ExprToken.wordOperators.contains(token.text) else {
                throw error("unexpected token \(token.display)", at: token)
            }
            advance()
            switch token.text {
            case "true": node = ExprNode(.literal(.bool(true)), at: token.position)
            case "false": node = ExprNode(.literal(.bool(false)), at: token.position)
            case "nil": node = ExprNode(.literal(.null), at: token.position)
            default:
                node =
                    current.isBracket("(")
                    ? try parseCall(token, leading: [])
                    : ExprNode(.identifier(token.text), at: token.position)
            }
        case .number, .string:
            advance()
            node = ExprNode(.literal(token.value), at: token.position)
        case .bracket where token.text == "[":
            advance()
            var items: [ExprNode] = []
            while !current.isBracket("]") {
                if !items.isEmpty {
                    try expectSymbol(",")
                    if current.isBracket("]") { break }
                }
                items.append(try parseExpression(0))
            }
            advance()
            node = ExprNode(.array(items), at: token.position)
        case .bracket where token.text == "{":
            node = try parseMap()
        case .end:
            throw error("unexpected end of expression", at: token)
        default:
            throw error("unexpected token \(token.display)", at: token)
        }
        return try parsePostfix(node)
    }
}
