import Foundation

/// Aligns tab-separated cells like Go's tabwriter with padding 2: every cell but the last of a line is
/// padded to its column's widest cell. Widths count visible characters (ANSI colour codes excluded).
struct TextTable {
    private var rows: [[String]] = []

    mutating func add(_ cells: [String]) { rows.append(cells) }

    func render() -> String {
        var widths: [Int] = []
        for row in rows {
            for (i, cell) in row.dropLast().enumerated() {
                let w = Self.visibleWidth(cell)
                if i >= widths.count { widths.append(w) } else { widths[i] = max(widths[i], w) }
            }
        }
        var out = ""
        for row in rows {
            var line = ""
            for (i, cell) in row.enumerated() {
                line += cell
                if i < row.count - 1 {
                    line += String(repeating: " ", count: widths[i] - Self.visibleWidth(cell) + 2)
                }
            }
            out += line + "\n"
        }
        return out
    }

    static func visibleWidth(_ s: String) -> Int {
        var count = 0
        var inEscape = false
        for scalar in s.unicodeScalars {
            if inEscape {
                if scalar == "m" { inEscape = false }
                continue
            }
            if scalar == "\u{1B}" {
                inEscape = true
                continue
            }
            count += 1
        }
        return count
    }
}

/// ANSI colours, used only when writing to a terminal and NO_COLOR is unset.
enum Color: String {
    case red = "31"
    case green = "32"
    case yellow = "33"
    case cyan = "36"
    case plain = ""

    nonisolated(unsafe) static var enabled =
        isatty(STDOUT_FILENO) != 0 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil

    func paint(_ s: String) -> String {
        guard Color.enabled, self != .plain else { return s }
        return "\u{1B}[\(rawValue)m\(s)\u{1B}[0m"
    }
}
