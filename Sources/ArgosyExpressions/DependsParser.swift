/// Parses a `depends` expression into ``DependsExpression/Node``s.
struct DependsParser {
    let source: String
    let chars: [Character]
    var index = 0
    var depth = 0

    init(source: String) {
        self.source = source
        chars = Array(source)
    }

    func error(_ message: String, at position: Int) -> ExpressionError {
        ExpressionError(expression: source, position: position, message: message, code: .syntax)
    }

    mutating func parse() throws(ExpressionError) -> DependsExpression.Node {
        skipSpace()
        guard index < chars.count else { throw error("empty depends expression: expected a task name", at: 0) }
        let node = try parseOr()
        skipSpace()
        guard index >= chars.count else {
            throw error("unexpected '\(chars[index])': expected '&&', '||' or the end", at: index)
        }
        return node
    }

    private mutating func skipSpace() {
        while index < chars.count, chars[index].isWhitespace { index += 1 }
    }

    private mutating func take(_ op: String) -> Bool {
        skipSpace()
        let opChars = Array(op)
        guard index + opChars.count <= chars.count, Array(chars[index..<index + opChars.count]) == opChars else {
            return false
        }
        index += opChars.count
        return true
    }

    private mutating func parseOr() throws(ExpressionError) -> DependsExpression.Node {
        var node = try parseAnd()
        while take("||") { node = .or(node, try parseAnd()) }
        return node
    }

    private mutating func parseAnd() throws(ExpressionError) -> DependsExpression.Node {
        var node = try parseUnary()
        while take("&&") { node = .and(node, try parseUnary()) }
        return node
    }

    private mutating func parseUnary() throws(ExpressionError) -> DependsExpression.Node {
        depth += 1
        defer { depth -= 1 }
        guard depth < 200 else { throw error("depends expression is nested too deeply", at: index) }
        skipSpace()
        if index < chars.count, chars[index] == "!", !(index + 1 < chars.count && chars[index + 1] == "=") {
            index += 1
            return .not(try parseUnary())
        }
        if index < chars.count, chars[index] == "(" {
            let open = index
            index += 1
            let inner = try parseOr()
            skipSpace()
            guard index < chars.count, chars[index] == ")" else {
                throw error("expected ')' to close the '(' at \(open)", at: index)
            }
            index += 1
            return inner
        }
        return try parseTask()
    }

    private static func isNameCharacter(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || c == "-" || c == "_")
    }

    private mutating func parseTask() throws(ExpressionError) -> DependsExpression.Node {
        let start = index
        guard index < chars.count else { throw error("unexpected end: expected a task name", at: index) }
        guard Self.isNameCharacter(chars[index]), chars[index] != "-" else {
            throw error("unexpected '\(chars[index])': expected a task name", at: index)
        }
        while index < chars.count, Self.isNameCharacter(chars[index]) { index += 1 }
        let name = String(chars[start..<index])
        guard index < chars.count, chars[index] == "." else { return .task(name, nil) }
        index += 1
        let resultStart = index
        while index < chars.count, chars[index].isLetter { index += 1 }
        let word = String(chars[resultStart..<index])
        guard let result = DependsExpression.Result(rawValue: word) else {
            let valid = DependsExpression.Result.allCases.map(\.rawValue).joined(separator: ", ")
            throw error(
                "task result '\(word)' for task '\(name)' is invalid: expected one of \(valid)", at: resultStart)
        }
        return .task(name, result)
    }
}
