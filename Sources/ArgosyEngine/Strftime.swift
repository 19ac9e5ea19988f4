import ArgosyModel
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `workflow.creationTimestamp.<letter>`: the time formatted with one strftime conversion, in UTC, as
/// Argo offers it (`.Y` year, `.m` month, `.d` day, `.H` hour, `.s` epoch seconds, …).
enum Strftime {
    static let letters = Array("aAbBcCdDeFgGhHIjklmMnprRStTuUVwWxXyYzZs")

    static func fields(_ date: Date) -> [(Character, String)] {
        var t = time_t(Int(saturating: date.timeIntervalSince1970.rounded(.down)))
        var parts = tm()
        gmtime_r(&t, &parts)
        var out: [(Character, String)] = []
        var buffer = [CChar](repeating: 0, count: 64)
        for letter in letters {
            if letter == "s" {
                out.append((letter, String(Int(saturating: date.timeIntervalSince1970))))
                continue
            }
            let n = strftime(&buffer, buffer.count, "%\(letter)", &parts)
            out.append((letter, String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)))
        }
        return out
    }
}
