import ArgosyModel

/// argo-server's `fields` query parameter: `items.metadata.name,items.status.phase` keeps only those paths (and
/// everything under them); a leading `-` (`-items.status.nodes`) removes them instead. Arrays are looked through,
/// so `items.metadata.name` names the field in every item.
struct FieldFilter {
    let paths: [[Substring]]
    let excludes: Bool

    /// Nil when `fields` is absent or empty: the response is sent whole.
    init?(_ fields: String?) {
        guard var text = fields?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        excludes = text.hasPrefix("-")
        if excludes { text.removeFirst() }
        paths = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            .map { $0.split(separator: ".") }
    }

    func apply(_ value: JSONValue) -> JSONValue {
        excludes ? Self.removing(paths, from: value) : Self.keeping(paths, of: value) ?? .null
    }

    /// The parts of `value` that `paths` name; nil when none does.
    static func keeping(_ paths: [[Substring]], of value: JSONValue) -> JSONValue? {
        if paths.contains(where: \.isEmpty) { return value }
        switch value {
        case .array(let items):
            return .array(items.map { keeping(paths, of: $0) ?? .object([:]) })
        case .object(let o):
            var kept = o
            kept.removeAll()
            for (key, child) in o {
                let rest = paths.filter { $0.first == Substring(key) }.map { Array($0.dropFirst()) }
                if rest.isEmpty { continue }
                if let k = keeping(rest, of: child) { kept[key] = k }
            }
            return kept.isEmpty ? nil : .object(kept)
        default:
            return nil
        }
    }

    /// `value` without the parts `paths` name.
    static func removing(_ paths: [[Substring]], from value: JSONValue) -> JSONValue {
        switch value {
        case .array(let items):
            return .array(items.map { removing(paths, from: $0) })
        case .object(var o):
            for key in Array(o.keys) {
                let here = paths.filter { $0.first == Substring(key) }
                if here.contains(where: { $0.count == 1 }) {
                    o[key] = nil
                } else if !here.isEmpty, let child = o[key] {
                    o[key] = removing(here.map { Array($0.dropFirst()) }, from: child)
                }
            }
            return .object(o)
        default:
            return value
        }
    }
}
