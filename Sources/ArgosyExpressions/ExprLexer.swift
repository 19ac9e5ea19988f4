import ArgosyModel

/// Splits an expr-lang expression into tokens. Positions are character offsets.
struct ExprLexer {
    let source: String
    let chars: [Character]
    var index = 0

    init(_ source: String) {
        self.source = source
        chars = Array(source)
    }

    static func tokenize(_ source: String) throws(ExpressionError) -> [ExprToken] {
        var lexer = ExprLexer(source)
        var tokens: [ExprToken] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    func error(_ message: String, at position: Int) -> ExpressionError {
        ExpressionError(expression: source, position: position, message: message, code: .syntax)
    }

    func peek(_ offset: Int = 0) -> Character? {
        index + offset < chars.count ? chars[index + offset] : nil
    }

    mutating func next() throws(ExpressionError) -> ExprToken {
        try skipSpaceAndComments()
        guard let c = peek() else { return ExprToken(kind: .end, text: "", position: index) }
        let start = index
        if c.isASCII, c.isNumber { return try number() }
        if c == ".", let d = peek(1), d.isASCII, d.isNumber { return try number() }
        if c.isLetter || c == "_" || c == "$" {
            while let d = peek(), d.isLetter || d.isNumber || d == "_" || d == "$" { index += 1 }
            return ExprToken(kind: .identifier, text: String(chars[start..<index]), position: start)
        }
        if c == "\"" || c == "'" { return try quoted(c) }
        if c == "`" {
            index += 1
            while let d = peek(), d != "`" { index += 1 }
            guard peek() == "`" else { throw error("unterminated string literal", at: start) }
            index += 1
            let text = String(chars[start + 1..<index - 1])
            return ExprToken(kind: .string, text: text, position: start, value: .string(text))
        }
        if "()[]{}".contains(c) {
            index += 1
            return ExprToken(kind: .bracket, text: String(c), position: start)
        }
        for symbol in ExprToken.symbols where matches(symbol) {
            index += symbol.count
            return ExprToken(kind: .symbol, text: symbol, position: start)
        }
        throw error("unexpected character '\(c)'", at: start)
    }

    private func matches(_ symbol: String) -> Bool {
        var offset = 0
        for s in symbol {
            guard peek(offset) == s else { return false }
            offset += 1
        }
        return true
    }

    private mutating func skipSpaceAndComments() throws(ExpressionError) {
        while let c = peek() {
            if c.isWhitespace {
                index += 1
            } else if c == "/", peek(1) == "/" {
                while let d = peek(), !d.isNewline { index += 1 }
            } else if c == "/", peek(1) == "*" {
                let start = index
                index += 2
                while peek() != nil, !(peek() == "*" && peek(1) == "/") { index += 1 }
                guard peek() != nil else { throw error("unterminated comment", at: start) }
                index += 2
            } else {
                return
            }
        }
    }

    private mutating func number() throws(ExpressionError) -> ExprToken {
        let start = index
        var isFloat = false
        if peek() == "0", let x = peek(1), "xXbBoO".contains(x) {
            index += 2
            while let d = peek(), d.isHexDigit || d == "_" { index += 1 }
            let text = String(chars[start..<index])
            let digits = String(text.dropFirst(2).filter { $0 != "_" })
            let radix = "xX".contains(x) ? 16 : "bB".contains(x) ? 2 : 8
            guard let v = Int(digits, radix: radix) else { throw error("invalid integer literal '\(text)'", at: start) }
            return ExprToken(kind: .number, text: text, position: start, value: .int(v))
        }
        while let d = peek() {
            if d.isASCII, d.isNumber || d == "_" {
                index += 1
            } else if d == ".", peek(1) != ".", !isFloat, !(peek(1)?.isLetter ?? false) {
                isFloat = true
                index += 1
            } else if d == "e" || d == "E" {
                isFloat = true
                index += 1
                if peek() == "+" || peek() == "-" { index += 1 }
            } else {
                break
            }
        }
        let text = String(chars[start..<index])
        let clean = text.filter { $0 != "_" }
        if isFloat {
            guard let v = Double(clean) else { throw error("invalid float literal '\(text)'", at: start) }
            return ExprToken(kind: .number, text: text, position: start, value: .double(v))
        }
        guard let v = Int(clean) else { throw error("invalid integer literal '\(text)'", at: start) }
        return ExprToken(kind: .number, text: text, position: start, value: .int(v))
    }

    private mutating func quoted(_ quote: Character) throws(ExpressionError) -> ExprToken {
        let start = index
        index += 1
        var out = ""
        while let c = peek() {
            index += 1
            if c == quote {
                return ExprToken(
                    kind: .string, text: String(chars[start..<index]), position: start, value: .string(out))
            }
            guard c == "\\" else {
                out.append(c)
                continue
            }
            guard let e = peek() else { break }
            index += 1
            switch e {
            case "n": out += "\n"
            case "t": out += "\t"
            case "r": out += "\r"
            case "b": out += "\u{08}"
            case "f": out += "\u{0C}"
            case "v": out += "\u{0B}"
            case "a": out += "\u{07}"
            case "0"..."7":
                var code = Int(String(e)) ?? 0
                for _ in 0..<2 {
                    guard let d = peek(), let v = Int(String(d)), v < 8 else { break }
                    code = code * 8 + v
                    index += 1
                }
                out.unicodeScalars.append(Unicode.Scalar(UInt8(truncatingIfNeeded: code)))
            case "x", "u", "U":
                let count = e == "x" ? 2 : e == "u" ? 4 : 8
                let hexStart = index
                guard index + count <= chars.count,
                    let code = UInt32(String(chars[index..<index + count]), radix: 16),
                    let scalar = Unicode.Scalar(code)
                else { throw error("invalid escape sequence '\\\(e)'", at: hexStart - 2) }
                index += count
                out.unicodeScalars.append(scalar)
            default: out.append(e)
            }
        }
        throw error("unterminated string literal", at: start)
    }
}
