import ArgosyModel

extension ExprParser {
    /// `{key: value, …}`: keys are names, strings, numbers, or expressions in parentheses.
    mutating func parseMap() throws(ExpressionError) -> ExprNode {
        let at = current.position
        advance()
        var pairs: [(ExprNode, ExprNode)] = []
        while !current.isBracket("}") {
            if !pairs.isEmpty {
                try expectSymbol(",")
                if current.isBracket("}") { break }
            }
            let key: ExprNode
            switch current.kind {
            case .identifier, .number:
                key = ExprNode(.literal(.string(current.text)), at: current.position)
                advance()
            case .string:
                key = ExprNode(.literal(current.value), at: current.position)
                advance()
            case .bracket where current.text == "(":
                key = try parseExpression(0)
            default:
                throw error(
                    "a map key must be a quoted string, a number, a name, or an expression in parentheses; found "
                        + current.display, at: current)
            }
            try expectSymbol(":")
            pairs.append((key, try parseExpression(0)))
        }
        advance()
        return ExprNode(.map(pairs), at: at)
    }

    mutating func parsePostfix(_ start: ExprNode) throws(ExpressionError) -> ExprNode {
        var node = start
        while true {
            let token = current
            if token.isSymbol(".") || token.isSymbol("?.") {
                let optional = token.isSymbol("?.")
                advance()
                if optional, current.isBracket("[") {
                    node = try parseIndex(node, optional: true)
                    continue
                }
                guard current.kind == .identifier else {
                    throw error("expected a name after '\(token.text)', found \(current.display)", at: current)
                }
                let name = current
                advance()
                node = ExprNode(
                    .member(node, ExprNode(.literal(.string(name.text)), at: name.position), optional: optional),
                    at: name.position)
                if current.isBracket("(") {
                    node = ExprNode(.call(node, try parseArguments()), at: name.position)
                }
            } else if token.isBracket("[") {
                node = try parseIndex(node, optional: false)
            } else {
                return node
            }
        }
    }

    private mutating func parseIndex(_ base: ExprNode, optional: Bool) throws(ExpressionError) -> ExprNode {
        let at = current.position
        advance()
        if current.isSymbol(":") {
            advance()
            let to = current.isBracket("]") ? nil : try parseExpression(0)
            try expectBracket("]")
            return ExprNode(.slice(base, from: nil, to: to), at: at)
        }
        let from = try parseExpression(0)
        if current.isSymbol(":") {
            advance()
            let to = current.isBracket("]") ? nil : try parseExpression(0)
            try expectBracket("]")
            return ExprNode(.slice(base, from: from, to: to), at: at)
        }
        try expectBracket("]")
        return ExprNode(.member(base, from, optional: optional), at: at)
    }

    private mutating func parseArguments() throws(ExpressionError) -> [ExprNode] {
        try expectBracket("(")
        var args: [ExprNode] = []
        while !current.isBracket(")") {
            if !args.isEmpty {
                try expectSymbol(",")
                if current.isBracket(")") { break }
            }
            args.append(try parseExpression(0))
        }
        advance()
        return args
    }

    mutating func parseCall(_ name: ExprToken, leading: [ExprNode]) throws(ExpressionError) -> ExprNode {
        let callee = ExprNode(.identifier(name.text), at: name.position)
        guard let spec = Self.predicateArguments[name.text] else {
            return ExprNode(.call(callee, leading + (try parseArguments())), at: name.position)
        }
        try expectBracket("(")
        var args = leading
        let maximum = 2 + (spec.optionalExpression ? 1 : 0)
        while !current.isBracket(")") && args.count < maximum {
            if args.count > leading.count { try expectSymbol(",") }
            if current.isBracket(")") { break }
            args.append(args.count == 1 ? try parsePredicate() : try parseExpression(0))
        }
        if current.isSymbol(",") { advance() }
        guard args.count >= spec.required else {
            throw error("\(name.text) expects at least \(spec.required) arguments", at: current)
        }
        try expectBracket(")")
        return ExprNode(.call(callee, args), at: name.position)
    }

    private mutating func parsePredicate() throws(ExpressionError) -> ExprNode {
        let at = current.position
        closureDepth += 1
        defer { closureDepth -= 1 }
        if current.isBracket("{") {
            advance()
            let body = try parseSequence()
            try expectBracket("}")
            return ExprNode(.predicate(body), at: at)
        }
        return ExprNode(.predicate(try parseExpression(0)), at: at)
    }
}
