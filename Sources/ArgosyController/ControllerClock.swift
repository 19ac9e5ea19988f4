import Foundation

/// The controller's time: what `now` is for a pass, and how long the loop waits for its next timer (a retry's
/// backoff, a deadline, a lease to renew or to lapse). ``SystemClock`` is the wall clock; tests inject a manual
/// clock that moves only when they advance it, so backoffs, deadlines and lease expiry are tested without sleeping.
public protocol ControllerClock: AnyObject, Sendable {
    var now: Date { get }

    /// Returns when `wakeup` is signalled or this clock reaches `deadline`, whichever comes first.
    func wait(_ wakeup: Wakeup, until deadline: Date) async
}

/// The wall clock.
public final class SystemClock: ControllerClock {
    public init() {}

    public var now: Date { Date() }

    public func wait(_ wakeup: Wakeup, until deadline: Date) async {
        await wakeup.wait(timeout: deadline.timeIntervalSinceNow)
    }
}
