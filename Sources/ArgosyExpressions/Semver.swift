/// Semantic versions and constraints as sprig's `semver` and `semverCompare` read them (Masterminds/semver v3):
/// versions may omit parts and carry a `v`; constraints combine `=`, `!=`, `>`, `<`, `>=`, `<=`, `~`, `^`,
/// wildcards (`1.2.x`, `*`), hyphen ranges (`1.2 - 1.4.5`), `,` or spaces for "and", `||` for "or".
struct Semver: Equatable {
    var major: Int
    var minor: Int
    var patch: Int
    var prerelease: String = ""
    var metadata: String = ""
    var original: String = ""

    /// Parses a version; nil when `text` is not one.
    init?(_ text: String) {
        original = text
        var core = Substring(text.hasPrefix("v") ? String(text.dropFirst()) : text)
        if let plus = core.firstIndex(of: "+") {
            metadata = String(core[core.index(after: plus)...])
            core = core[..<plus]
        }
        if let dash = core.firstIndex(of: "-") {
            prerelease = String(core[core.index(after: dash)...])
            core = core[..<dash]
        }
        let parts = core.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count) else { return nil }
        var numbers: [Int] = []
        for p in parts {
            guard !p.isEmpty, p.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(p) else { return nil }
            numbers.append(n)
        }
        let identifiers =
            (prerelease.isEmpty ? [] : prerelease.split(separator: ".", omittingEmptySubsequences: false))
            + (metadata.isEmpty ? [] : metadata.split(separator: ".", omittingEmptySubsequences: false))
        guard identifiers.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" } })
        else { return nil }
        major = numbers[0]
        minor = numbers.count > 1 ? numbers[1] : 0
        patch = numbers.count > 2 ? numbers[2] : 0
    }

    init(_ major: Int, _ minor: Int, _ patch: Int, prerelease: String = "") {
        self.major = major
        self.minor = minor
        self.patch = patch
        self.prerelease = prerelease
    }

    /// Semver precedence (metadata ignored): -1, 0 or 1.
    func compare(_ other: Semver) -> Int {
        for (a, b) in [(major, other.major), (minor, other.minor), (patch, other.patch)] where a != b {
            return a < b ? -1 : 1
        }
        if prerelease == other.prerelease { return 0 }
        if prerelease.isEmpty { return 1 }
        if other.prerelease.isEmpty { return -1 }
        let x = prerelease.split(separator: ".")
        let y = other.prerelease.split(separator: ".")
        for (a, b) in zip(x, y) where a != b {
            switch (Int(a), Int(b)) {
            case (let i?, let j?): return i < j ? -1 : 1
            case (_?, nil): return -1
            case (nil, _?): return 1
            default: return a < b ? -1 : 1
            }
        }
        return x.count == y.count ? 0 : x.count < y.count ? -1 : 1
    }

    /// Whether `version` satisfies `constraint`; nil when the constraint does not parse.
    static func satisfies(_ version: Semver, _ constraint: String) -> Bool? {
        var anyGroup = false
        for group in constraint.components(separatedBy: "||") {
            guard let comparators = parseGroup(group) else { return nil }
            if comparators.allSatisfy({ $0(version) }) { anyGroup = true }
        }
        return anyGroup
    }

    private typealias Check = (Semver) -> Bool

    private static func parseGroup(_ group: String) -> [Check]? {
        var tokens = group.replacingOccurrences(of: ",", with: " ").split(separator: " ").map(String.init)
        // Glue operators written apart from their version: ">= 1.2" → ">=1.2".
        var glued: [String] = []
        for t in tokens {
            if let last = glued.last, !last.isEmpty, last.allSatisfy({ "<>=!~^".contains($0) }) {
                glued[glued.count - 1] = last + t
            } else {
                glued.append(t)
            }
        }
        tokens = glued
        var checks: [Check] = []
        var i = 0
        while i < tokens.count {
            if i + 2 < tokens.count, tokens[i + 1] == "-" {
                guard let low = partial(tokens[i]), let high = partial(tokens[i + 2]) else { return nil }
                checks.append(comparator(">=", low))
                checks.append(comparator("<=", high))
                i += 3
                continue
            }
            let token = tokens[i]
            let op = String(token.prefix { "<>=!~^".contains($0) })
            guard let p = partial(String(token.dropFirst(op.count))) else { return nil }
            guard ["", "=", "!=", ">", "<", ">=", "<=", "=>", "=<", "~", "~>", "^"].contains(op) else { return nil }
            checks.append(comparator(op, p))
            i += 1
        }
        return checks.isEmpty ? [{ _ in true }] : checks
    }

    /// A constraint's version: parts given (nil = wildcard or missing), and its prerelease.
    private struct Partial {
        var parts: [Int?]
        var prerelease: String
        var dirty: Bool { parts.contains { $0 == nil } }
        var floor: Semver { Semver(parts[0] ?? 0, parts[1] ?? 0, parts[2] ?? 0, prerelease: prerelease) }
    }

    private static func partial(_ text: String) -> Partial? {
        var core = Substring(text.hasPrefix("v") ? String(text.dropFirst()) : text)
        if let plus = core.firstIndex(of: "+") { core = core[..<plus] }
        var prerelease = ""
        if let dash = core.firstIndex(of: "-") {
            prerelease = String(core[core.index(after: dash)...])
            core = core[..<dash]
        }
        let pieces = core.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(pieces.count) else { return nil }
        var parts: [Int?] = []
        for piece in pieces {
            if piece == "x" || piece == "X" || piece == "*" {
                parts.append(nil)
            } else {
                guard let n = Int(piece), n >= 0 else { return nil }
                parts.append(n)
            }
        }
        if parts.contains(where: { $0 == nil }) {
            let first = parts.firstIndex { $0 == nil } ?? parts.count
            parts = Array(parts[..<first])
        }
        while parts.count < 3 { parts.append(nil) }
        return Partial(parts: parts, prerelease: prerelease)
    }

    private static func comparator(_ op: String, _ c: Partial) -> Check {
        let floor = c.floor
        let matches: Check
        switch op {
        case "", "=":
            if !c.dirty {
                matches = { $0.compare(floor) == 0 }
            } else {
                matches = tilde(c)
            }
        case "!=":
            let equal = comparator("=", c)
            matches = { !equal($0) }
        case ">":
            if c.parts[0] == nil {
                matches = { _ in false }
            } else if c.parts[1] == nil {
                matches = { $0.major > floor.major }
            } else if c.parts[2] == nil {
                matches = { $0.major > floor.major || $0.major == floor.major && $0.minor > floor.minor }
            } else {
                matches = { $0.compare(floor) > 0 }
            }
        case "<":
            matches = { $0.compare(floor) < 0 }
        case ">=", "=>":
            matches = { $0.compare(floor) >= 0 }
        case "<=", "=<":
            if c.parts[0] == nil {
                matches = { _ in true }
            } else if c.parts[1] == nil {
                matches = { $0.major <= floor.major }
            } else if c.parts[2] == nil {
                matches = { $0.major < floor.major || $0.major == floor.major && $0.minor <= floor.minor }
            } else {
                matches = { $0.compare(floor) <= 0 }
            }
        case "~", "~>":
            matches = tilde(c)
        default:  // "^"
            let ceiling: Semver
            if let major = c.parts[0], major > 0 || c.parts[1] == nil {
                ceiling = Semver(major + 1, 0, 0)
            } else if let minor = c.parts[1], minor > 0 || c.parts[2] == nil {
                ceiling = Semver(0, minor + 1, 0)
            } else {
                ceiling = Semver(0, 0, (c.parts[2] ?? 0) + 1)
            }
            matches = { $0.compare(floor) >= 0 && $0.compare(ceiling) < 0 }
        }
        // A prerelease version only satisfies constraints that name a prerelease themselves.
        return { v in
            if !v.prerelease.isEmpty && c.prerelease.isEmpty { return false }
            return matches(v)
        }
    }

    private static func tilde(_ c: Partial) -> Check {
        let floor = c.floor
        guard let major = c.parts[0] else { return { _ in true } }
        let ceiling = c.parts[1] == nil ? Semver(major + 1, 0, 0) : Semver(major, floor.minor + 1, 0)
        return { $0.compare(floor) >= 0 && $0.compare(ceiling) < 0 }
    }
}
