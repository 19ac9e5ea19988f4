import Foundation

/// Finds `{{…}}` tags in text, byte by byte (UTF-8), the way Argo's fasttemplate does.
enum TagScanner {
    /// One tag: its content between the braces and whether it is an expression (`{{=…}}`).
    struct Tag {
        var content: String
        var isExpression: Bool { content.hasPrefix("=") }
    }

    /// Every complete tag in `text`, in order. An unterminated `{{` ends the scan.
    static func tags(in text: String) -> [Tag] {
        let bytes = Array(text.utf8)
        var tags: [Tag] = []
        var i = 0
        while i + 1 < bytes.count {
            guard bytes[i] == brace, bytes[i + 1] == brace else {
                i += 1
                continue
            }
            let start = i + 2
            let isExpression = start < bytes.count && bytes[start] == UInt8(ascii: "=")
            let end =
                isExpression
                ? (expressionEnd(bytes, from: start + 1) ?? closing(bytes, from: start)) : closing(bytes, from: start)
            guard let end else { break }
            tags.append(Tag(content: String(decoding: bytes[start..<end], as: UTF8.self)))
            i = end + 2
        }
        return tags
    }

    /// The index of the first `}}` at or after `from`.
    static func closing(_ bytes: [UInt8], from: Int) -> Int? {
        var j = from
        while j + 1 < bytes.count {
            if bytes[j] == closeBrace, bytes[j + 1] == closeBrace { return j }
            j += 1
        }
        return nil
    }

    /// The index of the `}}` closing an expression tag, skipping string literals and balanced braces.
    /// Nil when the braces or quotes never balance (the caller then falls back to ``closing(_:from:)``).
    static func expressionEnd(_ bytes: [UInt8], from: Int) -> Int? {
        var depth = 0
        var quote: UInt8? = nil
        var j = from
        while j < bytes.count {
            let b = bytes[j]
            if let q = quote {
                if b == UInt8(ascii: "\\"), q != UInt8(ascii: "`") {
                    j += 2
                    continue
                }
                if b == q { quote = nil }
                j += 1
                continue
            }
            switch b {
            case UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "`"): quote = b
            case brace: depth += 1
            case closeBrace:
                if depth == 0 {
                    return j + 1 < bytes.count && bytes[j + 1] == closeBrace ? j : nil
                }
                depth -= 1
            default: break
            }
            j += 1
        }
        return nil
    }

    private static let brace = UInt8(ascii: "{")
    private static let closeBrace = UInt8(ascii: "}")
}

extension StringProtocol {
    /// The text without leading and trailing white space (Go's `strings.TrimSpace`).
    func trimmingWhitespace() -> String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
