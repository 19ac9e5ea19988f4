import ArgosyModel

extension JSONValue {
    /// An object with these entries in this order; a repeated key keeps the last value.
    static func object(pairs: [(String, JSONValue)]) -> JSONValue {
        .object(.init(pairs, uniquingKeysWith: { _, last in last }))
    }

    /// Go's "zero value" test as sprig's `empty` uses it: nil, false, 0, "", and empty lists and maps.
    var isEmptyValue: Bool {
        switch self {
        case .null: return true
        case .bool(let b): return !b
        case .int(let i): return i == 0
        case .double(let d): return d == 0
        case .string(let s): return s.isEmpty
        case .array(let a): return a.isEmpty
        case .object(let o): return o.isEmpty
        }
    }
}
