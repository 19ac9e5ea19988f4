import Foundation

/// Durations as Argo's fields take them: Go's `1h30m`, `10s`, `500ms`, days (`1d`), or a bare number of seconds.
public enum ArgoDuration {
    /// The longest duration Go's `time.Duration` holds (about 292 years), in seconds: Argo cannot represent a
    /// longer one, and every date computed from a duration stays far inside what timestamps can hold.
    public static let maxSeconds = Double(Int64.max) / 1e9

    /// Seconds in `text`, or nil when it is not a duration (or one longer than ``maxSeconds`` either way).
    public static func seconds(_ text: String) -> Double? {
        guard let total = parse(text), total.isFinite, abs(total) <= maxSeconds else { return nil }
        return total
    }

    private static func parse(_ text: String) -> Double? {
        let s = text.trimmingCharacters(in: .whitespaces)
        if s.isEmpty { return nil }
        if let plain = Double(s) { return plain }
        var total = 0.0
        var rest = Substring(s)
        var negative = false
        if rest.hasPrefix("-") {
            negative = true
            rest = rest.dropFirst()
        }
        while !rest.isEmpty {
            let numberEnd = rest.firstIndex { !($0.isNumber || $0 == ".") } ?? rest.endIndex
            guard numberEnd != rest.startIndex, let value = Double(rest[rest.startIndex..<numberEnd]) else {
                return nil
            }
            rest = rest[numberEnd...]
            let unitEnd = rest.firstIndex { $0.isNumber || $0 == "." } ?? rest.endIndex
            let unit = rest[rest.startIndex..<unitEnd]
            rest = rest[unitEnd...]
            switch unit {
            case "ns": total += value / 1e9
            case "us", "µs": total += value / 1e6
            case "ms": total += value / 1e3
            case "s": total += value
            case "m": total += value * 60
            case "h": total += value * 3600
            case "d": total += value * 86400
            default: return nil
            }
        }
        return negative ? -total : total
    }

    /// Argo's short human form: `5s`, `1m 3s`, `2h 0m`.
    public static func humanize(_ seconds: Double) -> String {
        let s = Int(saturating: seconds)
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m \(s % 60)s" }
        return "\(s / 3600)h \((s % 3600) / 60)m"
    }
}
