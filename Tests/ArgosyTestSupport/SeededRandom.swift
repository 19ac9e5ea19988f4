/// A small deterministic generator (SplitMix64): a seed gives the same fuzz cases, kill times and expressions on
/// every machine, so a failure repeats.
public struct SeededRandom: Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<n` (0 when `n` is not positive).
    public mutating func int(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }

    /// A number in `range`.
    public mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + int(range.count) }

    public mutating func pick<T>(_ options: [T]) -> T { options[int(options.count)] }
}
