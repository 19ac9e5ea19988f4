import ArgosyModel
import Foundation
import Yams

/// Writes JSON values as YAML (keys in order), for `-o yaml`.
enum YAMLText {
    static func render(_ value: JSONValue) -> String {
        (try? Yams.serialize(node: node(value), indent: 2, width: -1, allowUnicode: true)) ?? value.prettyJSON
    }

    static func node(_ value: JSONValue) -> Node {
        switch value {
        case .null: return Node("null", Tag(.null))
        case .bool(let b): return Node(b ? "true" : "false", Tag(.bool))
        case .int(let i): return Node(String(i), Tag(.int))
        case .double(let d): return Node(JSONValue.format(double: d), Tag(.float))
        case .string(let s):
            let style: Node.Scalar.Style = s.contains("\n") ? .literal : needsQuotes(s) ? .singleQuoted : .plain
            return Node(s, Tag(.str), style)
        case .array(let a): return Node(a.map(node))
        case .object(let o): return Node(o.map { (Node($0.key), node($0.value)) })
        }
    }

    /// Plain scalars that YAML would read back as something other than this string.
    static func needsQuotes(_ s: String) -> Bool {
        if s.isEmpty { return true }
        let lower = s.lowercased()
        if ["true", "false", "yes", "no", "on", "off", "y", "n", "null", "~"].contains(lower) { return true }
        if Double(s) != nil || Int(s) != nil { return true }
        if let first = s.first, "-?:,[]{}#&*!|>'\"%@`".contains(first) { return true }
        if s.contains(": ") || s.contains(" #") || s.hasSuffix(":") || s.hasPrefix(" ") || s.hasSuffix(" ") {
            return true
        }
        return false
    }
}
