/// Go's `time.ParseDuration` and `time.Duration.String`, over nanoseconds held in an `Int`: the grammar of Go's own
/// durations (expressions, sprig, cron's `@every`). Argo's fields take more: see `ArgoDuration` in the engine.
public enum GoDuration {
    public static let second = 1_000_000_000
    static let units: [(String, Double)] = [
        ("ns", 1), ("us", 1e3), ("µs", 1e3), ("μs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9),
    ]

    /// Parses "1h30m", "-1.5s", "300ms", "0". Nil when the text is not a Go duration.
    public static func parse(_ text: String) -> Int? {
        var rest = Substring(text)
        var negative = false
        if let sign = rest.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            rest = rest.dropFirst()
        }
        if rest == "0" { return 0 }
        guard !rest.isEmpty else { return nil }
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, number != ".", number.filter({ $0 == "." }).count <= 1,
                let value = Double(number.hasPrefix(".") ? "0" + number : String(number))
            else { return nil }
            rest = rest.dropFirst(number.count)
            let unitText = rest.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            guard let unit = units.first(where: { $0.0 == unitText }) else { return nil }
            rest = rest.dropFirst(unitText.count)
            total += value * unit.1
        }
        guard total < 9.223372036854775e18 else { return nil }
        let nanos = Int(total.rounded())
        return negative ? -nanos : nanos
    }

    /// Go's `Duration.String`: "1h30m0s", "1.5s", "300ms", "2µs", "0s".
    public static func format(_ d: Int) -> String {
        if d == 0 { return "0s" }
        let sign = d < 0 ? "-" : ""
        let u = d.magnitude
        if u < UInt(second) {
            if u < 1000 { return "\(sign)\(u)ns" }
            if u < 1_000_000 { return sign + fraction(u, 3) + "µs" }
            return sign + fraction(u, 6) + "ms"
        }
        let seconds = fraction(u % (60 * UInt(second)), 9) + "s"
        let wholeMinutes = u / (60 * UInt(second))
        if wholeMinutes == 0 { return sign + seconds }
        let minutes = "\(wholeMinutes % 60)m"
        let hours = wholeMinutes / 60
        return sign + (hours > 0 ? "\(hours)h" : "") + minutes + seconds
    }

    /// `value / 10^digits` with the fraction's trailing zeros removed ("1.5", "2").
    private static func fraction(_ value: UInt, _ digits: Int) -> String {
        var scale: UInt = 1
        for _ in 0..<digits { scale *= 10 }
        var frac = String(value % scale)
        frac = String(repeating: "0", count: digits - frac.count) + frac
        while frac.hasSuffix("0") { frac.removeLast() }
        return "\(value / scale)" + (frac.isEmpty ? "" : "." + frac)
    }
}
