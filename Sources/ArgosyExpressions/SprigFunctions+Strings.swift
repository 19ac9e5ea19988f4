import ArgosyModel
import Foundation

extension SprigFunctions {
    /// sprig's random, UUID, case-conversion, hash, base32 and semver functions.
    static func extras(_ name: String, _ c: CallContext) throws(ExpressionError) -> JSONValue? {
        switch name {
        case "randAlphaNum", "randAlpha", "randNumeric", "randAscii":
            try c.arity(1)
            let n = toInt64(c.args[0])
            guard n >= 0, n <= 1_000_000 else { throw c.error("bad length \(n)") }
            let alphabet: [Character]
            switch name {
            case "randAlphaNum": alphabet = letters + digits
            case "randAlpha": alphabet = letters
            case "randNumeric": alphabet = digits
            default: alphabet = (32...126).map { Character(Unicode.Scalar(UInt8($0))) }
            }
            var generator = SystemRandomNumberGenerator()
            return .string(String((0..<n).map { _ in alphabet.randomElement(using: &generator) ?? "a" }))
        case "uuidv4":
            try c.arity(0)
            return .string(UUID().uuidString.lowercased())
        case "camelcase", "snakecase", "kebabcase":
            try c.arity(1)
            let s = strval(c.args[0])
            switch name {
            case "camelcase": return .string(camelCase(s))
            case "snakecase": return .string(words(s).map { $0.lowercased() }.joined(separator: "_"))
            default: return .string(words(s).map { $0.lowercased() }.joined(separator: "-"))
            }
        case "sha256sum", "sha1sum", "adler32sum":
            try c.arity(1)
            let bytes = Array(strval(c.args[0]).utf8)
            switch name {
            case "sha256sum": return .string(Digest.hex(Digest.sha256(bytes)))
            case "sha1sum": return .string(Digest.hex(Digest.sha1(bytes)))
            default: return .string(String(Digest.adler32(bytes)))
            }
        case "b32enc":
            try c.arity(1)
            return .string(base32Encode(Array(strval(c.args[0]).utf8)))
        case "b32dec":
            try c.arity(1)
            guard let bytes = base32Decode(strval(c.args[0])) else { return .string("illegal base32 data") }
            return .string(String(decoding: bytes, as: UTF8.self))
        case "semver":
            try c.arity(1)
            let text = strval(c.args[0])
            guard let v = Semver(text) else { throw c.error("invalid semantic version \"\(text)\"") }
            return .object(pairs: [
                ("Major", .int(v.major)), ("Minor", .int(v.minor)), ("Patch", .int(v.patch)),
                ("Prerelease", .string(v.prerelease)), ("Metadata", .string(v.metadata)),
                ("Original", .string(v.original)),
            ])
        case "semverCompare":
            try c.arity(2)
            let constraint = strval(c.args[0])
            let text = strval(c.args[1])
            guard let v = Semver(text) else { throw c.error("invalid semantic version \"\(text)\"") }
            guard let result = Semver.satisfies(v, constraint) else {
                throw c.error("improper constraint: \(constraint)")
            }
            return .bool(result)
        default:
            return nil
        }
    }

    private static let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    private static let digits = Array("0123456789")

    /// The words of an identifier: split at anything not a letter or digit, before an upper-case letter that follows
    /// a lower-case one or a digit, and before the last capital of an acronym (`HTTPServer` → HTTP, Server).
    static func words(_ s: String) -> [String] {
        var out: [String] = []
        var current = ""
        let chars = Array(s)
        for (i, ch) in chars.enumerated() {
            guard ch.isLetter || ch.isNumber else {
                if !current.isEmpty { out.append(current) }
                current = ""
                continue
            }
            if ch.isUppercase, let previous = current.last {
                let next = i + 1 < chars.count ? chars[i + 1] : nil
                if previous.isLowercase || previous.isNumber
                    || previous.isUppercase && next.map({ $0.isLowercase }) == true
                {
                    out.append(current)
                    current = ""
                }
            }
            current.append(ch)
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// xstrings' `ToCamelCase` as sprig's `camelcase` uses it: words joined by `_`, `-` or spaces are joined with
    /// their first letter upper-cased, the rest kept (`http_server` → `HttpServer`).
    static func camelCase(_ s: String) -> String {
        s.split(whereSeparator: { $0 == "_" || $0 == "-" || $0.isWhitespace }).map { word in
            word.prefix(1).uppercased() + word.dropFirst()
        }.joined()
    }

    private static let base32Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    /// RFC 4648 base32 with padding, as Go's `base32.StdEncoding`.
    static func base32Encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var buffer = 0
        var bits = 0
        for b in bytes {
            buffer = buffer << 8 | Int(b)
            bits += 8
            while bits >= 5 {
                out.append(base32Alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
            buffer &= (1 << bits) - 1
        }
        if bits > 0 { out.append(base32Alphabet[(buffer << (5 - bits)) & 31]) }
        while out.count % 8 != 0 { out.append(UInt8(ascii: "=")) }
        return String(decoding: out, as: UTF8.self)
    }

    static func base32Decode(_ text: String) -> [UInt8]? {
        let body = text.utf8.prefix { $0 != UInt8(ascii: "=") }
        guard text.utf8.count % 8 == 0 else { return nil }
        var out: [UInt8] = []
        var buffer = 0
        var bits = 0
        for ch in body {
            guard let value = base32Alphabet.firstIndex(of: ch) else { return nil }
            buffer = buffer << 5 | value
            bits += 5
            if bits >= 8 {
                out.append(UInt8((buffer >> (bits - 8)) & 255))
                bits -= 8
            }
            buffer &= (1 << bits) - 1
        }
        return out
    }
}
