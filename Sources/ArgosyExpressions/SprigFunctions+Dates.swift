import ArgosyModel
import Foundation

extension SprigFunctions {
    /// sprig functions that receive dates and durations as they are; the others get their JSON form.
    static let temporalFunctions: Set<String> = [
        "now", "date", "dateInZone", "date_in_zone", "dateModify", "date_modify", "mustDateModify",
        "must_date_modify", "toDate", "mustToDate", "ago", "unixEpoch", "htmlDate", "htmlDateInZone", "durationRound",
        "toString",
    ]

    /// sprig's date functions. "Local" is UTC in Argosy.
    static func dates(_ name: String, _ c: CallContext) throws(ExpressionError) -> JSONValue? {
        switch name {
        case "now":
            try c.arity(0)
            return Temporal.time(c.now).encoded
        case "date", "dateInZone", "date_in_zone", "htmlDate", "htmlDateInZone":
            let hasLayout = name.hasPrefix("date")
            let inZone = name.hasSuffix("Zone") || name.hasSuffix("zone")
            try c.arity((hasLayout ? 2 : 1) + (inZone ? 1 : 0))
            let layout = hasLayout ? strval(c.args[0]) : "2006-01-02"
            var t = time(c.args[hasLayout ? 1 : 0], c)
            if inZone {
                let zoneName = strval(c.args[c.args.count - 1])
                t = t.shifted(to: TimeZone(identifier: zoneName) ?? TimeZone(identifier: "UTC") ?? .current)
            }
            return .string(GoTimeLayout.format(t, layout))
        case "dateModify", "date_modify", "mustDateModify", "must_date_modify":
            try c.arity(2)
            let modifier = strval(c.args[0])
            let t = time(c.args[1], c)
            guard let d = GoDuration.parse(modifier) else {
                if name.hasPrefix("must") { throw c.error("time: invalid duration \"\(modifier)\"") }
                return Temporal.time(t).encoded
            }
            return Temporal.time(t.adding(nanoseconds: d)).encoded
        case "toDate", "mustToDate":
            try c.arity(2)
            do {
                return Temporal.time(try GoTimeLayout.parse(strval(c.args[1]), strval(c.args[0]))).encoded
            } catch {
                if name == "mustToDate" { throw c.error(error.message) }
                return Temporal.time(GoTime.make(year: 1, month: 1, day: 1)).encoded
            }
        case "ago":
            try c.arity(1)
            let elapsed = c.now.nanoseconds(since: time(c.args[0], c))
            let second = GoDuration.second
            let rounded = (elapsed + (elapsed >= 0 ? second / 2 : -second / 2)) / second * second
            return .string(GoDuration.format(rounded))
        case "unixEpoch":
            try c.arity(1)
            return .string(String(time(c.args[0], c).seconds))
        case "duration":
            try c.arity(1)
            let seconds = toInt64(c.args[0])
            return .string(GoDuration.format(seconds.multipliedReportingOverflow(by: GoDuration.second).partialValue))
        case "durationRound":
            try c.arity(1)
            return .string(durationRound(c.args[0], c))
        default:
            return nil
        }
    }

    /// sprig's date argument: a date, or Unix seconds; Argosy also parses date text (RFC 3339 and expr's other
    /// default layouts), since Argo's variables such as `workflow.creationTimestamp` are text. Anything else is now.
    static func time(_ value: JSONValue, _ c: CallContext) -> GoTime {
        switch Temporal(value) {
        case .time(let t)?: return t
        case .duration?: return c.now
        case nil: break
        }
        switch value {
        case .int(let i): return GoTime(seconds: i, nanos: 0)
        case .string(let s):
            for layout in GoTimeLayout.defaultLayouts {
                if let t = try? GoTimeLayout.parse(s, layout) { return t }
            }
            return c.now
        default: return c.now
        }
    }

    /// The coarsest whole unit of a duration ("2h", "3d", "1y"), given as a duration, its text, or a date (time
    /// since then).
    private static func durationRound(_ value: JSONValue, _ c: CallContext) -> String {
        let nanos: Int
        switch Temporal(value) {
        case .duration(let d)?: nanos = d
        case .time(let t)?: nanos = c.now.nanoseconds(since: t)
        case nil:
            switch value {
            case .string(let s): nanos = GoDuration.parse(s) ?? 0
            case .int(let i): nanos = i
            default: nanos = 0
            }
        }
        let u = nanos.magnitude
        let second: UInt = 1_000_000_000
        let units: [(UInt, String)] = [
            (365 * 24 * 3600 * second, "y"), (30 * 24 * 3600 * second, "mo"), (24 * 3600 * second, "d"),
            (3600 * second, "h"), (60 * second, "m"), (second, "s"),
        ]
        for (size, suffix) in units where u > size { return "\(u / size)\(suffix)" }
        return "0s"
    }
}
