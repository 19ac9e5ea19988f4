import ArgosyModel
import Foundation

/// Variables visible to a substitution, keyed by Argo's flat dotted names, e.g.
/// "inputs.parameters.msg", "steps.flip.outputs.result", "tasks.A.outputs.parameters.x", "item", "item.name",
/// "workflow.name", "workflow.parameters.p", "retries", "pod.name". Values are JSONValue (parameters are usually .string).
///
/// Expressions see the same variables nested by dots (`inputs.parameters.msg`), resolved lazily through an index of
/// dotted prefixes, so a lookup costs the same whatever the size of the scope. Prefer the subscript for single
/// changes: assigning ``values`` as a whole rebuilds that index.
public struct VariableScope: Sendable {
    private var storage: [String: JSONValue]
    /// For every proper dotted prefix of a key ("a" and "a.b" for "a.b.c"), how many keys lie below it. The
    /// prefixes are slices of the keys: keeping the index up to date allocates nothing.
    private var childCounts: [Substring: Int]

    /// The instant that `now()` and `sprig.now()` return, for reproducible evaluation (tests, replays). Nil, the
    /// default, means the system clock at the moment of the call.
    public var currentTime: Date?

    /// All variables, by flat dotted name.
    public var values: [String: JSONValue] {
        get { storage }
        set {
            storage = newValue
            childCounts = Self.index(of: newValue)
        }
    }

    /// Creates a scope holding `values`.
    public init(_ values: [String: JSONValue] = [:]) {
        storage = values
        childCounts = Self.index(of: values)
    }

    /// The variable with this flat name, or nil. Setting nil removes it.
    public subscript(name: String) -> JSONValue? {
        get { storage[name] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: name) == nil { adjustPrefixes(of: name, by: 1) }
            } else if storage.removeValue(forKey: name) != nil {
                adjustPrefixes(of: name, by: -1)
            }
        }
    }

    /// True when some variable's name starts with `prefix` followed by a dot.
    func hasChildren(_ prefix: String) -> Bool { childCounts[prefix[...]] != nil }

    /// The object made of every variable below `prefix` (and the value stored at `prefix` itself when that is an
    /// object), nested by dots. A more specific flat key wins over a value it conflicts with, as in Argo.
    func materialize(_ prefix: String) -> JSONValue {
        var root: JSONValue = .object([:])
        if case .object? = storage[prefix] { root = storage[prefix] ?? .object([:]) }
        let lead = prefix + "."
        for key in storage.keys.filter({ $0.hasPrefix(lead) }).sorted() {
            let rest = key.dropFirst(lead.count).split(separator: ".", omittingEmptySubsequences: false).map(
                String.init)
            Self.insert(storage[key] ?? .null, at: rest[...], into: &root)
        }
        return root
    }

    /// A simple tag's value: the exact key, else the longest prefix holding an object or a list, walked into.
    func lookupFlat(_ name: String) -> JSONValue? {
        if let v = storage[name] { return v }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count > 1 else { return nil }
        // Try the longest stored prefix first; when its value cannot be walked (a string, say), try shorter ones.
        candidates: for cut in stride(from: parts.count - 1, to: 0, by: -1) {
            let head = parts[..<cut].joined(separator: ".")
            guard let base = storage[head] else { continue }
            var current = base
            for part in parts[cut...] {
                switch current {
                case .object(let o):
                    guard let next = o[part] else { continue candidates }
                    current = next
                case .array(let a):
                    guard let i = Int(part), a.indices.contains(i) else { continue candidates }
                    current = a[i]
                default: continue candidates
                }
            }
            return current
        }
        return nil
    }

    private mutating func adjustPrefixes(of name: String, by delta: Int) {
        Self.forEachPrefix(of: name) { prefix in
            let count = (childCounts[prefix] ?? 0) + delta
            childCounts[prefix] = count > 0 ? count : nil
        }
    }

    private static func index(of values: [String: JSONValue]) -> [Substring: Int] {
        var counts: [Substring: Int] = [:]
        for name in values.keys { forEachPrefix(of: name) { counts[$0, default: 0] += 1 } }
        return counts
    }

    /// "a" and "a.b" for "a.b.c".
    private static func forEachPrefix(of name: String, _ body: (Substring) -> Void) {
        let utf8 = name.utf8
        var index = utf8.startIndex
        while let dot = utf8[index...].firstIndex(of: UInt8(ascii: ".")) {
            body(name[..<dot])
            index = utf8.index(after: dot)
        }
    }

    private static func insert(_ value: JSONValue, at path: ArraySlice<String>, into target: inout JSONValue) {
        guard let first = path.first else {
            if case .object(let existing) = target, case .object(let incoming) = value {
                var merged = incoming
                for (k, v) in existing { merged[k] = v }
                target = .object(merged)
            } else if case .object(let existing) = target, !existing.isEmpty {
                return  // children already inserted win over a less specific scalar
            } else {
                target = value
            }
            return
        }
        guard case .object(var object) = target else {
            var fresh: JSONValue = .object([:])
            insert(value, at: path, into: &fresh)
            target = fresh
            return
        }
        var child = object[first] ?? .object([:])
        if path.count > 1, child.objectValue == nil { child = .object([:]) }
        insert(value, at: path.dropFirst(), into: &child)
        object[first] = child
        target = .object(object)
    }
}
