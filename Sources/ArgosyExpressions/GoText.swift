import ArgosyModel

/// Text forms of values as Go prints them, so results match what Argo's Go code produces:
/// `json.Marshal` (keys sorted, `<>&` escaped, Go's float notation) and `fmt.Sprint` (`%v`).
enum GoText {
    /// JSON text as Go's `json.Marshal` (or `json.MarshalIndent(v, "", "  ")` when `pretty`) writes it.
    static func json(_ value: JSONValue, pretty: Bool = false) -> String {
        var out = ""
        writeJSON(value, to: &out, pretty: pretty, indent: 0)
        return out
    }

    /// The value as `fmt.Sprintf("%v", v)` formats it: strings raw, nil as `<nil>`, lists as `[a b]`,
    /// objects as `map[k:v]` with sorted keys.
    static func plain(_ value: JSONValue) -> String {
        switch value {
        case .null: return "<nil>"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return float(d, json: false)
        case .string(let s): return s
        case .array(let a): return "[" + a.map(plain).joined(separator: " ") + "]"
        case .object(let o):
            let parts = o.keys.sorted().map { "\($0):\(plain(o[$0] ?? .null))" }
            return "map[" + parts.joined(separator: " ") + "]"
        }
    }

    /// A float in Go's shortest notation: `json` uses encoding/json's rule (exponent below 1e-6 or from 1e21),
    /// otherwise `%v`'s (`%g` with precision 6: exponent below 1e-4 or from 1e6).
    static func float(_ d: Double, json: Bool) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Inf" : "+Inf" }
        if d == 0 { return d.sign == .minus ? "-0" : "0" }
        let (digits, point) = decimalDigits(abs(d))
        let sign = d < 0 ? "-" : ""
        let exponent = point - 1
        let useExponent = json ? (abs(d) < 1e-6 || abs(d) >= 1e21) : (exponent < -4 || exponent >= 6)
        if useExponent {
            var mantissa = String(digits.first ?? "0")
            if digits.count > 1 { mantissa += "." + String(digits.dropFirst()) }
            let expSign = exponent < 0 ? "-" : "+"
            var expDigits = String(abs(exponent))
            if expDigits.count < 2 && !(json && exponent < 0) { expDigits = "0" + expDigits }
            return sign + mantissa + "e" + expSign + expDigits
        }
        let text: String
        if point <= 0 {
            text = "0." + String(repeating: "0", count: -point) + String(digits)
        } else if point >= digits.count {
            text = String(digits) + String(repeating: "0", count: point - digits.count)
        } else {
            text = String(digits.prefix(point)) + "." + String(digits.dropFirst(point))
        }
        return sign + text
    }

    /// The shortest round-tripping decimal digits of a positive finite `d`, and where the decimal point goes:
    /// `d == 0.<digits> × 10^point`.
    static func decimalDigits(_ d: Double) -> (digits: [Character], point: Int) {
        let text = "\(d)"
        let parts = text.split(separator: "e", maxSplits: 1)
        let mantissa = parts.first ?? "0"
        let exp = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        let pieces = mantissa.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = pieces.first.map(String.init) ?? ""
        let fraction = pieces.count > 1 ? String(pieces[1]) : ""
        var digits = Array(whole + fraction)
        var point = whole.count + exp
        while digits.first == "0" {
            digits.removeFirst()
            point -= 1
        }
        while digits.last == "0" { digits.removeLast() }
        if digits.isEmpty { return (["0"], 1) }
        return (digits, point)
    }

    private static func writeJSON(_ value: JSONValue, to out: inout String, pretty: Bool, indent: Int) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += d.isFinite ? float(d, json: true) : "null"
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
                writeJSON(v, to: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { out += "\n" + String(repeating: "  ", count: indent) }
            out += "]"
        case .object(let o):
            if o.isEmpty {
                out += "{}"
                return
            }
            out += "{"
            for (i, key) in o.keys.sorted().enumerated() {
                if i > 0 { out += "," }
                if pretty { out += "\n" + String(repeating: "  ", count: indent + 1) }
                JSONValue.writeQuoted(key, to: &out)
                out += pretty ? ": " : ":"
                writeJSON(o[key] ?? .null, to: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { out += "\n" + String(repeating: "  ", count: indent) }
            out += "}"
        }
    }
}
