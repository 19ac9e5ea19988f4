import Foundation
import OrderedCollections

/// A JSON value that keeps object keys in document order.
///
/// Integers and floating-point numbers are kept apart so that `"3"` and `"3.0"` round-trip as written
/// and expression arithmetic can follow expr-lang's int/float rules.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(OrderedDictionary<String, JSONValue>)
}

extension JSONValue {
    public var isNull: Bool { if case .null = self { true } else { false } }

    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    public var objectValue: OrderedDictionary<String, JSONValue>? { if case .object(let o) = self { o } else { nil } }

    /// The numeric value as a `Double`, for ints and doubles alike.
    public var doubleValue: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    /// The value as Argo passes it in a parameter: strings as they are, everything else as compact JSON.
    public var parameterString: String {
        switch self {
        case .string(let s): s
        case .null: ""
        default: compactJSON
        }
    }

    /// Compact JSON text, keys in stored order, no escaping of `/`.
    public var compactJSON: String {
        var out = ""
        write(to: &out, pretty: false, indent: 0)
        return out
    }

    /// Indented JSON text (two spaces), as `-o json` prints it.
    public var prettyJSON: String {
        var out = ""
        write(to: &out, pretty: true, indent: 0)
        return out
    }

    private func write(to out: inout String, pretty: Bool, indent: Int) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += JSONValue.format(double: d)
        case .string(let s): JSONValue.writeQuoted(s, to: &out)
        case .array(let a):
            if a.isEmpty {
                out += "[]"
                return
            }
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += "," }
                if pretty { out += "\n" + String(repeating: "  ", count: indent + 1) }
                v.write(to: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { out += "\n" + String(repeating: "  ", count: indent) }
            out += "]"
        case .object(let o):
            if o.isEmpty {
                out += "{}"
                return
            }
            out += "{"
            var first = true
            for (k, v) in o {
                if !first { out += "," }
                first = false
                if pretty { out += "\n" + String(repeating: "  ", count: indent + 1) }
                JSONValue.writeQuoted(k, to: &out)
                out += pretty ? ": " : ":"
                v.write(to: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { out += "\n" + String(repeating: "  ", count: indent) }
            out += "}"
        }
    }

    /// Formats a double the way Go's JSON encoder does for common values: integral values without a fraction.
    public static func format(double d: Double) -> String {
        if d.isNaN || d.isInfinite { return "null" }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int(d)) }
        return String(d)
    }

    /// `s` as a JSON string, escaped as Go's `encoding/json` writes it: `\b`, `\f`, `\n`, `\r` and `\t` short,
    /// other control characters, `<`, `>`, `&`, U+2028 and U+2029 as `\u` escapes.
    public static func writeQuoted(_ s: String, to out: inout String) {
        out += "\""
        // Most strings (names, ids, phases) need no escape: copied whole. (0xE2 leads U+2028 and U+2029.)
        if s.utf8.allSatisfy({
            $0 >= 0x20 && $0 != 0x22 && $0 != 0x5C && $0 != 0x3C && $0 != 0x3E && $0 != 0x26 && $0 != 0xE2
        }) {
            out += s
            out += "\""
            return
        }
        let hex = Array("0123456789abcdef")
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "<", ">", "&", "\u{2028}", "\u{2029}", "\u{00}"..."\u{1F}":
                let v = Int(scalar.value)
                out += "\\u" + String([hex[(v >> 12) & 15], hex[(v >> 8) & 15], hex[(v >> 4) & 15], hex[v & 15]])
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral, ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(nilLiteral: ()) { self = .null }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(OrderedDictionary(elements, uniquingKeysWith: { _, last in last }))
    }

    /// An object of these members in this order (a later duplicate key wins).
    public init(members: [(String, JSONValue)]) {
        self = .object(OrderedDictionary(members, uniquingKeysWith: { _, last in last }))
    }
}
