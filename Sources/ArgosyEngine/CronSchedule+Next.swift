import Foundation

// The activation search, in whole seconds since 1970. It follows robfig/cron v3's `SpecSchedule.Next` step for
// step, so the answers (daylight-saving gaps skipped, overlaps run twice) are those Argo users get: find the month,
// then the day, hour and minute, each time moving forward over real instants and starting again from the month
// whenever a field wraps. Wall-clock fields are read in the schedule's zone; a wall time is turned back into an
// instant the way Go's `time.Date` does it. Runs of non-matching minutes, hours and seconds are skipped in one jump
// when the zone's offset is the same at both ends; otherwise the search steps one unit, as robfig does.

extension CronSchedule.Fields {
    /// The first activation after `start` (whole seconds), or nil if none falls within five years.
    func next(after start: Int64, in zone: TimeZone) -> Int64? {
        let clock = WallClock(zone: zone)
        var t = start + 1
        var added = false
        let yearLimit = clock.fields(t).year + 5

        wrap: while true {
            var now = clock.fields(t)
            if now.year > yearLimit { return nil }

            while month & (1 << UInt64(now.month)) == 0 {
                if !added {
                    added = true
                    t = clock.instant(now.year, now.month, 1, 0, 0, 0)
                    now = clock.fields(t)
                }
                t = clock.instant(now.year, now.month + 1, now.day, now.hour, now.minute, now.second)
                now = clock.fields(t)
                if now.month == 1 { continue wrap }
            }

            while !dayMatches(now) {
                if !added {
                    added = true
                    t = clock.instant(now.year, now.month, now.day, 0, 0, 0)
                    now = clock.fields(t)
                }
                t = clock.instant(now.year, now.month, now.day + 1, now.hour, now.minute, now.second)
                now = clock.fields(t)
                // Midnight may not exist (a zone that springs forward at 00:00): land on the day's first instant.
                if now.hour != 0 {
                    t += Int64(now.hour > 12 ? 24 - now.hour : -now.hour) * 3600
                    now = clock.fields(t)
                }
                if now.day == 1 { continue wrap }
            }

            while hour & (1 << UInt64(now.hour)) == 0 {
                if !added {
                    added = true
                    t = clock.instant(now.year, now.month, now.day, now.hour, 0, 0)
                    now = clock.fields(t)
                }
                t = clock.advance(t, from: now.hour, unit: 3600, count: 24, matching: hour)
                now = clock.fields(t)
                if now.hour == 0 { continue wrap }
            }

            while minute & (1 << UInt64(now.minute)) == 0 {
                if !added {
                    added = true
                    t = t - floorMod(t, 60)
                    now = clock.fields(t)
                }
                t = clock.advance(t, from: now.minute, unit: 60, count: 60, matching: minute)
                now = clock.fields(t)
                if now.minute == 0 { continue wrap }
            }

            // Argo's schedules fire at second 0.
            if now.second != 0 {
                added = true
                t = clock.advance(t, from: now.second, unit: 1, count: 60, matching: 1)
                continue wrap
            }
            return t
        }
    }

    /// robfig/cron's day rule: both must match if either field was written `*`, otherwise either may.
    private func dayMatches(_ now: WallClock.Fields) -> Bool {
        let domMatch = dayOfMonth & (1 << UInt64(now.day)) != 0
        let dowMatch = dayOfWeek & (1 << UInt64(now.weekday)) != 0
        if (dayOfMonth | dayOfWeek) & Self.star != 0 { return domMatch && dowMatch }
        return domMatch || dowMatch
    }
}

/// Wall-clock reading and writing in one zone.
private struct WallClock {
    struct Fields {
        var year: Int
        var month: Int
        var day: Int
        var hour: Int
        var minute: Int
        var second: Int
        /// 0 is Sunday.
        var weekday: Int
    }

    let zone: TimeZone

    func offset(_ t: Int64) -> Int64 {
        Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(t))))
    }

    func fields(_ t: Int64) -> Fields {
        let local = t + offset(t)
        let days = floorDiv(local, 86_400)
        let time = Int(local - days * 86_400)
        let (year, month, day) = civil(fromDays: days)
        return Fields(
            year: year, month: month, day: day, hour: time / 3600, minute: time / 60 % 60, second: time % 60,
            weekday: Int(floorMod(days + 4, 7)))
    }

    /// The instant of a wall time, normalising overflowing months and days like Go's `time.Date`. A wall time in a
    /// gap or an overlap resolves as Go resolves it: by the offset in force at the wall time read as UTC, corrected
    /// once.
    func instant(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int) -> Int64 {
        let months = Int64(year) * 12 + Int64(month - 1)
        let days = days(fromCivil: floorDiv(months, 12), Int(floorMod(months, 12)) + 1) + Int64(day - 1)
        let wall = days * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        return wall - offset(wall - offset(wall))
    }

    /// Moves `t` forward by whole `unit`s, as robfig does one at a time, until the field (now at `value`, counting
    /// modulo `count`) is set in `matching` or wraps to 0. Jumps when the offset is equal at both ends, else steps
    /// once.
    func advance(_ t: Int64, from value: Int, unit: Int64, count: Int, matching: UInt64) -> Int64 {
        var steps = count - value
        for candidate in value + 1..<count where matching & (1 << UInt64(candidate)) != 0 {
            steps = candidate - value
            break
        }
        let target = t + Int64(steps) * unit
        return steps == 1 || offset(target) == offset(t) ? target : t + unit
    }
}

private func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}

private func floorMod(_ a: Int64, _ b: Int64) -> Int64 { a - floorDiv(a, b) * b }

/// Proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's algorithm).
private func civil(fromDays days: Int64) -> (year: Int, month: Int, day: Int) {
    let z = days + 719_468
    let era = floorDiv(z, 146_097)
    let dayOfEra = z - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let mp = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    return (Int(yearOfEra + era * 400 + (month <= 2 ? 1 : 0)), Int(month), Int(day))
}

/// Days since 1970-01-01 of a proleptic Gregorian date; `month` is 1...12.
private func days(fromCivil year: Int64, _ month: Int) -> Int64 {
    let y = month <= 2 ? year - 1 : year
    let era = floorDiv(y, 400)
    let yearOfEra = y - era * 400
    let m = Int64(month)
    let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146_097 + dayOfEra - 719_468
}
