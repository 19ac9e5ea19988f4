import ArgosyModel
import Foundation

/// Go's reference-time layouts (`2006-01-02T15:04:05Z07:00`): formatting and parsing, as `time.Format` and
/// `time.Parse` do them for the elements people use.
enum GoTimeLayout {
    static let rfc3339 = "2006-01-02T15:04:05Z07:00"
    static let rfc3339Nano = "2006-01-02T15:04:05.999999999Z07:00"

    /// expr's `date(s)` without a layout tries these, in order.
    static let defaultLayouts = [
        rfc3339, "2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05 -0700 MST", "2006-01-02 15:04:05", "2006-01-02",
        "15:04:05", "02 Jan 06 15:04 MST", "02 Jan 06 15:04 -0700", "Monday, 02-Jan-06 15:04:05 MST",
        "Mon, 02 Jan 2006 15:04:05 MST", "Mon, 02 Jan 2006 15:04:05 -0700", "Mon Jan _2 15:04:05 2006",
        "Mon Jan _2 15:04:05 MST 2006", "3:04PM",
    ]

    enum Chunk: Equatable {
        case literal(String)
        case longMonth, month, numMonth, zeroMonth, longWeekday, weekday
        case day, underDay, zeroDay, yearDay, zeroYearDay
        case hour, hour12, zeroHour12, minute, zeroMinute, second, zeroSecond
        case longYear, year, upperPM, lowerPM, zoneName
        /// A numeric zone: `Z` for UTC when `z`; `:` between parts when `colon`; which parts are shown.
        case zone(z: Bool, colon: Bool, minutes: Bool, seconds: Bool)
        /// Fractional seconds: `digits` exactly (`.000`), or up to `digits` with trailing zeros trimmed (`.999`).
        case fraction(digits: Int, trim: Bool, separator: Character)
    }

    static func chunks(_ layout: String) -> [Chunk] {
        let c = Array(layout)
        var out: [Chunk] = []
        var literal = ""
        var i = 0
        func has(_ s: String) -> Bool {
            let s = Array(s)
            return i + s.count <= c.count && Array(c[i..<i + s.count]) == s
        }
        func emit(_ chunk: Chunk, _ width: Int) {
            if !literal.isEmpty { out.append(.literal(literal)) }
            literal = ""
            out.append(chunk)
            i += width
        }
        let zones: [(String, Chunk)] = [
            ("Z070000", .zone(z: true, colon: false, minutes: true, seconds: true)),
            ("Z07:00:00", .zone(z: true, colon: true, minutes: true, seconds: true)),
            ("Z0700", .zone(z: true, colon: false, minutes: true, seconds: false)),
            ("Z07:00", .zone(z: true, colon: true, minutes: true, seconds: false)),
            ("Z07", .zone(z: true, colon: false, minutes: false, seconds: false)),
        ]
        while i < c.count {
            switch c[i] {
            case "J" where has("January"): emit(.longMonth, 7)
            case "J" where has("Jan"): emit(.month, 3)
            case "M" where has("Monday"): emit(.longWeekday, 6)
            case "M" where has("Mon"): emit(.weekday, 3)
            case "M" where has("MST"): emit(.zoneName, 3)
            case "0" where has("002"): emit(.zeroYearDay, 3)
            case "0" where i + 1 < c.count && ("1"..."6").contains(c[i + 1]):
                let kinds: [Chunk] = [.zeroMonth, .zeroDay, .zeroHour12, .zeroMinute, .zeroSecond, .year]
                emit(kinds[Int(String(c[i + 1]))! - 1], 2)
            case "1" where has("15"): emit(.hour, 2)
            case "1": emit(.numMonth, 1)
            case "2" where has("2006"): emit(.longYear, 4)
            case "2": emit(.day, 1)
            case "_" where has("_2006"):
                literal.append("_")
                i += 1
            case "_" where has("__2"): emit(.yearDay, 3)
            case "_" where has("_2"): emit(.underDay, 2)
            case "3": emit(.hour12, 1)
            case "4": emit(.minute, 1)
            case "5": emit(.second, 1)
            case "P" where has("PM"): emit(.upperPM, 2)
            case "p" where has("pm"): emit(.lowerPM, 2)
            case "-" where has("-070000"): emit(.zone(z: false, colon: false, minutes: true, seconds: true), 7)
            case "-" where has("-07:00:00"): emit(.zone(z: false, colon: true, minutes: true, seconds: true), 9)
            case "-" where has("-0700"): emit(.zone(z: false, colon: false, minutes: true, seconds: false), 5)
            case "-" where has("-07:00"): emit(.zone(z: false, colon: true, minutes: true, seconds: false), 6)
            case "-" where has("-07"): emit(.zone(z: false, colon: false, minutes: false, seconds: false), 3)
            case "Z" where zones.contains { has($0.0) }:
                let match = zones.first { has($0.0) }!
                emit(match.1, match.0.count)
            case "." where i + 1 < c.count && (c[i + 1] == "0" || c[i + 1] == "9"),
                "," where i + 1 < c.count && (c[i + 1] == "0" || c[i + 1] == "9"):
                let digit = c[i + 1]
                var j = i + 1
                while j < c.count && c[j] == digit { j += 1 }
                if j < c.count && c[j].isASCII && c[j].isNumber {
                    literal.append(c[i])
                    i += 1
                } else {
                    emit(.fraction(digits: j - i - 1, trim: digit == "9", separator: c[i]), j - i)
                }
            default:
                literal.append(c[i])
                i += 1
            }
        }
        if !literal.isEmpty { out.append(.literal(literal)) }
        return out
    }

    // MARK: Formatting

    static func format(_ t: GoTime, _ layout: String) -> String {
        let v = t.civil
        var out = ""
        func pad(_ n: Int, _ width: Int) -> String {
            let s = String(abs(n))
            return (n < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - s.count)) + s
        }
        let hour12 = v.hour % 12 == 0 ? 12 : v.hour % 12
        for chunk in chunks(layout) {
            switch chunk {
            case .literal(let s): out += s
            case .longMonth: out += GoTime.monthNames[v.month - 1]
            case .month: out += String(GoTime.monthNames[v.month - 1].prefix(3))
            case .numMonth: out += String(v.month)
            case .zeroMonth: out += pad(v.month, 2)
            case .longWeekday: out += GoTime.weekdayNames[v.weekday]
            case .weekday: out += String(GoTime.weekdayNames[v.weekday].prefix(3))
            case .day: out += String(v.day)
            case .underDay: out += (v.day < 10 ? " " : "") + String(v.day)
            case .zeroDay: out += pad(v.day, 2)
            case .yearDay: out += String(repeating: " ", count: 3 - String(v.yearDay).count) + String(v.yearDay)
            case .zeroYearDay: out += pad(v.yearDay, 3)
            case .hour: out += pad(v.hour, 2)
            case .hour12: out += String(hour12)
            case .zeroHour12: out += pad(hour12, 2)
            case .minute: out += String(v.minute)
            case .zeroMinute: out += pad(v.minute, 2)
            case .second: out += String(v.second)
            case .zeroSecond: out += pad(v.second, 2)
            case .longYear: out += pad(v.year, 4)
            case .year: out += pad(CivilCalendar.floorMod(v.year, 100), 2)
            case .upperPM: out += v.hour >= 12 ? "PM" : "AM"
            case .lowerPM: out += v.hour >= 12 ? "pm" : "am"
            case .zoneName:
                out += t.zone.isEmpty ? zoneText(t.offset, colon: false, minutes: true, seconds: false) : t.zone
            case .zone(let z, let colon, let minutes, let seconds):
                out += z && t.offset == 0 ? "Z" : zoneText(t.offset, colon: colon, minutes: minutes, seconds: seconds)
            case .fraction(let digits, let trim, let separator):
                let all = pad(v.nanosecond, 9)
                var shown = String(all.prefix(digits))
                if trim { while shown.hasSuffix("0") { shown.removeLast() } }
                if !shown.isEmpty { out += String(separator) + shown }
            }
        }
        return out
    }

    static func zoneText(_ offset: Int, colon: Bool, minutes: Bool, seconds: Bool) -> String {
        let a = abs(offset)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        var s = (offset < 0 ? "-" : "+") + two(a / 3600)
        if minutes { s += (colon ? ":" : "") + two(a / 60 % 60) }
        if seconds { s += (colon ? ":" : "") + two(a % 60) }
        return s
    }

    // MARK: Parsing

    struct ParseError: Error {
        let message: String
    }

    /// Parses `text` with `layout`. Without a zone in the text the time is in `timeZone` (UTC when nil).
    static func parse(_ text: String, _ layout: String, in timeZone: TimeZone? = nil) throws(ParseError) -> GoTime {
        var rest = Substring(text)
        var year = 0
        var month = 1
        var day = 1
        var hour = 0
        var minute = 0
        var second = 0
        var nanos = 0
        var pm: Bool?
        var offset: Int?
        var zoneName: String?
        var yearDay: Int?
        func fail(_ what: String) -> ParseError {
            ParseError(message: "parsing time \"\(text)\" as \"\(layout)\": cannot parse \"\(rest)\" as \(what)")
        }
        func number(_ minDigits: Int, _ maxDigits: Int) -> Int? {
            let digits = rest.prefix(maxDigits).prefix { $0.isASCII && $0.isNumber }
            guard digits.count >= minDigits, let n = Int(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            return n
        }
        func name(_ names: [String], short: Bool) -> Int? {
            for (i, n) in names.enumerated() {
                let candidate = short ? String(n.prefix(3)) : n
                if rest.prefix(candidate.count).lowercased() == candidate.lowercased() {
                    rest = rest.dropFirst(candidate.count)
                    return i
                }
            }
            return nil
        }
        func fraction() {
            guard let sep = rest.first, sep == "." || sep == ",", let d = rest.dropFirst().first, d.isASCII, d.isNumber
            else { return }
            rest = rest.dropFirst()
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            rest = rest.dropFirst(digits.count)
            let nine = String((digits + "000000000").prefix(9))
            nanos = Int(nine) ?? 0
        }
        let parts = chunks(layout)
        for (index, chunk) in parts.enumerated() {
            let nextIsFraction: Bool
            if index + 1 < parts.count, case .fraction = parts[index + 1] {
                nextIsFraction = true
            } else {
                nextIsFraction = false
            }
            switch chunk {
            case .literal(let s):
                guard rest.hasPrefix(s) else { throw fail("\"\(s)\"") }
                rest = rest.dropFirst(s.count)
            case .longYear:
                guard let n = number(4, 4) else { throw fail("\"2006\"") }
                year = n
            case .year:
                guard let n = number(2, 2) else { throw fail("\"06\"") }
                year = n >= 69 ? 1900 + n : 2000 + n
            case .longMonth, .month:
                guard let m = name(GoTime.monthNames, short: chunk == .month) else { throw fail("month name") }
                month = m + 1
            case .numMonth, .zeroMonth:
                guard let n = number(chunk == .zeroMonth ? 2 : 1, 2), (1...12).contains(n) else { throw fail("month") }
                month = n
            case .longWeekday, .weekday:
                guard name(GoTime.weekdayNames, short: chunk == .weekday) != nil else { throw fail("weekday name") }
            case .day, .underDay, .zeroDay:
                if chunk == .underDay, rest.first == " " { rest = rest.dropFirst() }
                guard let n = number(chunk == .zeroDay ? 2 : 1, 2), n >= 1 else { throw fail("day") }
                day = n
            case .yearDay, .zeroYearDay:
                if chunk == .yearDay { rest = rest.drop { $0 == " " } }
                guard let n = number(chunk == .zeroYearDay ? 3 : 1, 3), (1...366).contains(n) else {
                    throw fail("day of year")
                }
                yearDay = n
            case .hour:
                guard let n = number(1, 2), n < 24 else { throw fail("hour") }
                hour = n
            case .hour12, .zeroHour12:
                guard let n = number(chunk == .zeroHour12 ? 2 : 1, 2), (1...12).contains(n) else {
                    throw fail("hour")
                }
                hour = n
            case .minute, .zeroMinute:
                guard let n = number(chunk == .zeroMinute ? 2 : 1, 2), n < 60 else { throw fail("minute") }
                minute = n
            case .second, .zeroSecond:
                guard let n = number(chunk == .zeroSecond ? 2 : 1, 2), n < 60 else { throw fail("second") }
                second = n
                if !nextIsFraction { fraction() }
            case .upperPM, .lowerPM:
                let word = rest.prefix(2).uppercased()
                guard word == "AM" || word == "PM" else { throw fail("AM/PM") }
                pm = word == "PM"
                rest = rest.dropFirst(2)
            case .zoneName:
                let letters = rest.prefix { $0.isASCII && $0.isUppercase }
                guard (3...5).contains(letters.count) else { throw fail("zone name") }
                rest = rest.dropFirst(letters.count)
                zoneName = String(letters)
            case .zone(let z, let colon, let minutes, let seconds):
                if z, rest.first == "Z" {
                    rest = rest.dropFirst()
                    offset = 0
                    zoneName = "UTC"
                    break
                }
                guard let sign = rest.first, sign == "+" || sign == "-" else { throw fail("zone offset") }
                rest = rest.dropFirst()
                guard let h = number(2, 2) else { throw fail("zone offset") }
                var total = h * 3600
                if minutes {
                    if colon {
                        guard rest.first == ":" else { throw fail("zone offset") }
                        rest = rest.dropFirst()
                    }
                    guard let m = number(2, 2) else { throw fail("zone offset") }
                    total += m * 60
                }
                if seconds {
                    if colon {
                        guard rest.first == ":" else { throw fail("zone offset") }
                        rest = rest.dropFirst()
                    }
                    guard let s = number(2, 2) else { throw fail("zone offset") }
                    total += s
                }
                offset = sign == "-" ? -total : total
            case .fraction(let digits, let trim, _):
                if trim {
                    fraction()
                } else {
                    guard let sep = rest.first, sep == "." || sep == "," else { throw fail("fractional second") }
                    rest = rest.dropFirst()
                    guard let n = number(digits, digits) else { throw fail("fractional second") }
                    nanos = Int(String((String(n).leftPadded(digits) + "000000000").prefix(9))) ?? 0
                }
            }
        }
        guard rest.isEmpty else {
            throw ParseError(message: "parsing time \"\(text)\": extra text: \"\(rest)\"")
        }
        if let pm {
            if pm && hour < 12 { hour += 12 }
            if !pm && hour == 12 { hour = 0 }
        }
        if let yearDay {
            let start = CivilCalendar.days(year: year, month: 1, day: 1)
            (_, month, day) = CivilCalendar.civil(fromDays: start + yearDay - 1)
        }
        let lengths = [31, year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30]
        guard day <= (month <= 9 ? lengths[month - 1] : month == 11 ? 30 : 31) else {
            throw ParseError(message: "parsing time \"\(text)\": day out of range")
        }
        if let offset {
            let zone = offset == 0 && zoneName == "UTC" ? "UTC" : zoneName ?? ""
            return GoTime.make(
                year: year, month: month, day: day, hour: hour, minute: minute, second: second, nanos: nanos,
                offset: offset, zone: zone)
        }
        if let zoneName, zoneName != "UTC" {
            return GoTime.make(
                year: year, month: month, day: day, hour: hour, minute: minute, second: second, nanos: nanos,
                zone: zoneName)
        }
        if zoneName == nil, let timeZone {
            return GoTime.make(
                year: year, month: month, day: day, hour: hour, minute: minute, second: second, nanos: nanos,
                in: timeZone)
        }
        return GoTime.make(
            year: year, month: month, day: day, hour: hour, minute: minute, second: second, nanos: nanos)
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
