/// Splits a substituted `when` condition into tokens, the way govaluate does, with Argo's reading of bare words
/// as strings and a few extensions (see ``WhenCondition``).
struct WhenLexer {
    let source: String
    let chars: [Character]
    var index = 0

    static let operators = [
        "**", "==", "!=", ">=", "<=", "=~", "!~", "&&", "||", "??", ">", "<", "!", "-", "+", "*", "/", "%", "?", ":",
    ]

    init(_ source: String) {
        self.source = source
        chars = Array(source)
    }

    static func tokenize(_ source: String) throws(ExpressionError) -> [WhenToken] {
        var lexer = WhenLexer(source)
        var tokens: [WhenToken] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    func error(_ message: String, at position: Int) -> ExpressionError {
        ExpressionError(expression: source, position: position, message: message, code: .syntax)
    }

    private func peek(_ offset: Int = 0) -> Character? {
        index + offset < chars.count ? chars[index + offset] : nil
    }

    private static func isWordCharacter(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" || c == "." }

    mutating func next() throws(ExpressionError) -> WhenToken {
        while let c = peek(), c.isWhitespace { index += 1 }
        let start = index
        guard let c = peek() else { return WhenToken(kind: .end, position: index, end: index) }
        func token(_ kind: WhenToken.Kind) -> WhenToken { WhenToken(kind: kind, position: start, end: index) }
        switch c {
        case "(":
            index += 1
            return token(.open)
        case ")":
            index += 1
            return token(.close)
        case ",":
            index += 1
            return token(.comma)
        case "'", "\"":
            index += 1
            var text = ""
            while let d = peek(), d != c {
                index += 1
                if d == "\\", let e = peek() {
                    index += 1
                    text.append(e)
                } else {
                    text.append(d)
                }
            }
            guard peek() == c else { throw error("unclosed string literal", at: start) }
            index += 1
            return token(.string(text))
        case "[":
            index += 1
            var text = ""
            while let d = peek(), d != "]" {
                index += 1
                text.append(d)
            }
            guard peek() == "]" else { throw error("unclosed parameter bracket: expected ']'", at: start) }
            index += 1
            return token(.string(text))
        default:
            break
        }
        if Self.isWordCharacter(c) {
            // A word runs over letters, digits, '_', '.', and '-' between two of those, so `my-value`, `1.2.3`
            // and `2024-01-31` are single words.
            while let d = peek() {
                if Self.isWordCharacter(d) {
                    index += 1
                } else if d == "-", index > start, let e = peek(1), e.isLetter || e.isNumber || e == "_" {
                    index += 1
                } else {
                    break
                }
            }
            let text = String(chars[start..<index])
            if text == "true" { return token(.bool(true)) }
            if text == "false" { return token(.bool(false)) }
            if text == "in" || text == "IN" { return token(.op("in")) }
            if let number = Self.number(text) { return token(.number(number)) }
            return token(.word(text))
        }
        for op in Self.operators where matches(op) {
            index += op.count
            return token(.op(op))
        }
        throw error("invalid token '\(c)' (hint: wrap the value in quotes)", at: start)
    }

    private func matches(_ op: String) -> Bool {
        var offset = 0
        for s in op {
            guard peek(offset) == s else { return false }
            offset += 1
        }
        return true
    }

    /// govaluate's numeric literals: digits with at most one '.', or hex `0x…`.
    static func number(_ text: String) -> Double? {
        if text.hasPrefix("0x"), let v = UInt64(text.dropFirst(2), radix: 16) { return Double(v) }
        guard let first = text.first, first.isASCII, first.isNumber || first == "." else { return nil }
        guard text.allSatisfy({ ($0.isASCII && $0.isNumber) || $0 == "." }), text.filter({ $0 == "." }).count <= 1
        else {
            return nil
        }
        return Double(text)
    }
}
