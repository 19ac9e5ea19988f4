import ArgosyModel
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
                    t = t - Int64(CivilCalendar.floorMod(Int(t), 60))
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
        let local = Int(t + offset(t))
        let days = CivilCalendar.floorDiv(local, 86_400)
        let time = local - days * 86_400
        let (year, month, day) = CivilCalendar.civil(fromDays: days)
        return Fields(
            year: year, month: month, day: day, hour: time / 3600, minute: time / 60 % 60, second: time % 60,
            weekday: CivilCalendar.floorMod(days + 4, 7))
    }

    /// The instant of a wall time, normalising overflowing months and days like Go's `time.Date`. A wall time in a
    /// gap or an overlap resolves as Go resolves it: by the offset in force at the wall time read as UTC, corrected
    /// once.
    func instant(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int) -> Int64 {
        let months = year * 12 + month - 1
        let days = CivilCalendar.days(
            year: CivilCalendar.floorDiv(months, 12), month: CivilCalendar.floorMod(months, 12) + 1, day: day)
        let wall = Int64(days * 86_400 + hour * 3600 + minute * 60 + second)
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
