import ArgosyModel
import Foundation

/// Durations and times the way Argo's CLI prints them.
enum Humanize {
    /// `RelativeDurationShort`: `0s`, `5s`, `3m`, `2h`, `4d` (an unfinished span runs to `now`).
    static func short(from start: Date?, to finish: Date?, now: Date = Date()) -> String {
        guard let start else { return "" }
        let seconds = max(0, (finish ?? now).timeIntervalSince(start))
        switch seconds {
        case ..<1: return "0s"
        case ..<60: return "\(Int(saturating: seconds))s"
        case ..<3600: return "\(Int(saturating: seconds / 60))m"
        case ..<86400: return "\(Int(saturating: seconds / 3600))h"
        default: return "\(Int(saturating: seconds / 86400))d"
        }
    }

    /// `Duration`: `5 seconds`, `1 minute 3 seconds`, `2 hours 5 minutes`.
    static func long(_ seconds: Double) -> String {
        let s = max(0, seconds)
        func truncated(_ s: Double) -> String {
            switch s {
            case ..<1: return "0 seconds"
            case ..<2: return "1 second"
            case ..<60: return "\(Int(saturating: s)) seconds"
            case ..<120: return "1 minute"
            case ..<3600: return "\(Int(saturating: s / 60)) minutes"
            case ..<7200: return "1 hour"
            case ..<86400: return "\(Int(saturating: s / 3600)) hours"
            case ..<172_800: return "1 day"
            default: return "\(Int(saturating: s / 86400)) days"
            }
        }
        if s < 60 { return truncated(s) }
        if s < 3600 { return "\(truncated(s)) \(Int(saturating: s.truncatingRemainder(dividingBy: 60))) seconds" }
        if s < 86400 { return "\(truncated(s)) \(Int((s / 60).truncatingRemainder(dividingBy: 60))) minutes" }
        return "\(truncated(s)) \(Int((s / 3600).truncatingRemainder(dividingBy: 24))) hours"
    }

    /// `Mon Jan 02 15:04:05 -0700 (5 seconds ago)`.
    static func timestamp(_ date: Date, now: Date = Date()) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "EEE MMM dd HH:mm:ss Z"
        return "\(f.string(from: date)) (\(relative(date, now: now)))"
    }

    /// go-humanize's `Time`: `now`, `5 seconds ago`, `3 minutes from now`.
    static func relative(_ date: Date, now: Date) -> String {
        let d = now.timeIntervalSince(date)
        let suffix = d >= 0 ? "ago" : "from now"
        let s = abs(d)
        let body: String
        switch s {
        case ..<1: return "now"
        case ..<2: body = "1 second"
        case ..<60: body = "\(Int(saturating: s)) seconds"
        case ..<120: body = "1 minute"
        case ..<3600: body = "\(Int(saturating: s / 60)) minutes"
        case ..<7200: body = "1 hour"
        case ..<86400: body = "\(Int(saturating: s / 3600)) hours"
        case ..<172_800: body = "1 day"
        default: body = "\(Int(saturating: s / 86400)) days"
        }
        return "\(body) \(suffix)"
    }
}
