import ArgosyExpressions
import ArgosyModel
import Foundation
import Testing

@Suite struct DateFunctionTests {
    /// 2024-03-10T12:34:56.789Z, a Sunday.
    static let fixedNow = Date(timeIntervalSince1970: 1_710_074_096.789)

    static let scope: VariableScope = {
        var scope = VariableScope([
            "workflow.creationTimestamp": "2024-03-10T12:00:00Z",
            "inputs.parameters.timeout": "1h",
        ])
        scope.currentTime = fixedNow
        return scope
    }()

    static func eval(_ source: String) throws -> JSONValue {
        try Expression(source).evaluate(in: scope)
    }

    static let exprDates: [(String, JSONValue)] = [
        ("now()", "2024-03-10T12:34:56.789Z"), ("now().Year()", 2024), ("now().Month()", 3), ("now().Day()", 10),
        ("now().Hour()", 12), ("now().Minute()", 34), ("now().Second()", 56), ("now().Weekday()", 0),
        ("now().YearDay()", 70), ("now().Unix()", 1_710_074_096), ("now().UnixMilli()", 1_710_074_096_789),
        ("now().Format('2006-01-02')", "2024-03-10"), ("now().Format('Jan _2 15:04:05.000')", "Mar 10 12:34:56.789"),
        ("now().Format('Monday, January 2, 2006 3:04PM')", "Sunday, March 10, 2024 12:34PM"),
        ("now().Format('Mon, 02 Jan 2006 15:04:05 MST')", "Sun, 10 Mar 2024 12:34:56 UTC"),
        ("now().Format('06-1-2 03:04:05.999 pm Z07:00')", "24-3-10 12:34:56.789 pm Z"),
        ("now().Format('2006-002')", "2024-070"), ("string(now())", "2024-03-10 12:34:56.789 +0000 UTC"),
        ("now().String()", "2024-03-10 12:34:56.789 +0000 UTC"), ("type(now())", "time.Time"),
        ("date('2024-01-31')", "2024-01-31T00:00:00Z"),
        ("date('2024-01-31T10:00:00+02:00')", "2024-01-31T10:00:00+02:00"),
        ("date('2024-01-31T10:00:00.5Z')", "2024-01-31T10:00:00.5Z"),
        ("date('2024-01-31 10:00:00')", "2024-01-31T10:00:00Z"), ("date('10:30:00')", "0000-01-01T10:30:00Z"),
        ("date('Wed, 31 Jan 2024 10:00:00 +0100')", "2024-01-31T10:00:00+01:00"),
        ("date('31/01/2024', '02/01/2006')", "2024-01-31T00:00:00Z"),
        ("date('Jan 5 2024 3:04PM', 'Jan 2 2006 3:04PM')", "2024-01-05T15:04:00Z"),
        ("date('2024-07-01 09:00', '2006-01-02 15:04', 'Europe/Berlin')", "2024-07-01T09:00:00+02:00"),
        ("date('2024-01-01 09:00', '2006-01-02 15:04', 'Europe/Berlin').UTC()", "2024-01-01T08:00:00Z"),
        ("date('2024-01-01T00:00:00Z').In('Asia/Tokyo').Hour()", 9),
        ("date(workflow.creationTimestamp) < now()", true), ("date(workflow.creationTimestamp) > now()", false),
        ("date('2024-03-10') == date('2024-03-10T02:00:00+02:00')", true),
        ("date('2024-03-10') != date('2024-03-11')", true),
        ("now() - date(workflow.creationTimestamp)", 2_096_789_000_000),
        ("(now() - date('2024-03-10')).Hours() > 12", true),
        ("now() - date(workflow.creationTimestamp) < duration(inputs.parameters.timeout)", true),
        ("date('2024-01-31') + duration('36h')", "2024-02-01T12:00:00Z"),
        ("duration('36h') + date('2024-01-31')", "2024-02-01T12:00:00Z"),
        ("date('2024-01-31') - duration('1m')", "2024-01-30T23:59:00Z"),
        ("date('2024-01-31').AddDate(0, 1, 0)", "2024-03-02T00:00:00Z"),
        ("date('2023-12-31').AddDate(0, 0, 1).Format('2006-01-02')", "2024-01-01"),
        ("date('2024-02-29').Add(duration('24h')).Format('2006-01-02')", "2024-03-01"),
        ("date('2024-03-10T12:34:56Z').Truncate(duration('1h'))", "2024-03-10T12:00:00Z"),
        ("date('2024-03-10T12:34:56Z').Round(duration('1h'))", "2024-03-10T13:00:00Z"),
        ("date('2024-01-01').Before(now())", true), ("date('2024-01-01').After(now())", false),
        ("date('2024-01-01T01:00:00+01:00').Equal(date('2024-01-01'))", true),
        ("date('2024-01-01').Sub(date('2023-01-01')).Hours()", 8760.0),
        ("date('1969-12-31T23:59:59Z').Unix()", -1), ("date('1900-03-01').Weekday()", 4),
        ("toJson({at: now()})", #"{"at":"2024-03-10T12:34:56.789Z"}"#),
        ("{at: date('2024-01-01')}", ["at": "2024-01-01T00:00:00Z"]), ("[duration('1s')]", [1_000_000_000]),
        ("upper(now().Format('Jan'))", "MAR"), ("len(string(now()))", 33),
    ]

    static let exprDurations: [(String, JSONValue)] = [
        ("duration('1h30m')", 5_400_000_000_000), ("duration('1h') > duration('30m')", true),
        ("duration('1h') == duration('60m')", true), ("duration('1h') + duration('15m') == duration('75m')", true),
        ("duration('1h') * 2 > duration('90m')", true), ("duration('1h') / 4 == duration('15m')", true),
        ("-duration('1h') < duration('0s')", true), ("duration('2s') > 1000", true),
        ("string(duration('90m'))", "1h30m0s"), ("duration('1.5s').String()", "1.5s"),
        ("duration('300ms').String()", "300ms"), ("duration('-2µs').String()", "-2µs"),
        ("duration('1us').String()", "1µs"), ("duration('42ns').String()", "42ns"), ("duration('0').String()", "0s"),
        ("duration('26h3m4.5s').String()", "26h3m4.5s"), ("duration('.5m').String()", "30s"),
        ("duration('90m').Minutes()", 90.0), ("duration('90m').Hours()", 1.5), ("duration('1500ms').Seconds()", 1.5),
        ("duration('1500ms').Milliseconds()", 1500), ("duration('-1h').Abs().String()", "1h0m0s"),
        ("duration('1h10m').Round(duration('1h')).String()", "1h0m0s"),
        ("duration('1h40m').Truncate(duration('1h')).String()", "1h0m0s"), ("type(duration('1s'))", "time.Duration"),
    ]

    static let sprigDates: [(String, JSONValue)] = [
        ("sprig.now()", "2024-03-10T12:34:56.789Z"), ("sprig.date('2006-01-02', sprig.now())", "2024-03-10"),
        ("sprig.date('2006-01-02 15:04', 0)", "1970-01-01 00:00"),
        ("sprig.date('Jan 2', workflow.creationTimestamp)", "Mar 10"),
        ("sprig.dateInZone('2006-01-02 15:04 -07:00', sprig.now(), 'Asia/Tokyo')", "2024-03-10 21:34 +09:00"),
        ("sprig.htmlDate(sprig.now())", "2024-03-10"),
        ("sprig.htmlDateInZone(date('2024-03-10T23:00:00Z'), 'Asia/Tokyo')", "2024-03-11"),
        ("sprig.unixEpoch(sprig.now())", "1710074096"),
        ("sprig.dateModify('-1.5h', sprig.now())", "2024-03-10T11:04:56.789Z"),
        ("sprig.dateModify('bad', sprig.now())", "2024-03-10T12:34:56.789Z"),
        ("sprig.toDate('2006-01-02', '2024-02-29')", "2024-02-29T00:00:00Z"),
        ("sprig.toDate('2006-01-02', 'x')", "0001-01-01T00:00:00Z"),
        ("sprig.ago(date(workflow.creationTimestamp))", "34m57s"), ("sprig.ago(sprig.now())", "0s"),
        ("sprig.duration(95)", "1m35s"), ("sprig.duration('3600')", "1h0m0s"),
        ("sprig.durationRound('2h10m')", "2h"), ("sprig.durationRound('3s')", "3s"),
        ("sprig.durationRound(duration('49h'))", "2d"), ("sprig.durationRound('0s')", "0s"),
        ("sprig.toString(duration('1m'))", "1m0s"),
        ("sprig.date('2006', sprig.toDate('2006-01-02', '1999-05-01'))", "1999"),
    ]

    @Test(arguments: exprDates)
    func evaluatesExprDates(_ source: String, _ expected: JSONValue) throws {
        #expect(try Self.eval(source) == expected)
    }

    @Test(arguments: exprDurations)
    func evaluatesExprDurations(_ source: String, _ expected: JSONValue) throws {
        #expect(try Self.eval(source) == expected)
    }

    @Test(arguments: sprigDates)
    func evaluatesSprigDates(_ source: String, _ expected: JSONValue) throws {
        #expect(try Self.eval(source) == expected)
    }

    static let failures: [(String, String)] = [
        ("date('nope')", "cannot parse \"nope\" as a date"), ("date(1)", "must be a string"),
        ("date('2024-02-30', '2006-01-02')", "day out of range"), ("date('2024-13-01', '2006-01-02')", "as month"),
        ("date('2024-01-01x', '2006-01-02')", "extra text"),
        ("date('2024-01-01', '2006-01-02', 'Mars/Base')", "Mars/Base"),
        ("duration('5x')", "invalid duration \"5x\""), ("duration('')", "invalid duration"),
        ("now().Nope()", "unknown method Nope"), ("now() + 1", "mismatched types time.Time and int"),
        ("now() - 'x'", "mismatched types"), ("now() + now()", "mismatched types time.Time and time.Time"),
        ("now().Format()", "invalid number of arguments"), ("sprig.mustToDate('2006', 'x')", "cannot parse"),
        ("sprig.mustDateModify('x', sprig.now())", "invalid duration"), ("'a'.Foo()", "string has no method Foo"),
    ]

    @Test(arguments: failures)
    func dateErrorsAreReported(_ source: String, _ fragment: String) {
        let error = #expect(throws: ExpressionError.self) { try Self.eval(source) }
        #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "")")
    }

    @Test func substitutionWritesDatesAsRFC3339AndDurationsAsNanoseconds() throws {
        let text = "at={{=now()}} took={{=duration('1m')}} day={{=sprig.date('2006-01-02', sprig.now())}}"
        #expect(
            try Substitution.substitute(text, in: Self.scope, unresolved: .fail)
                == "at=2024-03-10T12:34:56.789Z took=60000000000 day=2024-03-10")
    }

    @Test func nowFollowsTheSystemClockByDefault() throws {
        let before = Date()
        let value = try Expression("now().UnixMilli()").evaluate(in: VariableScope())
        let after = Date()
        guard case .int(let millis) = value else {
            Issue.record("expected an int, got \(value)")
            return
        }
        #expect(Double(millis) >= (before.timeIntervalSince1970 * 1000).rounded(.down) - 1)
        #expect(Double(millis) <= (after.timeIntervalSince1970 * 1000).rounded(.up) + 1)
    }

    @Test func expressionsWithoutDatesAreUntouched() throws {
        // A string that merely looks like a date is not a date: it stays a string and compares as text.
        #expect(try Self.eval("workflow.creationTimestamp < '2025'") == true)
        #expect(try Self.eval("workflow.creationTimestamp") == "2024-03-10T12:00:00Z")
    }
}
