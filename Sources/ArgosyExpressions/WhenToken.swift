/// One token of a `when` condition.
struct WhenToken: Sendable {
    enum Kind: Sendable, Equatable {
        case number(Double)
        /// A quoted string, or a bracketed name `[a b]`.
        case string(String)
        /// A bare word, which govaluate-as-Argo-uses-it treats as a string.
        case word(String)
        case bool(Bool)
        case op(String)
        case open
        case close
        case comma
        case end
    }

    var kind: Kind
    var position: Int
    /// Character offset just past the token.
    var end: Int

    var display: String {
        switch kind {
        case .number(let d): return "'\(GoText.float(d, json: false))'"
        case .string(let s): return "'\(s)'"
        case .word(let s): return "'\(s)'"
        case .bool(let b): return "'\(b)'"
        case .op(let s): return "'\(s)'"
        case .open: return "'('"
        case .close: return "')'"
        case .comma: return "','"
        case .end: return "end of condition"
        }
    }
}
