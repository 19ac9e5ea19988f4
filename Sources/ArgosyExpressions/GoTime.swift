import ArgosyModel
import Foundation

/// An instant with nanosecond precision and the zone it is shown in, like Go's `time.Time`.
///
/// Expressions hold dates and durations inside ``JSONValue`` as marked strings (see ``Temporal``); this type does
/// the calendar arithmetic. Civil dates use the proleptic Gregorian calendar.
struct GoTime: Sendable, Equatable {
    /// Seconds since 1970-01-01T00:00:00Z.
    var seconds: Int
    /// 0 ..< 1_000_000_000.
    var nanos: Int
    /// The zone's offset from UTC at this instant, in seconds.
    var offset: Int = 0
    /// The zone's abbreviation ("UTC", "CET") or, for a bare offset, its text ("+0200").
    var zone: String = "UTC"

    /// The broken-down local time.
    struct Civil {
        var year: Int
        var month: Int
        var day: Int
        var hour: Int
        var minute: Int
        var second: Int
        var nanosecond: Int
        var weekday: Int  // 0 = Sunday
        var yearDay: Int  // 1 ... 366
    }

    init(seconds: Int, nanos: Int, offset: Int = 0, zone: String = "UTC") {
        let carry = nanos >= 0 ? nanos / 1_000_000_000 : (nanos - 999_999_999) / 1_000_000_000
        self.seconds = seconds + carry
        self.nanos = nanos - carry * 1_000_000_000
        self.offset = offset
        self.zone = zone
    }

    /// The instant `date` (to the microsecond), in UTC.
    init(_ date: Date) {
        let micros = Int(saturating: (date.timeIntervalSince1970 * 1_000_000).rounded())
        self.init(
            seconds: CivilCalendar.floorDiv(micros, 1_000_000), nanos: CivilCalendar.floorMod(micros, 1_000_000) * 1000)
    }

    /// Nanoseconds since the epoch (saturating far from it).
    var unixNanos: Int { seconds.multipliedReportingOverflow(by: 1_000_000_000).partialValue &+ nanos }

    var civil: Civil {
        let local = seconds + offset
        let days = CivilCalendar.floorDiv(local, 86_400)
        let secondOfDay = local - days * 86_400
        let (y, m, d) = CivilCalendar.civil(fromDays: days)
        let yearDay = days - CivilCalendar.days(year: y, month: 1, day: 1) + 1
        return Civil(
            year: y, month: m, day: d, hour: secondOfDay / 3600, minute: secondOfDay / 60 % 60,
            second: secondOfDay % 60,
            nanosecond: nanos, weekday: CivilCalendar.floorMod(days + 4, 7), yearDay: yearDay)
    }

    /// The same instant shown in another zone.
    func shifted(offset: Int, zone: String) -> GoTime {
        GoTime(seconds: seconds, nanos: nanos, offset: offset, zone: zone)
    }

    /// The same instant shown in `timeZone` (offset and abbreviation in force at that instant).
    func shifted(to timeZone: TimeZone) -> GoTime {
        let date = Date(timeIntervalSince1970: TimeInterval(seconds))
        return shifted(
            offset: timeZone.secondsFromGMT(for: date), zone: Self.abbreviation(timeZone, at: date))
    }

    func adding(nanoseconds: Int) -> GoTime {
        GoTime(
            seconds: seconds + nanoseconds / 1_000_000_000, nanos: nanos + nanoseconds % 1_000_000_000, offset: offset,
            zone: zone)
    }

    /// Nanoseconds from `other` to `self` (saturating, like Go's `Sub`).
    func nanoseconds(since other: GoTime) -> Int {
        let (s, overflow) = (seconds - other.seconds).multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds > other.seconds ? Int.max : Int.min }
        return s.addingReportingOverflow(nanos - other.nanos).partialValue
    }

    static func < (a: GoTime, b: GoTime) -> Bool { (a.seconds, a.nanos) < (b.seconds, b.nanos) }

    /// The instant at a local civil time with a known offset. Months and days out of range carry over, as in Go.
    static func make(
        year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0, nanos: Int = 0,
        offset: Int = 0, zone: String = "UTC"
    ) -> GoTime {
        let m0 = month - 1
        let y = year + CivilCalendar.floorDiv(m0, 12)
        let m = CivilCalendar.floorMod(m0, 12) + 1
        let days = CivilCalendar.days(year: y, month: m, day: 1) + day - 1
        let local = days * 86_400 + hour * 3600 + minute * 60 + second
        return GoTime(seconds: local - offset, nanos: nanos, offset: offset, zone: zone)
    }

    /// The instant at a local civil time in `timeZone`.
    static func make(
        year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, nanos: Int, in timeZone: TimeZone
    ) -> GoTime {
        let asUTC = make(year: year, month: month, day: day, hour: hour, minute: minute, second: second, nanos: nanos)
        let guess = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(asUTC.seconds)))
        let offset = timeZone.secondsFromGMT(
            for: Date(timeIntervalSince1970: TimeInterval(asUTC.seconds - guess)))
        return GoTime(seconds: asUTC.seconds - offset, nanos: asUTC.nanos).shifted(to: timeZone)
    }

    static func abbreviation(_ timeZone: TimeZone, at date: Date) -> String {
        if timeZone.identifier == "UTC" || timeZone.identifier == "GMT" { return timeZone.identifier }
        return timeZone.abbreviation(for: date) ?? timeZone.identifier
    }

    static let monthNames = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
        "December",
    ]
    static let weekdayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
}
