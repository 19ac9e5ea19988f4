import Foundation
import Testing

@testable import ArgosyController

/// The signal the controller loop sleeps on between passes.
@Suite("Wakeup")
struct WakeupTests {
    static func seconds(_ body: () async -> Void) async -> Double {
        let start = DispatchTime.now()
        await body()
        return Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }

    @Test func aSignalEndsTheWaitAndATimeoutEndsItWithout() async {
        let wakeup = Wakeup()
        wakeup.signal()
        #expect(await Self.seconds { await wakeup.wait(timeout: 10) } < 1, "a pending signal returns at once")
        let waited = await Self.seconds { await wakeup.wait(timeout: 0.1) }
        #expect(waited >= 0.09 && waited < 2, "\(waited)")
        Task {
            try? await Task.sleep(nanoseconds: 50_000_000)
            wakeup.signal()
        }
        #expect(await Self.seconds { await wakeup.wait(timeout: 10) } < 5, "woken by the signal")
    }

    /// The one pending timer serves later waits: a wait with a shorter timeout than the pending timer's still
    /// ends on time, and one with a longer timeout does not end when the earlier timer fires.
    @Test func timeoutsHoldWhateverTimerIsPending() async {
        let wakeup = Wakeup()
        Task {
            try? await Task.sleep(nanoseconds: 20_000_000)
            wakeup.signal()
        }
        await wakeup.wait(timeout: 30)  // its timer stays pending for 30 s
        let short = await Self.seconds { await wakeup.wait(timeout: 0.1) }
        #expect(short >= 0.09 && short < 2, "\(short)")
        Task {
            try? await Task.sleep(nanoseconds: 20_000_000)
            wakeup.signal()
        }
        await wakeup.wait(timeout: 0.05)  // a timer for 50 ms from now, then signalled at about 20 ms
        let long = await Self.seconds { await wakeup.wait(timeout: 0.3) }
        #expect(long >= 0.29 && long < 3, "the 50 ms timer does not end a 300 ms wait: \(long)")
    }
}
