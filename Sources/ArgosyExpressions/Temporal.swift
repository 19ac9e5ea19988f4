import ArgosyModel

/// A date or a duration travelling through the interpreter.
///
/// ``JSONValue`` has no kind for them, so inside one evaluation they are strings that start with a private-use
/// character (U+E000) followed by `T` (seconds/nanos/offset/zone) or `D` (nanoseconds). Every value that leaves the
/// interpreter, and every argument of a function that does not understand dates, is converted by ``external(_:)``
/// to what Argo's `json.Marshal` would produce: a date becomes its RFC 3339 text, a duration its nanoseconds.
enum Temporal: Equatable {
    case time(GoTime)
    case duration(Int)

    static let marker: Unicode.Scalar = "\u{E000}"

    /// The marked string holding this value.
    var encoded: JSONValue {
        switch self {
        case .time(let t): return .string("\u{E000}T\(t.seconds)/\(t.nanos)/\(t.offset)/\(t.zone)")
        case .duration(let d): return .string("\u{E000}D\(d)")
        }
    }

    /// True when `text` is a marked string (cheap: looks at the first scalar only).
    static func isMarked(_ text: String) -> Bool { text.unicodeScalars.first == marker }

    /// The date or duration a value holds, or nil for any other value.
    init?(_ value: JSONValue) {
        guard case .string(let s) = value, Self.isMarked(s) else { return nil }
        var scalars = s.unicodeScalars.dropFirst()
        let kind = scalars.popFirst()
        let body = String(scalars)
        if kind == "D", let d = Int(body) {
            self = .duration(d)
            return
        }
        let parts = body.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)
        guard kind == "T", parts.count == 4, let sec = Int(parts[0]), let ns = Int(parts[1]), let off = Int(parts[2])
        else { return nil }
        self = .time(GoTime(seconds: sec, nanos: ns, offset: off, zone: String(parts[3])))
    }

    /// A value with every date and duration inside replaced by its JSON form. Unchanged values are not copied.
    static func external(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let s) where isMarked(s):
            switch Temporal(value) {
            case .time(let t)?: return .string(GoTimeLayout.format(t, GoTimeLayout.rfc3339Nano))
            case .duration(let d)?: return .int(d)
            case nil: return value
            }
        case .array(let a) where a.contains(where: containsMarked):
            return .array(a.map(external))
        case .object(let o) where o.values.contains(where: containsMarked):
            return .object(o.mapValues(external))
        default:
            return value
        }
    }

    static func containsMarked(_ value: JSONValue) -> Bool {
        switch value {
        case .string(let s): return isMarked(s)
        case .array(let a): return a.contains(where: containsMarked)
        case .object(let o): return o.values.contains(where: containsMarked)
        default: return false
        }
    }

    /// Go's `fmt.Sprint` of the value: `2024-03-10 12:00:00 +0000 UTC`, `1h30m0s`.
    var goString: String {
        switch self {
        case .time(let t): return GoTimeLayout.format(t, "2006-01-02 15:04:05.999999999 -0700 MST")
        case .duration(let d): return GoDuration.format(d)
        }
    }
}
