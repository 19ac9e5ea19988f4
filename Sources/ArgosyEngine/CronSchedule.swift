import ArgosyModel
import Foundation

/// A parsed cron schedule, as a CronWorkflow's `schedule`/`schedules` entries are read by Argo (robfig/cron v3,
/// standard parser).
///
/// Syntax: five fields `minute hour day-of-month month day-of-week`; each field a list `a,b` of `*`, `?`, a value,
/// a range `a-b`, or a step `*/n`, `a-b/n`, `a/n` (`a/n` means `a-max/n`). Months take `JAN`-`DEC` and weekdays
/// `SUN`-`SAT`, case-insensitive; Sunday is 0. Macros: `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`,
/// `@midnight`, `@hourly` and `@every <Go duration>`. A `CRON_TZ=Zone ` or `TZ=Zone ` prefix picks the time zone.
///
/// Rules kept from robfig/cron so that what Argo accepts and when it fires is what Argosy does:
/// - When both day-of-month and day-of-week are restricted (neither is written `*` or `?`), a day matches if either
///   does; `*/2` counts as restricted. Otherwise both must match.
/// - No sixth (seconds) field, no `L`/`W`/`#`, no day-of-week `7`, macros are lower-case only.
/// - A range must not run backwards: `5-1` is rejected (robfig rejects it too, so Argo would refuse the manifest);
///   write `5-59,0-1` instead.
/// - No activation within five years of the instant asked about (for example `0 0 30 2 *`) gives nil.
///
/// Where Argosy is stricter or chooses differently, for a clearer failure: empty list items (`1,,2`), a range that
/// starts with `*` (`*-5`) and `@every` with a zero or negative duration are errors; leading and trailing blanks are
/// ignored; with no zone the schedule is in UTC (Argo uses the controller's zone); a prefix in the expression wins
/// over the `timezone` field (Argo would prepend a second prefix and reject the result).
///
/// Daylight saving, as robfig/cron computes it (and Argo's docs show): fields are matched against wall-clock time in
/// the zone, while time moves forward over real instants. Wall times in a spring-forward gap never happen, so
/// `30 2 * * *` does not run on that day (and `30 * * * *` goes from 01:30 to 03:30). Wall times in an autumn
/// overlap happen twice, and a schedule that matches them runs at both: `30 1 * * *` in New York runs at 01:30 EDT
/// and again at 01:30 EST. `@every` is relative: it fires every interval after the instant asked about, whatever
/// the zone.
public struct CronSchedule: Sendable, Hashable, CustomStringConvertible {
    /// The expression as written (without surrounding blanks).
    public let expression: String
    /// The zone the fields are matched in: the `CRON_TZ=` prefix, else the `timezone` given, else UTC.
    public let timeZone: TimeZone
    let rule: Rule
    let zonePrefixed: Bool

    enum Rule: Sendable, Hashable {
        case fields(Fields)
        /// Fires `seconds` after the instant asked about (whole seconds, at least one).
        case every(seconds: Int64)
    }

    /// Bit sets of matching values; bit 63 records that the field was written `*` or `?` (the day rule needs it).
    struct Fields: Sendable, Hashable {
        var minute: UInt64
        var hour: UInt64
        var dayOfMonth: UInt64
        var month: UInt64
        var dayOfWeek: UInt64

        static let star: UInt64 = 1 << 63
    }

    /// Parses a schedule; `timeZone` is the CronWorkflow's `timezone` (IANA name, default UTC); a
    /// `CRON_TZ=`/`TZ=` prefix in the expression wins. Throws CronError with the position and what was expected.
    ///
    /// Positions are 1-based columns in `expression`; 0 means the `timeZone` argument.
    public init(_ expression: String, timeZone: String? = nil) throws(CronError) {
        let parser = CronParser(expression)
        let parsed = try parser.parse(timeZone: timeZone)
        self.expression = parser.trimmed
        self.timeZone = parsed.zone
        self.rule = parsed.rule
        self.zonePrefixed = parsed.prefixed
    }

    /// The expression with its zone made explicit (`CRON_TZ=Zone …` unless UTC came by default); parsing it again
    /// gives the same activations.
    public var description: String {
        if zonePrefixed || timeZone.identifier == "GMT" { return expression }
        return "CRON_TZ=\(timeZone.identifier) \(expression)"
    }

    /// The first activation strictly after `date`, or nil when there is none within five years.
    public func next(after date: Date) -> Date? {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        // About ±300,000 years: far beyond any calendar question, and safe from Int64 overflow below.
        guard seconds.isFinite, abs(seconds) < 1e13 else { return nil }
        let start = Int64(seconds)
        let found: Int64?
        switch rule {
        case .every(let interval): found = start + interval
        case .fields(let fields): found = fields.next(after: start, in: timeZone)
        }
        return found.map { Date(timeIntervalSince1970: Double($0)) }
    }

    /// Every activation in the half-open interval (from, to], oldest first, at most `limit`.
    public func activations(after from: Date, through to: Date, limit: Int) -> [Date] {
        var result: [Date] = []
        var cursor = from
        while result.count < limit, let date = next(after: cursor), date <= to {
            result.append(date)
            cursor = date
        }
        return result
    }
}

/// Why a cron expression was rejected: safe to show to the user who wrote it.
public struct CronError: Error, Sendable, CustomStringConvertible {
    /// The expression as given.
    public var expression: String
    /// 1-based column in `expression` where the problem starts; 0 when it is the `timezone` argument.
    public var position: Int
    /// What was wrong and what was expected.
    public var message: String

    /// Creates an error for `expression` at a 1-based column.
    public init(expression: String, position: Int, message: String) {
        self.expression = expression
        self.position = position
        self.message = message
    }

    /// The message with the expression and, when it points into the expression, the column.
    public var description: String {
        position > 0
            ? "invalid cron schedule \"\(expression)\" at column \(position): \(message)"
            : "invalid cron schedule \"\(expression)\": \(message)"
    }
}

/// Reads one expression; every failure names the column where it starts.
private struct CronParser {
    struct Parsed {
        var zone: TimeZone
        var rule: CronSchedule.Rule
        var prefixed: Bool
    }

    /// The values one field accepts.
    struct Bounds {
        var name: String
        var min: Int
        var max: Int
        var names: [String: Int] = [:]
        var expected: String
        var hint = ""
    }

    static let minute = Bounds(name: "minute", min: 0, max: 59, expected: "a minute 0-59")
    static let hour = Bounds(name: "hour", min: 0, max: 23, expected: "an hour 0-23")
    static let dayOfMonth = Bounds(name: "day-of-month", min: 1, max: 31, expected: "a day of the month 1-31")
    static let month = Bounds(
        name: "month", min: 1, max: 12,
        names: [
            "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
            "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
        ],
        expected: "a month 1-12 or JAN-DEC")
    static let dayOfWeek = Bounds(
        name: "day-of-week", min: 0, max: 6,
        names: ["sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6],
        expected: "a day of the week 0-6 or SUN-SAT", hint: " (Sunday is 0)")

    static let fieldList = "minute hour day-of-month month day-of-week"
    static let macros =
        "@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or @every <duration>"

    let original: String
    let chars: [Character]
    let lo: Int
    let hi: Int

    init(_ expression: String) {
        original = expression
        chars = Array(expression)
        let first = chars.firstIndex { !$0.isWhitespace } ?? chars.count
        lo = first
        hi = Swift.max(first, (chars.lastIndex { !$0.isWhitespace } ?? -1) + 1)
    }

    var trimmed: String { String(chars[lo..<hi]) }

    func fail(_ index: Int, _ message: String) -> CronError {
        CronError(expression: original, position: index + 1, message: message)
    }

    func skipBlanks(from index: Int) -> Int {
        var i = index
        while i < hi && chars[i].isWhitespace { i += 1 }
        return i
    }

    func wordEnd(from index: Int) -> Int {
        var i = index
        while i < hi && !chars[i].isWhitespace { i += 1 }
        return i
    }

    func hasPrefix(_ prefix: String, at index: Int) -> Bool {
        let p = Array(prefix)
        return index + p.count <= hi && Array(chars[index..<index + p.count]) == p
    }

    func parse(timeZone: String?) throws(CronError) -> Parsed {
        guard lo < hi else {
            throw fail(lo, "expected a schedule such as \"0 * * * *\" or \"@daily\", found nothing")
        }
        var start = lo
        var zone = TimeZone.gmt
        var prefixed = false
        if let prefix = ["CRON_TZ=", "TZ="].first(where: { hasPrefix($0, at: lo) }) {
            let nameStart = lo + prefix.count
            let nameEnd = wordEnd(from: nameStart)
            let name = String(chars[nameStart..<nameEnd])
            guard !name.isEmpty else {
                throw fail(nameStart, "expected a time zone name such as America/New_York after \(prefix)")
            }
            guard let named = Self.zone(named: name) else {
                throw fail(nameStart, "unknown time zone \"\(name)\"; expected an IANA name such as Europe/Berlin")
            }
            zone = named
            prefixed = true
            start = skipBlanks(from: nameEnd)
            guard start < hi else { throw fail(start, "expected a schedule after the time zone \(name)") }
        } else if let name = timeZone, !name.isEmpty {
            guard let named = Self.zone(named: name) else {
                throw CronError(
                    expression: original, position: 0,
                    message: "unknown time zone \"\(name)\" in timezone; expected an IANA name such as Europe/Berlin")
            }
            zone = named
        }
        let rule: CronSchedule.Rule = chars[start] == "@" ? try macro(from: start) : .fields(try fields(from: start))
        return Parsed(zone: zone, rule: rule, prefixed: prefixed)
    }

    /// An IANA zone as Go's `time.LoadLocation` knows it; Foundation's own forms such as `GMT+5` are refused.
    static func zone(named name: String) -> TimeZone? {
        if ["UTC", "GMT+0", "GMT-0"].contains(name) { return TimeZone.gmt }
        guard let zone = TimeZone(identifier: name), zone.identifier == name else { return nil }
        return zone
    }

    static func bits(_ low: Int, _ high: Int, step: Int = 1) -> UInt64 {
        var bits: UInt64 = 0
        for value in stride(from: low, through: high, by: step) { bits |= 1 << UInt64(value) }
        return bits
    }

    func macro(from start: Int) throws(CronError) -> CronSchedule.Rule {
        let end = wordEnd(from: start)
        let word = String(chars[start..<end])
        let all = CronSchedule.Fields.star
        let everyDay = Self.bits(1, 31) | all
        let everyMonth = Self.bits(1, 12) | all
        let everyWeekday = Self.bits(0, 6) | all
        let fields: CronSchedule.Fields
        switch word {
        case "@yearly", "@annually":
            fields = .init(minute: 1, hour: 1, dayOfMonth: 1 << 1, month: 1 << 1, dayOfWeek: everyWeekday)
        case "@monthly":
            fields = .init(minute: 1, hour: 1, dayOfMonth: 1 << 1, month: everyMonth, dayOfWeek: everyWeekday)
        case "@weekly":
            fields = .init(minute: 1, hour: 1, dayOfMonth: everyDay, month: everyMonth, dayOfWeek: 1)
        case "@daily", "@midnight":
            fields = .init(minute: 1, hour: 1, dayOfMonth: everyDay, month: everyMonth, dayOfWeek: everyWeekday)
        case "@hourly":
            fields = .init(
                minute: 1, hour: Self.bits(0, 23) | all, dayOfMonth: everyDay, month: everyMonth,
                dayOfWeek: everyWeekday)
        case "@every":
            let durationStart = skipBlanks(from: end)
            guard durationStart < hi else {
                throw fail(durationStart, "expected a duration such as 1h30m after @every")
            }
            let text = String(chars[durationStart..<hi])
            guard let nanoseconds = GoDuration.parse(text).map(Int64.init) else {
                throw fail(
                    durationStart, "expected a duration such as 90s, 15m or 1h30m after @every, found \"\(text)\"")
            }
            guard nanoseconds > 0 else {
                throw fail(durationStart, "@every needs a positive duration, found \"\(text)\"")
            }
            // Like robfig/cron: whole seconds, at least one.
            return .every(seconds: Swift.max(1, nanoseconds / 1_000_000_000))
        default:
            throw fail(start, "unknown macro \"\(word)\"; expected \(Self.macros)")
        }
        let rest = skipBlanks(from: end)
        guard rest == hi else { throw fail(rest, "unexpected text after \(word)") }
        return .fields(fields)
    }

    func fields(from start: Int) throws(CronError) -> CronSchedule.Fields {
        var spans: [Range<Int>] = []
        var i = start
        while i < hi {
            let end = wordEnd(from: i)
            spans.append(i..<end)
            i = skipBlanks(from: end)
        }
        guard spans.count == 5 else {
            let expected = "expected exactly 5 fields (\(Self.fieldList)), found \(spans.count)"
            if spans.count > 5 { throw fail(spans[5].lowerBound, expected + "; Argo schedules have no seconds field") }
            throw fail(hi, expected)
        }
        return CronSchedule.Fields(
            minute: try field(spans[0], Self.minute),
            hour: try field(spans[1], Self.hour),
            dayOfMonth: try field(spans[2], Self.dayOfMonth),
            month: try field(spans[3], Self.month),
            dayOfWeek: try field(spans[4], Self.dayOfWeek))
    }

    /// A comma-separated list.
    func field(_ span: Range<Int>, _ bounds: Bounds) throws(CronError) -> UInt64 {
        var bits: UInt64 = 0
        var itemStart = span.lowerBound
        while true {
            var itemEnd = itemStart
            while itemEnd < span.upperBound && chars[itemEnd] != "," { itemEnd += 1 }
            guard itemEnd > itemStart else { throw fail(itemStart, "empty item in the \(bounds.name) list") }
            bits |= try item(itemStart..<itemEnd, bounds)
            if itemEnd == span.upperBound { return bits }
            itemStart = itemEnd + 1
        }
    }

    /// `*`, `?`, `a`, `a-b`, each optionally followed by `/step`.
    func item(_ span: Range<Int>, _ bounds: Bounds) throws(CronError) -> UInt64 {
        let slash = span.first { chars[$0] == "/" }
        let rangePart = span.lowerBound..<(slash ?? span.upperBound)
        if let slash, let second = (slash + 1..<span.upperBound).first(where: { chars[$0] == "/" }) {
            throw fail(second, "only one '/' is allowed in a \(bounds.name) item")
        }
        guard !rangePart.isEmpty else { throw fail(span.lowerBound, "expected \(bounds.expected) before '/'") }
        var low: Int
        var high: Int
        var star = false
        var isRange = false
        let first = chars[rangePart.lowerBound]
        if first == "*" || first == "?" {
            guard rangePart.count == 1 else {
                throw fail(rangePart.lowerBound + 1, "'\(first)' stands alone; write a range as a-b")
            }
            (low, high, star) = (bounds.min, bounds.max, true)
        } else if let dash = rangePart.first(where: { chars[$0] == "-" }) {
            if let second = (dash + 1..<rangePart.upperBound).first(where: { chars[$0] == "-" }) {
                throw fail(second, "only one '-' is allowed in a \(bounds.name) range")
            }
            low = try value(rangePart.lowerBound..<dash, bounds)
            high = try value(dash + 1..<rangePart.upperBound, bounds)
            isRange = true
        } else {
            low = try value(rangePart, bounds)
            high = low
        }
        var step = 1
        if let slash {
            let stepStart = slash + 1
            let text = String(chars[stepStart..<span.upperBound])
            guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }), let parsed = Int(text) else {
                throw fail(stepStart, "expected a step number after '/', found \"\(text)\"")
            }
            guard parsed >= 1 else { throw fail(stepStart, "step must be at least 1, found \(text)") }
            step = parsed
            // `a/n` means a through the field's maximum, every n.
            if !star && !isRange { high = bounds.max }
            if step > 1 { star = false }
        }
        guard low <= high else {
            throw fail(
                span.lowerBound,
                "range \(low)-\(high) runs backwards; ranges do not wrap around (write \(low)-\(bounds.max),\(bounds.min)-\(high))"
            )
        }
        return Self.bits(low, high, step: step) | (star ? CronSchedule.Fields.star : 0)
    }

    func value(_ span: Range<Int>, _ bounds: Bounds) throws(CronError) -> Int {
        let text = String(chars[span])
        guard !text.isEmpty else { throw fail(span.lowerBound, "expected \(bounds.expected)") }
        if let named = bounds.names[text.lowercased()] { return named }
        guard text.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(text) else {
            throw fail(span.lowerBound, "expected \(bounds.expected), found \"\(text)\"")
        }
        guard number >= bounds.min && number <= bounds.max else {
            throw fail(
                span.lowerBound, "\(bounds.name) \(text) is out of range \(bounds.min)-\(bounds.max)\(bounds.hint)")
        }
        return number
    }
}
