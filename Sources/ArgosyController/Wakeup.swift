import Foundation

/// A one-slot signal the controller loop sleeps on: `signal()` wakes it, or the timeout passes.
final class Wakeup: @unchecked Sendable {
    private let lock = NSLock()
    private var pending = false
    private var waiter: (id: Int, continuation: CheckedContinuation<Void, Never>)?
    private var nextID = 0

    func signal() {
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

    /// Returns at the next signal (or at once if one is pending), or after `timeout` seconds.
    func wait(timeout: Double) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            lock.lock()
            if pending {
                pending = false
                lock.unlock()
                c.resume()
                return
            }
            nextID += 1
            let id = nextID
            waiter = (id, c)
            lock.unlock()
            DispatchQueue.global().asyncAfter(deadline: .now() + max(0, timeout)) { [self] in
                lock.lock()
                if let w = waiter, w.id == id {
                    waiter = nil
                    lock.unlock()
                    w.continuation.resume()
                } else {
                    lock.unlock()
                }
            }
        }
    }
}
