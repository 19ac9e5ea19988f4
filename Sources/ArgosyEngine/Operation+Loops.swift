import ArgosyExpressions
import ArgosyModel
import Foundation

/// One element of an expanded loop (`withItems`, `withParam`, `withSequence`).
struct LoopItem {
    var index: Int
    var value: JSONValue

    /// The item as Argo puts it in node names: strings raw, maps as sorted `key:value` pairs, without
    /// parentheses (the index keeps names unique).
    var nameLabel: String {
        let raw = rawLabel
        guard raw.contains("(") || raw.contains(")") else { return raw }
        return String(raw.filter { $0 != "(" && $0 != ")" })
    }

    private var rawLabel: String {
        switch value {
        case .string(let s): return s
        case .object(let o):
            return o.map { "\($0.key):\(LoopItem.goFormat($0.value))" }.sorted().joined(separator: ",")
        case .array(let a): return "[" + a.map(LoopItem.goFormat).joined(separator: " ") + "]"
        default: return value.compactJSON
        }
    }

    /// Go's `%v` of a decoded JSON value, used in Argo's names and `item.<key>` values.
    static func goFormat(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): return s
        case .object(let o):
            return "map[" + o.keys.sorted().map { "\($0):\(goFormat(o[$0]!))" }.joined(separator: " ") + "]"
        case .array(let a): return "[" + a.map(goFormat).joined(separator: " ") + "]"
        case .null: return "<nil>"
        default: return v.compactJSON
        }
    }

    /// Adds `item` and `item.<key>` to a scope.
    func add(to scope: inout VariableScope) {
        switch value {
        case .object(let o):
            // The object itself (keys sorted, as Go writes maps) so `{{item}}` prints JSON and
            // `{{item.a.b}}` and expressions can walk into it.
            scope["item"] = LoopItem.sorted(value)
            for (k, v) in o {
                if case .string(let s) = v {
                    scope["item.\(k)"] = .string(s)
                } else if case .object = v {
                    scope["item.\(k)"] = .string(LoopItem.sortedJSON(v))
                } else {
                    scope["item.\(k)"] = .string(v.compactJSON)
                }
            }
        case .array:
            scope["item"] = .string(value.compactJSON)
        default:
            scope["item"] = .string(value.parameterString)
        }
    }

    /// The value with object keys sorted at every level.
    static func sorted(_ v: JSONValue) -> JSONValue {
        switch v {
        case .object(let o): return .object(.init(uniqueKeysWithValues: o.keys.sorted().map { ($0, sorted(o[$0]!)) }))
        case .array(let a): return .array(a.map(sorted))
        default: return v
        }
    }

    /// JSON with object keys sorted, as Go's encoder writes maps.
    static func sortedJSON(_ v: JSONValue) -> String {
        switch v {
        case .object(let o):
            let body = o.keys.sorted().map { JSONValue.string($0).compactJSON + ":" + sortedJSON(o[$0]!) }
            return "{" + body.joined(separator: ",") + "}"
        case .array(let a): return "[" + a.map(sortedJSON).joined(separator: ",") + "]"
        default: return v.compactJSON
        }
    }
}

extension Operation {
    /// Expands a loop, or returns nil when the step or task has none.
    func expandLoop(
        withItems: [JSONValue]?, withParam: String?, withSequence: Sequence?, scope: VariableScope, what: String
    ) throws(EngineError) -> [LoopItem]? {
        let limit = reconciler.limits.loopItems
        func checkLimit(_ count: Int, _ field: String) throws(EngineError) {
            guard count > limit else { return }
            throw EngineError(
                "\(what).\(field): \(count) items is more than the limit of \(limit) per loop (limits.loopItems)")
        }
        if let items = withItems {
            try checkLimit(items.count, "withItems")
            var out: [LoopItem] = []
            for (i, item) in items.enumerated() {
                out.append(
                    LoopItem(index: i, value: try substituteLeaves(item, scope, what: "\(what).withItems[\(i)]")))
            }
            return out
        }
        if let param = withParam {
            let text = try substitute(param, scope, what: "\(what).withParam")
            let parsed: JSONValue
            do {
                parsed = try JSONValue.parse(text)
            } catch {
                throw EngineError("\(what).withParam: value could not be parsed as a JSON list: \(text.prefix(200))")
            }
            guard case .array(let list) = parsed else {
                throw EngineError("\(what).withParam: expected a JSON list, got \(parsed.kindName)")
            }
            try checkLimit(list.count, "withParam")
            return list.enumerated().map { LoopItem(index: $0.offset, value: $0.element) }
        }
        if let sequence = withSequence {
            return try expandSequence(sequence, scope, what: "\(what).withSequence", limit: limit)
        }
        return nil
    }

    func substituteLeaves(_ value: JSONValue, _ scope: VariableScope, what: String) throws(EngineError) -> JSONValue {
        switch value {
        case .string(let s): return .string(try substitute(s, scope, what: what))
        case .array(let a):
            var out: [JSONValue] = []
            for v in a { out.append(try substituteLeaves(v, scope, what: what)) }
            return .array(out)
        case .object(let o):
            var out = o
            for (k, v) in o { out[k] = try substituteLeaves(v, scope, what: what) }
            return .object(out)
        default: return value
        }
    }

    func expandSequence(_ seq: Sequence, _ scope: VariableScope, what: String, limit: Int) throws(EngineError)
        -> [LoopItem]
    {
        func number(_ field: IntOrString?, _ name: String) throws(EngineError) -> Int? {
            guard let field else { return nil }
            let text = try substitute(field.description, scope, what: "\(what).\(name)")
            guard let n = Int(text.trimmingCharacters(in: .whitespaces)) else {
                throw EngineError("\(what).\(name): '\(text)' is not an integer")
            }
            return n
        }
        let count = try number(seq.count, "count")
        let start = try number(seq.start, "start") ?? 0
        let end = try number(seq.end, "end")
        if count != nil, end != nil { throw EngineError("\(what): only one of count or end can be defined") }
        // How many items, worked out without overflow before any is made.
        let n: Int
        if let count {
            if count < 0 { throw EngineError("\(what).count: must not be negative") }
            guard start.addingReportingOverflow(count).overflow == false else {
                throw EngineError("\(what): start \(start) plus count \(count) is beyond the integer range")
            }
            n = count
        } else if let end {
            let span = start <= end ? end.subtractingReportingOverflow(start) : start.subtractingReportingOverflow(end)
            n = span.overflow || span.partialValue == .max ? .max : span.partialValue + 1
        } else {
            throw EngineError("\(what): one of count or end is required")
        }
        if n > limit {
            throw EngineError("\(what): \(n) items is more than the limit of \(limit) per loop (limits.loopItems)")
        }
        let step = end.map { $0 < start ? -1 : 1 } ?? 1
        let values = (0..<n).map { start + $0 * step }
        let format = seq.format ?? "%d"
        var items: [LoopItem] = []
        for (i, v) in values.enumerated() {
            items.append(LoopItem(index: i, value: .string(try PrintfFormat.format(format, v, what: "\(what).format"))))
        }
        return items
    }
}

/// A safe subset of printf for `withSequence.format`: one integer verb (`%d`, `%x`, `%X`, `%o`) with
/// optional `0`/`-` flags and width; `%%` for a percent sign.
enum PrintfFormat {
    /// The widest field a verb may ask for (a wider one only pads the name with spaces or zeros).
    static let maxWidth = 255

    static func format(_ format: String, _ value: Int, what: String) throws(EngineError) -> String {
        var out = ""
        let chars = Array(format)
        var i = 0
        var used = false
        while i < chars.count {
            let c = chars[i]
            guard c == "%" else {
                out.append(c)
                i += 1
                continue
            }
            i += 1
            guard i < chars.count else { throw EngineError("\(what): format ends with '%'") }
            if chars[i] == "%" {
                out.append("%")
                i += 1
                continue
            }
            var zero = false
            var left = false
            while i < chars.count, chars[i] == "0" || chars[i] == "-" {
                if chars[i] == "0" { zero = true } else { left = true }
                i += 1
            }
            var width = 0
            while i < chars.count, let d = chars[i].wholeNumberValue {
                width = width * 10 + d
                i += 1
                if width > Self.maxWidth { throw EngineError("\(what): width over \(Self.maxWidth) in '\(format)'") }
            }
            guard i < chars.count else { throw EngineError("\(what): incomplete verb in '\(format)'") }
            let body: String
            switch chars[i] {
            case "d", "v": body = String(value)
            case "x": body = String(value, radix: 16)
            case "X": body = String(value, radix: 16, uppercase: true)
            case "o": body = String(value, radix: 8)
            default: throw EngineError("\(what): unsupported verb '%\(chars[i])' in '\(format)' (use %d, %x, %X or %o)")
            }
            i += 1
            used = true
            if body.count >= width {
                out += body
            } else if left {
                out += body + String(repeating: " ", count: width - body.count)
            } else if zero {
                let negative = body.hasPrefix("-")
                let digits = negative ? String(body.dropFirst()) : body
                out += (negative ? "-" : "") + String(repeating: "0", count: width - body.count) + digits
            } else {
                out += String(repeating: " ", count: width - body.count) + body
            }
        }
        return used ? out : out + String(value)
    }
}
