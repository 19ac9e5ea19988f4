import Foundation

/// A one-slot signal the controller loop sleeps on: `signal()` wakes it, or the timeout passes.
///
/// At most one timer is pending: the loop waits once per pass, mostly with the same poll timeout, and is mostly
/// woken by a signal long before it. A timer per wait left hundreds pending on a busy controller, each waking a
/// thread for nothing when it fired.
public final class Wakeup: @unchecked Sendable {
    private let lock = NSLock()
    private var pending = false
    private var waiter: (deadline: DispatchTime, continuation: CheckedContinuation<Void, Never>)?
    /// When the pending timer fires (nil: none pending).
    private var timerDeadline: DispatchTime?

    public init() {}

    public func signal() {
        lock.lock()
        if let w = waiter {
            waiter = nil
            lock.unlock()
            w.continuation.resume()
        } else {
            pending = true
            lock.unlock()
        }
    }

    /// Returns at the next signal, or at once if one is pending (a clock that is not the wall clock signals when
    /// its time comes).
    public func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            lock.lock()
            if pending {
                pending = false
                lock.unlock()
                c.resume()
                return
            }
            waiter = (.distantFuture, c)
            lock.unlock()
        }
    }

    /// Returns at the next signal (or at once if one is pending), or after `timeout` seconds.
    public func wait(timeout: Double) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            lock.lock()
            if pending {
                pending = false
                lock.unlock()
                c.resume()
                return
            }
            let deadline = DispatchTime.now() + max(0, timeout)
            waiter = (deadline, c)
            // A pending timer that fires first re-arms itself for this deadline (see `timerFired`).
            let arm = timerDeadline.map { deadline < $0 } ?? true
            if arm { timerDeadline = deadline }
            lock.unlock()
            if arm { schedule(at: deadline) }
        }
    }

    private func schedule(at deadline: DispatchTime) {
        DispatchQueue.global().asyncAfter(deadline: deadline) { [self] in timerFired(deadline) }
    }

    private func timerFired(_ deadline: DispatchTime) {
        lock.lock()
        // A timer armed later for an earlier deadline replaced this one.
        guard timerDeadline == deadline else {
            lock.unlock()
            return
        }
        timerDeadline = nil
        guard let w = waiter else {
            lock.unlock()
            return
        }
        if w.deadline <= DispatchTime.now() {
            waiter = nil
            lock.unlock()
            w.continuation.resume()
            return
        }
        if w.deadline == .distantFuture {  // waiting for a signal only
            lock.unlock()
            return
        }
        timerDeadline = w.deadline
        lock.unlock()
        schedule(at: w.deadline)
    }
}
