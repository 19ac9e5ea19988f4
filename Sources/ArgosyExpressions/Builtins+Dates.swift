import ArgosyModel
import Foundation

extension Builtins {
    /// Functions that receive dates and durations as they are; every other function gets their JSON form.
    static let temporalFunctions: Set<String> = ["now", "date", "duration", "timezone", "string", "type"]

    /// expr's `now()`, `date(text[, layout[, zone]])`, `duration(text)` and `timezone(name)`.
    static func dates(_ c: CallContext) throws(ExpressionError) -> JSONValue? {
        switch c.name {
        case "now":
            try c.arity(0)
            return Temporal.time(c.now).encoded
        case "date":
            try c.arity(1...3)
            if case .time? = Temporal(c.args[0]) { return c.args[0] }
            let text = try c.string(0)
            let zone = c.args.count == 3 ? try timeZone(c, 2) : nil
            if c.args.count >= 2 {
                let layout = try c.string(1)
                do {
                    return Temporal.time(try GoTimeLayout.parse(text, layout, in: zone)).encoded
                } catch {
                    throw c.error(error.message)
                }
            }
            for layout in GoTimeLayout.defaultLayouts {
                if let t = try? GoTimeLayout.parse(text, layout, in: zone) { return Temporal.time(t).encoded }
            }
            throw c.error("cannot parse \"\(text)\" as a date (try a layout such as '2006-01-02 15:04')")
        case "duration":
            try c.arity(1)
            if case .duration? = Temporal(c.args[0]) { return c.args[0] }
            let text = try c.string(0)
            guard let d = GoDuration.parse(text) else { throw c.error("time: invalid duration \"\(text)\"") }
            return Temporal.duration(d).encoded
        case "timezone":
            try c.arity(1)
            _ = try timeZone(c, 0)
            return c.args[0]
        default:
            return nil
        }
    }

    /// The zone named by argument `index` ("UTC", "Local", "Europe/Berlin").
    static func timeZone(_ c: CallContext, _ index: Int) throws(ExpressionError) -> TimeZone {
        let name = try c.string(index)
        if name == "UTC" || name == "" || name == "Local" { return TimeZone(identifier: "UTC") ?? .current }
        guard let zone = TimeZone(identifier: name) else { throw c.error("unknown time zone \(name)") }
        return zone
    }

    /// A Go method called on a date or a duration: `now().Year()`, `duration('90m').Hours()`.
    static func method(_ receiver: Temporal, _ c: CallContext) throws(ExpressionError) -> JSONValue {
        switch receiver {
        case .time(let t): return try timeMethod(t, c)
        case .duration(let d): return try durationMethod(d, c)
        }
    }

    private static func timeMethod(_ t: GoTime, _ c: CallContext) throws(ExpressionError) -> JSONValue {
        let v = t.civil
        func other(_ i: Int) throws(ExpressionError) -> GoTime {
            guard case .time(let o)? = Temporal(c.args[i]) else { throw c.typeError(i, expected: "a date") }
            return o
        }
        func nanos(_ i: Int) throws(ExpressionError) -> Int {
            switch Temporal(c.args[i]) {
            case .duration(let d)?: return d
            default: return try c.int(i)
            }
        }
        switch c.name {
        case "Year", "Month", "Day", "Hour", "Minute", "Second", "Nanosecond", "Weekday", "YearDay", "Unix",
            "UnixMilli", "UnixMicro", "UnixNano", "IsZero", "String", "UTC", "Local":
            try c.arity(0)
        default: break
        }
        switch c.name {
        case "Year": return .int(v.year)
        case "Month": return .int(v.month)
        case "Day": return .int(v.day)
        case "Hour": return .int(v.hour)
        case "Minute": return .int(v.minute)
        case "Second": return .int(v.second)
        case "Nanosecond": return .int(v.nanosecond)
        case "Weekday": return .int(v.weekday)
        case "YearDay": return .int(v.yearDay)
        case "Unix": return .int(t.seconds)
        case "UnixMilli": return .int(t.seconds &* 1000 &+ t.nanos / 1_000_000)
        case "UnixMicro": return .int(t.seconds &* 1_000_000 &+ t.nanos / 1000)
        case "UnixNano": return .int(t.unixNanos)
        case "IsZero": return .bool(t.seconds == -62_135_596_800 && t.nanos == 0)
        case "String": return .string(Temporal.time(t).goString)
        case "UTC", "Local": return Temporal.time(t.shifted(offset: 0, zone: "UTC")).encoded
        case "In":
            try c.arity(1)
            return Temporal.time(t.shifted(to: try timeZone(c, 0))).encoded
        case "Format":
            try c.arity(1)
            return .string(GoTimeLayout.format(t, try c.string(0)))
        case "Add":
            try c.arity(1)
            return Temporal.time(t.adding(nanoseconds: try nanos(0))).encoded
        case "AddDate":
            try c.arity(3)
            let moved = GoTime.make(
                year: v.year + (try c.int(0)), month: v.month + (try c.int(1)), day: v.day + (try c.int(2)),
                hour: v.hour, minute: v.minute, second: v.second, nanos: v.nanosecond, offset: t.offset, zone: t.zone)
            return Temporal.time(moved).encoded
        case "Sub":
            try c.arity(1)
            return Temporal.duration(t.nanoseconds(since: try other(0))).encoded
        case "Before", "After", "Equal":
            try c.arity(1)
            let o = try other(0)
            return .bool(
                c.name == "Before" ? t < o : c.name == "After" ? o < t : o == t.shifted(offset: o.offset, zone: o.zone))
        case "Truncate", "Round":
            try c.arity(1)
            let step = try nanos(0)
            guard step > 0 else { return Temporal.time(t).encoded }
            let n = t.unixNanos
            var cut = n - CivilCalendar.floorMod(n, step)
            if c.name == "Round", n - cut >= step - (n - cut) { cut += step }
            return Temporal.time(
                GoTime(seconds: 0, nanos: 0).adding(nanoseconds: cut).shifted(offset: t.offset, zone: t.zone)
            )
            .encoded
        default:
            throw c.error("unknown method \(c.name) of a date", code: .unknownName)
        }
    }

    private static func durationMethod(_ d: Int, _ c: CallContext) throws(ExpressionError) -> JSONValue {
        switch c.name {
        case "Hours", "Minutes", "Seconds", "Milliseconds", "Microseconds", "Nanoseconds", "String", "Abs":
            try c.arity(0)
        default: try c.arity(1)
        }
        switch c.name {
        case "Hours": return .double(Double(d) / 3600e9)
        case "Minutes": return .double(Double(d) / 60e9)
        case "Seconds": return .double(Double(d) / 1e9)
        case "Milliseconds": return .int(d / 1_000_000)
        case "Microseconds": return .int(d / 1000)
        case "Nanoseconds": return .int(d)
        case "String": return .string(GoDuration.format(d))
        case "Abs": return Temporal.duration(d == Int.min ? Int.max : abs(d)).encoded
        case "Truncate", "Round":
            let step: Int
            if case .duration(let s)? = Temporal(c.args[0]) { step = s } else { step = try c.int(0) }
            guard step > 0 else { return Temporal.duration(d).encoded }
            var cut = d - d % step
            if c.name == "Round", abs(d - cut) * 2 >= step { cut += d < 0 ? -step : step }
            return Temporal.duration(cut).encoded
        default:
            throw c.error("unknown method \(c.name) of a duration", code: .unknownName)
        }
    }
}
