import ArgosyEngine
import Foundation
import Testing

/// An instant written as `2021-06-15T10:20:30Z` (fractions allowed).
private func instant(_ text: String) -> Date {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions =
        text.contains(".") ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
    guard let date = formatter.date(from: text) else {
        Issue.record("bad instant in test table: \(text)")
        return .distantPast
    }
    return date
}

/// One row: the schedule (and the CronWorkflow `timezone`), the instant asked about, the activation expected.
struct CronNextCase: Sendable, CustomTestStringConvertible {
    var expression: String
    var timeZone: String?
    var after: String
    var expected: String?

    init(_ expression: String, tz timeZone: String? = nil, after: String = "2021-06-15T10:20:30Z", _ expected: String?)
    {
        self.expression = expression
        self.timeZone = timeZone
        self.after = after
        self.expected = expected
    }

    var testDescription: String { "\(expression) [\(timeZone ?? "UTC")] after \(after)" }
}

/// One rejected expression: where the error points and a fragment of what it says.
struct CronInvalidCase: Sendable, CustomTestStringConvertible {
    var expression: String
    var timeZone: String?
    var position: Int
    var fragment: String

    init(_ expression: String, tz timeZone: String? = nil, at position: Int, _ fragment: String) {
        self.expression = expression
        self.timeZone = timeZone
        self.position = position
        self.fragment = fragment
    }

    var testDescription: String { "\"\(expression)\"" }
}

@Suite("Cron schedules")
struct CronScheduleTests {
    // 2021-06-15T10:20:30Z, the default instant, is a Tuesday.
    static let macros: [CronNextCase] = [
        .init("@yearly", "2022-01-01T00:00:00Z"),
        .init("@annually", "2022-01-01T00:00:00Z"),
        .init("@monthly", "2021-07-01T00:00:00Z"),
        .init("@weekly", "2021-06-20T00:00:00Z"),
        .init("@daily", "2021-06-16T00:00:00Z"),
        .init("@midnight", "2021-06-16T00:00:00Z"),
        .init("@hourly", "2021-06-15T11:00:00Z"),
        .init("@every 1h30m", "2021-06-15T11:50:30Z"),
        .init("@every 90s", "2021-06-15T10:22:00Z"),
        .init("@every 1.5h", "2021-06-15T11:50:30Z"),
        .init("@every 500ms", "2021-06-15T10:20:31Z"),
        .init("@every 1h", after: "2021-06-15T10:20:30.750Z", "2021-06-15T11:20:30Z"),
        // Relative, whatever the zone: across New York's autumn overlap it is still one real hour.
        .init("@every 1h", tz: "America/New_York", after: "2021-11-07T05:30:00Z", "2021-11-07T06:30:00Z"),
        .init("CRON_TZ=Europe/Berlin @every 24h", "2021-06-16T10:20:30Z"),
    ]

    static let fields: [CronNextCase] = [
        .init("* * * * *", "2021-06-15T10:21:00Z"),
        .init("* * * * *", after: "2021-06-15T10:21:00Z", "2021-06-15T10:22:00Z"),
        .init("* * * * *", after: "2021-06-15T10:20:59.500Z", "2021-06-15T10:21:00Z"),
        .init("*/15 * * * *", "2021-06-15T10:30:00Z"),
        .init("5,35 * * * *", "2021-06-15T10:35:00Z"),
        .init("10-20/5 * * * *", "2021-06-15T11:10:00Z"),
        .init("10/20 * * * *", "2021-06-15T10:30:00Z"),
        .init("50/20 * * * *", "2021-06-15T10:50:00Z"),
        .init("0 9-17 * * MON-FRI", "2021-06-15T11:00:00Z"),
        .init("0 9-17 * * MON-FRI", after: "2021-06-18T17:30:00Z", "2021-06-21T09:00:00Z"),
        .init("0 9 * * mon-fri", after: "2021-06-18T09:00:00Z", "2021-06-21T09:00:00Z"),
        .init("0 9 * * Sat,SUN", "2021-06-19T09:00:00Z"),
        .init("0 0 * * 0", "2021-06-20T00:00:00Z"),
        .init("0 0 * JAN,jul *", "2021-07-01T00:00:00Z"),
        .init("0 0 1 feb-apr/2 *", "2022-02-01T00:00:00Z"),
        .init("0 0 1 */3 *", "2021-07-01T00:00:00Z"),
        .init("0 12 * DEC *", "2021-12-01T12:00:00Z"),
        .init("59 23 31 12 *", "2021-12-31T23:59:00Z"),
        .init("0 0 1 1 *", after: "2021-12-31T23:59:59Z", "2022-01-01T00:00:00Z"),
        .init("0,30 */6 * * *", "2021-06-15T12:00:00Z"),
    ]

    /// Both day fields restricted: either may match. One written `*`, `?` or `*/1`: both must.
    static let dayRule: [CronNextCase] = [
        .init("0 0 13 * FRI", "2021-06-18T00:00:00Z"),
        .init("0 0 13 * 5", after: "2021-06-18T00:00:00Z", "2021-06-25T00:00:00Z"),
        .init("0 0 13 * FRI", after: "2021-07-10T00:00:00Z", "2021-07-13T00:00:00Z"),
        .init("0 0 */2 * MON", "2021-06-17T00:00:00Z"),
        .init("0 0 1-31 * MON", "2021-06-16T00:00:00Z"),
        .init("0 0 * * MON", "2021-06-21T00:00:00Z"),
        .init("0 0 ? * MON", "2021-06-21T00:00:00Z"),
        .init("0 0 */1 * MON", "2021-06-21T00:00:00Z"),
        .init("0 0 29 2 1", "2022-02-07T00:00:00Z"),
    ]

    static let calendar: [CronNextCase] = [
        .init("0 0 29 2 *", after: "2021-03-01T00:00:00Z", "2024-02-29T00:00:00Z"),
        .init("0 0 29 2 *", after: "2024-02-29T00:00:00Z", "2028-02-29T00:00:00Z"),
        .init("0 12 * * *", after: "2024-02-28T12:00:00Z", "2024-02-29T12:00:00Z"),
        .init("0 0 31 * *", after: "2021-04-01T00:00:00Z", "2021-05-31T00:00:00Z"),
        .init("0 0 31 * *", after: "2021-05-31T00:00:00Z", "2021-07-31T00:00:00Z"),
        .init("0 0 1 * *", after: "2021-01-31T12:00:00Z", "2021-02-01T00:00:00Z"),
        .init("0 0 28-31 * *", after: "2021-02-28T00:00:00Z", "2021-03-28T00:00:00Z"),
        .init("0 0 30 2 *", nil),
        .init("0 0 31 4,6,9,11 *", nil),
    ]

    static let zones: [CronNextCase] = [
        .init("CRON_TZ=America/New_York 0 9 * * *", "2021-06-15T13:00:00Z"),
        .init("TZ=Europe/Berlin 0 9 * * *", "2021-06-16T07:00:00Z"),
        .init("0 9 * * *", tz: "Asia/Tokyo", "2021-06-16T00:00:00Z"),
        .init("CRON_TZ=UTC 0 9 * * *", tz: "Asia/Tokyo", "2021-06-16T09:00:00Z"),
        .init("0 9 * * *", tz: "Asia/Kolkata", "2021-06-16T03:30:00Z"),
        .init("0 * * * *", tz: "Asia/Kathmandu", "2021-06-15T11:15:00Z"),
        .init("0 9 * * *", tz: "", "2021-06-16T09:00:00Z"),
    ]

    /// New York: clocks jump 02:00 EST → 03:00 EDT on 2021-03-14 and fall 02:00 EDT → 01:00 EST on 2021-11-07.
    static let newYork: [CronNextCase] = [
        .init("30 2 * * *", tz: "America/New_York", after: "2021-03-13T07:30:00Z", "2021-03-15T06:30:00Z"),
        .init("30 2 * * *", tz: "America/New_York", after: "2021-03-14T05:00:00Z", "2021-03-15T06:30:00Z"),
        .init("30 * * * *", tz: "America/New_York", after: "2021-03-14T06:30:00Z", "2021-03-14T07:30:00Z"),
        .init("@hourly", tz: "America/New_York", after: "2021-03-14T06:00:00Z", "2021-03-14T07:00:00Z"),
        .init("30 1 * * *", tz: "America/New_York", after: "2021-11-07T04:00:00Z", "2021-11-07T05:30:00Z"),
        .init("30 1 * * *", tz: "America/New_York", after: "2021-11-07T05:30:00Z", "2021-11-07T06:30:00Z"),
        .init("30 1 * * *", tz: "America/New_York", after: "2021-11-07T06:30:00Z", "2021-11-08T06:30:00Z"),
        .init("30 2 * * *", tz: "America/New_York", after: "2021-11-07T05:30:00Z", "2021-11-07T07:30:00Z"),
        .init("@hourly", tz: "America/New_York", after: "2021-11-07T05:00:00Z", "2021-11-07T06:00:00Z"),
        .init("@daily", tz: "America/New_York", after: "2021-11-07T04:00:00Z", "2021-11-08T05:00:00Z"),
    ]

    /// Berlin: clocks jump 02:00 CET → 03:00 CEST on 2021-03-28 and fall 03:00 CEST → 02:00 CET on 2021-10-31.
    static let berlin: [CronNextCase] = [
        .init("30 2 * * *", tz: "Europe/Berlin", after: "2021-03-27T01:30:00Z", "2021-03-29T00:30:00Z"),
        .init("CRON_TZ=Europe/Berlin 30 2 * * *", after: "2021-03-27T01:30:00Z", "2021-03-29T00:30:00Z"),
        .init("30 * * * *", tz: "Europe/Berlin", after: "2021-03-28T00:30:00Z", "2021-03-28T01:30:00Z"),
        .init("30 1 * * *", tz: "Europe/Berlin", after: "2021-03-27T12:00:00Z", "2021-03-28T00:30:00Z"),
        .init("@daily", tz: "Europe/Berlin", after: "2021-03-27T23:00:00Z", "2021-03-28T22:00:00Z"),
        .init("30 2 * * *", tz: "Europe/Berlin", after: "2021-10-30T12:00:00Z", "2021-10-31T00:30:00Z"),
        .init("30 2 * * *", tz: "Europe/Berlin", after: "2021-10-31T00:30:00Z", "2021-10-31T01:30:00Z"),
        .init("30 2 * * *", tz: "Europe/Berlin", after: "2021-10-31T01:30:00Z", "2021-11-01T01:30:00Z"),
        .init("0 * * * *", tz: "Europe/Berlin", after: "2021-10-31T00:00:00Z", "2021-10-31T01:00:00Z"),
        .init("30 1 * * *", tz: "Europe/Berlin", after: "2021-10-30T23:30:00Z", "2021-11-01T00:30:00Z"),
    ]

    @Test(arguments: macros + fields + dayRule + calendar + zones + newYork + berlin)
    func nextActivationMatchesTable(_ row: CronNextCase) throws {
        let schedule = try CronSchedule(row.expression, timeZone: row.timeZone)
        #expect(schedule.next(after: instant(row.after)) == row.expected.map(instant))
    }

    static let invalid: [CronInvalidCase] = [
        .init("61 * * * *", at: 1, "minute 61 is out of range 0-59"),
        .init("  61 * * * *", at: 3, "minute 61 is out of range 0-59"),
        .init("* * *", at: 6, "expected exactly 5 fields"),
        .init("0 0 * * * *", at: 11, "no seconds field"),
        .init("*/0 * * * *", at: 3, "step must be at least 1"),
        .init("*/x * * * *", at: 3, "expected a step number"),
        .init("5-1 * * * *", at: 1, "runs backwards"),
        .init("1-2-3 * * * *", at: 4, "only one '-'"),
        .init("*/5/2 * * * *", at: 4, "only one '/'"),
        .init("*-5 * * * *", at: 2, "stands alone"),
        .init("1,,2 * * * *", at: 3, "empty item in the minute list"),
        .init("0 24 * * *", at: 3, "hour 24 is out of range 0-23"),
        .init("0 0 0 * *", at: 5, "day-of-month 0 is out of range 1-31"),
        .init("0 0 L * *", at: 5, "expected a day of the month 1-31"),
        .init("0 0 * 13 *", at: 7, "month 13 is out of range 1-12"),
        .init("0 0 * FOO *", at: 7, "expected a month 1-12 or JAN-DEC"),
        .init("0 0 * * 7", at: 9, "Sunday is 0"),
        .init("0 0 * * MON-", at: 13, "expected a day of the week 0-6 or SUN-SAT"),
        .init("", at: 1, "found nothing"),
        .init("@fortnightly", at: 1, "unknown macro \"@fortnightly\""),
        .init("@DAILY", at: 1, "unknown macro"),
        .init("@daily now", at: 8, "unexpected text after @daily"),
        .init("@every", at: 7, "expected a duration"),
        .init("@every fast", at: 8, "expected a duration such as"),
        .init("@every -1h", at: 8, "positive duration"),
        .init("CRON_TZ=Mars/Olympus 0 * * * *", at: 9, "unknown time zone \"Mars/Olympus\""),
        .init("TZ=GMT+5 0 * * *", at: 4, "unknown time zone"),
        .init("CRON_TZ= 0 * * * *", at: 9, "expected a time zone name"),
        .init("CRON_TZ=UTC", at: 12, "expected a schedule after the time zone"),
        .init("0 * * * *", tz: "Mars/Olympus", at: 0, "unknown time zone \"Mars/Olympus\" in timezone"),
    ]

    @Test(arguments: invalid)
    func invalidExpressionIsRejectedWithPosition(_ row: CronInvalidCase) {
        #expect {
            _ = try CronSchedule(row.expression, timeZone: row.timeZone)
        } throws: { error in
            guard let error = error as? CronError else { return false }
            return error.position == row.position && error.message.contains(row.fragment)
                && error.expression == row.expression && error.description.contains(row.fragment)
        }
    }

    @Test func tenMinutesOfAPerMinuteScheduleGiveTenActivations() throws {
        let schedule = try CronSchedule("* * * * *")
        let runs = schedule.activations(
            after: instant("2021-06-15T10:00:00Z"), through: instant("2021-06-15T10:10:00Z"), limit: 100)
        #expect(runs.count == 10)
        #expect(runs.first == instant("2021-06-15T10:01:00Z"))
        #expect(runs.last == instant("2021-06-15T10:10:00Z"))
        #expect(zip(runs, runs.dropFirst()).allSatisfy { $1.timeIntervalSince($0) == 60 })
    }

    @Test func activationsStopAtLimit() throws {
        let schedule = try CronSchedule("* * * * *")
        let runs = schedule.activations(
            after: instant("2021-06-15T10:00:00Z"), through: instant("2021-06-15T11:00:00Z"), limit: 3)
        #expect(runs == ["2021-06-15T10:01:00Z", "2021-06-15T10:02:00Z", "2021-06-15T10:03:00Z"].map(instant))
        #expect(schedule.activations(after: runs[0], through: runs[2], limit: 0).isEmpty)
    }

    @Test func everyCountsFromTheStartOfTheWindow() throws {
        let schedule = try CronSchedule("@every 1h30m")
        let runs = schedule.activations(
            after: instant("2021-06-15T10:20:30Z"), through: instant("2021-06-15T16:20:30Z"), limit: 10)
        #expect(
            runs
                == ["2021-06-15T11:50:30Z", "2021-06-15T13:20:30Z", "2021-06-15T14:50:30Z", "2021-06-15T16:20:30Z"]
                .map(instant))
    }

    @Test func autumnOverlapRunsTwiceAndSpringGapIsSkipped() throws {
        let autumn = try CronSchedule("30 2 * * *", timeZone: "Europe/Berlin")
        #expect(
            autumn.activations(
                after: instant("2021-10-30T12:00:00Z"), through: instant("2021-11-01T12:00:00Z"), limit: 10)
                == ["2021-10-31T00:30:00Z", "2021-10-31T01:30:00Z", "2021-11-01T01:30:00Z"].map(instant))
        let spring = try CronSchedule("30 2 * * *", timeZone: "America/New_York")
        #expect(
            spring.activations(
                after: instant("2021-03-12T12:00:00Z"), through: instant("2021-03-16T12:00:00Z"), limit: 10)
                == ["2021-03-13T07:30:00Z", "2021-03-15T06:30:00Z", "2021-03-16T06:30:00Z"].map(instant))
    }

    @Test func descriptionCarriesTheZoneAndParsesBackToTheSameSchedule() throws {
        let schedule = try CronSchedule(" 0 9 * * MON ", timeZone: "Asia/Tokyo")
        #expect(schedule.description == "CRON_TZ=Asia/Tokyo 0 9 * * MON")
        #expect(schedule.timeZone.identifier == "Asia/Tokyo")
        let again = try CronSchedule(schedule.description)
        let from = instant("2021-06-15T10:20:30Z")
        #expect(again.next(after: from) == schedule.next(after: from))
        #expect(try CronSchedule("0 9 * * *", timeZone: "UTC") == CronSchedule("0 9 * * *"))
        #expect(
            try CronSchedule("CRON_TZ=Europe/Berlin @daily", timeZone: "Asia/Tokyo").timeZone.identifier
                == "Europe/Berlin")
    }

    @Test func nextJumpsByFieldInsteadOfSteppingMinutes() throws {
        // Each of these would take hundreds of thousands of steps minute by minute.
        let schedules = try ["0 0 29 2 *", "30 2 * * *", "0 9-17 * * MON-FRI", "*/7 * * * *", "0 0 13 * FRI"].map {
            try CronSchedule($0, timeZone: "America/New_York")
        }
        var from = instant("2021-03-01T00:00:00Z")
        let clock = ContinuousClock()
        let calls = 2_000
        let elapsed = clock.measure {
            for index in 0..<calls {
                from =
                    schedules[index % schedules.count].next(after: from).map { $0.addingTimeInterval(-86_400 * 30) }
                    ?? from
            }
        }
        let perCall = elapsed / calls
        #expect(perCall < .microseconds(500), "next(after:) took \(perCall) per call")
    }
}
