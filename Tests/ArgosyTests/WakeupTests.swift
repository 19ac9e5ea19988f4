import Foundation
import Testing

@testable import ArgosyController

/// The signal the controller loop sleeps on between passes. Other tests running at once can delay a resumed
/// wait by seconds: only the lower bounds are tight; the upper ones catch a wait that never ends.
@Suite("Wakeup")
struct WakeupTests {
    static func seconds(_ body: () async -> Void) async -> Double {
        let start = DispatchTime.now()
        await body()
        return Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }

    /// Ends a wait by signalling until it returned, then takes the signal that may be left pending.
    static func signalled(_ wakeup: Wakeup, timeout: Double) async {
        let signaller = Task {
            while !Task.isCancelled {
                wakeup.signal()
                try? await Task.sleep(nanoseconds: 5_000_000)
            }
        }
        await wakeup.wait(timeout: timeout)
        signaller.cancel()
        _ = await signaller.value
        await wakeup.wait(timeout: 0)
    }

    @Test func aSignalEndsTheWaitAndATimeoutEndsItWithout() async {
        let wakeup = Wakeup()
        wakeup.signal()
        #expect(await Self.seconds { await wakeup.wait(timeout: 100) } < 50, "a pending signal returns at once")
        let waited = await Self.seconds { await wakeup.wait(timeout: 0.1) }
        #expect(waited >= 0.09 && waited < 60, "\(waited)")
        #expect(await Self.seconds { await Self.signalled(wakeup, timeout: 100) } < 50, "woken by a signal")
    }

    /// The one pending timer serves later waits: a wait with a shorter timeout than the pending timer's still
    /// ends on time, and one with a longer timeout does not end when an earlier timer fires.
    @Test func timeoutsHoldWhateverTimerIsPending() async {
        let wakeup = Wakeup()
        await Self.signalled(wakeup, timeout: 100)  // its timer stays pending for 100 s
        let short = await Self.seconds { await wakeup.wait(timeout: 0.1) }
        #expect(short >= 0.09 && short < 60, "\(short)")
        await Self.signalled(wakeup, timeout: 0.05)  // a timer for about 50 ms from now
        let long = await Self.seconds { await wakeup.wait(timeout: 0.3) }
        #expect(long >= 0.29 && long < 60, "an earlier timer does not end a longer wait: \(long)")
    }
}
