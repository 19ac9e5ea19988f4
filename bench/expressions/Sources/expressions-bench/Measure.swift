/// Times a closure: repeats it in rounds until about `budget` has passed and reports the best round's rate,
/// which is the least disturbed by other work on the machine.
struct Measure {
    var budget: Duration = .milliseconds(400)
    var rounds = 5

    /// Operations per second of `body`, which performs `batch` operations per call.
    func rate(batch: Int = 1, _ body: () throws -> Void) rethrows -> Double {
        let clock = ContinuousClock()
        // Warm up and size the round so that it lasts about budget / rounds.
        var calls = 1
        while true {
            let elapsed = try clock.measure { for _ in 0..<calls { try body() } }
            if elapsed >= budget / (rounds * 4) || calls >= 1 << 24 { break }
            calls *= 2
        }
        var best = 0.0
        for _ in 0..<rounds {
            let elapsed = try clock.measure { for _ in 0..<calls { try body() } }
            best = max(best, Double(calls * batch) / elapsed.seconds)
        }
        return best
    }
}

extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}

/// Keeps results alive so the optimiser cannot drop the work.
nonisolated(unsafe) var sink = 0

@inline(never) func consume<T>(_ value: T) {
    sink &+= MemoryLayout.size(ofValue: value)
}
