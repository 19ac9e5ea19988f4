import Foundation

/// The store's change notices for one process: one watch of the store, however many watchers.
///
/// Every watcher (an API event stream, a followed log) subscribes and re-reads what it shows when a notice
/// arrives, instead of polling the store on its own: with nobody subscribed nothing is read, and with any number
/// of subscribers the store's version is read once per interval. Writes by other processes sharing the home
/// arrive as well as this process's own.
public final class StoreChanges: @unchecked Sendable {
    let store: WorkflowStore
    let interval: Duration
    private let lock = NSLock()
    private var subscribers: [UUID: AsyncStream<Void>.Continuation] = [:]
    private var poller: Thread?
    private var stopped = false
    private var changeCount = 0

    public init(store: WorkflowStore, interval: Duration = .milliseconds(50)) {
        self.store = store
        self.interval = interval
    }

    deinit { stop() }

    /// Ends the watch: every subscription finishes (a watcher's loop over it ends).
    public func stop() {
        let ending = lock.withLock {
            stopped = true
            defer { subscribers = [:] }
            return Array(subscribers.values)
        }
        for subscriber in ending { subscriber.finish() }
    }

    /// Notices from now on, one per change (changes while one is pending are folded into it); the first
    /// arrives at once, so a subscriber reads the store's state before waiting.
    public func subscribe() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let id = UUID()
        continuation.yield()
        continuation.onTermination = { [weak self] _ in self?.unsubscribe(id) }
        lock.withLock {
            if stopped {
                continuation.finish()
                return
            }
            subscribers[id] = continuation
            if poller == nil {
                // A thread of its own: notices keep coming when every task thread is busy.
                let thread = Thread { [weak self] in
                    var last = self?.store.changeVersion()
                    while let changes = self, changes.tick(&last) {}  // self is held for one tick at a time
                }
                thread.name = "argosy-store-changes"
                thread.stackSize = 256 * 1024
                poller = thread
                thread.start()
            }
        }
        return stream
    }

    /// How many changes were noticed so far: a subscriber that cannot wait on its notices (it also watches
    /// files) compares this instead.
    public var generation: Int { lock.withLock { changeCount } }

    /// Whether the watch has ended (the process is shutting down).
    public var isStopped: Bool { lock.withLock { stopped } }

    /// How many watchers are subscribed.
    public var subscriberCount: Int { lock.withLock { subscribers.count } }

    private func unsubscribe(_ id: UUID) {
        lock.withLock { _ = subscribers.removeValue(forKey: id) }
    }

    /// Waits one interval, then notifies the subscribers if the store changed; false once stopped.
    private func tick(_ last: inout StoreVersion?) -> Bool {
        let c = interval.components
        usleep(useconds_t(c.seconds * 1_000_000 + c.attoseconds / 1_000_000_000_000))
        let (waiting, stop) = lock.withLock { (Array(subscribers.values), stopped) }
        if stop { return false }
        if waiting.isEmpty { return true }
        let now = store.changeVersion()
        if now == last { return true }
        last = now
        lock.withLock { changeCount += 1 }
        for subscriber in waiting { subscriber.yield() }
        return true
    }
}
