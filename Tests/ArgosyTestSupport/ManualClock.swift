import ArgosyController
import Foundation

/// A ``ControllerClock`` that moves only when the test advances it: a controller on it waits for its timers
/// (retry backoffs, deadlines, lease renewal and expiry) until ``advance(by:)`` reaches them, and never sleeps.
///
/// ```swift
/// let clock = ManualClock()
/// let controller = WorkflowController(store: store, options: options, scope: .only([uid]), runtime: runtime,
///                                     clock: clock)
/// clock.advance(by: 60)  // the retry's backoff has passed: the controller launches it again
/// ```
public final class ManualClock: ControllerClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    private var sleepers: [ObjectIdentifier: (deadline: Date, wakeup: Wakeup)] = [:]

    public init(_ start: Date = Date()) { current = start }

    public var now: Date { lock.withLock { current } }

    public func wait(_ wakeup: Wakeup, until deadline: Date) async {
        let id = ObjectIdentifier(wakeup)
        let due = lock.withLock {
            if deadline <= current { return true }
            sleepers[id] = (deadline, wakeup)
            return false
        }
        if due { return }
        await wakeup.wait()
        lock.withLock { _ = sleepers.removeValue(forKey: id) }
    }

    /// Moves the time on, waking every waiter whose deadline it reaches.
    public func advance(by seconds: Double) {
        let due = lock.withLock {
            current = current.addingTimeInterval(seconds)
            let due = sleepers.values.filter { $0.deadline <= current }.map(\.wakeup)
            return due
        }
        for wakeup in due { wakeup.signal() }
    }

    /// Whether a controller is waiting on this clock (it has done everything it can until the time moves on or
    /// an event arrives), and for which deadline.
    public var nextDeadline: Date? { lock.withLock { sleepers.values.map(\.deadline).min() } }
}
