/// A quick look at YAML text, before it is parsed, for nesting deeper than a limit: flow collections (`[`, `{`)
/// and chains of block sequence entries on one line (`- - -`). The YAML composer makes one nested call per
/// level, so text nested tens of thousands of levels deep would overflow the stack before any check of the parsed
/// tree could refuse it. (Deep nesting by indentation alone needs text quadratic in the depth: it cannot get there.)
enum NestingScan {
    /// Where nesting first goes beyond `limit` (1-based line and column), or nil.
    static func firstTooDeep(_ text: String, limit: Int) -> (line: Int, column: Int)? {
        var flow = 0
        var chain = 0
        var line = 1
        var column = 0
        var quote: UInt8?
        var escaped = false
        var comment = false
        /// Only spaces and `- ` entries so far on this line.
        var lineStart = true
        /// The byte before this one, for telling where a token starts.
        var previous: UInt8 = 0x0A
        let bytes = Array(text.utf8)
        for (i, b) in bytes.enumerated() {
            column += 1
            defer { previous = b }
            if b == 0x0A {
                line += 1
                column = 0
                chain = 0
                comment = false
                lineStart = true
                continue
            }
            if comment { continue }
            if let q = quote {
                if escaped {
                    escaped = false
                } else if q == 0x22, b == 0x5C {
                    escaped = true
                } else if b == q {
                    quote = nil
                }
                continue
            }
            let tokenStart = [0x20, 0x09, 0x0A, 0x5B, 0x7B, 0x2C, 0x3A, 0x2D].contains(previous)
            switch b {
            case 0x20, 0x09:
                continue
            case 0x2D where lineStart && (i + 1 == bytes.count || [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i + 1])):
                // "- ": a block sequence entry
                chain += 1
                if flow + chain > limit { return (line, column) }
                continue
            case 0x23 where tokenStart:  // "#"
                comment = true
            case 0x22, 0x27:  // '"', "'": a quoted scalar starts a token; inside a word it is a plain character
                if tokenStart { quote = b }
            case 0x5B, 0x7B:  // "[", "{"
                flow += 1
                if flow + chain > limit { return (line, column) }
            case 0x5D, 0x7D:  // "]", "}"
                flow = max(0, flow - 1)
            default:
                break
            }
            lineStart = false
        }
        return nil
    }
}
