import ArgosyModel
import Foundation

/// Where the engine takes and gives back mutexes and semaphores. The controller's gate keeps them in the
/// store, so workflows of every `argosy` process sharing a home respect them; tests use ``MemoryLocks``.
public protocol SynchronizationGate: AnyObject, Sendable {
    /// Takes every lock for `holder`, or none: nil when taken (or already held), else why it must wait.
    func acquire(_ locks: [SynchronizationLock], holder: String, namespace: String, priority: Int, now: Date) throws
        -> String?
    /// Gives back every lock held by `holder`, and every holder whose key starts with `holder + "/"`.
    func release(holder: String) throws
}

/// Locks held in memory, first come first served; semaphore limits come from `limits` (key → limit).
public final class MemoryLocks: SynchronizationGate, @unchecked Sendable {
    private let lock = NSLock()
    private var holders: [String: [String]] = [:]
    private var waiting: [String: [String]] = [:]
    public var limits: [String: Int]

    public init(limits: [String: Int] = [:]) { self.limits = limits }

    public func acquire(_ locks: [SynchronizationLock], holder: String, namespace: String, priority: Int, now: Date)
        throws -> String?
    {
        lock.lock()
        defer { lock.unlock() }
        let keys = locks.map { $0.key(defaultNamespace: namespace) }
        for key in keys where !(holders[key] ?? []).contains(holder) {
            let limit = limits[key] ?? 1
            if !(waiting[key] ?? []).contains(holder) { waiting[key, default: []].append(holder) }
            let queue = waiting[key] ?? []
            let free = limit - (holders[key] ?? []).count
            guard free > 0, let position = queue.firstIndex(of: holder), position < free else {
                return "Waiting for \(key) lock. Lock status: \(max(0, free))/\(limit)"
            }
        }
        for key in keys where !(holders[key] ?? []).contains(holder) {
            holders[key, default: []].append(holder)
            waiting[key]?.removeAll { $0 == holder }
        }
        return nil
    }

    public func release(holder: String) throws {
        lock.lock()
        defer { lock.unlock() }
        for key in holders.keys { holders[key]?.removeAll { $0 == holder || $0.hasPrefix(holder + "/") } }
        for key in waiting.keys { waiting[key]?.removeAll { $0 == holder || $0.hasPrefix(holder + "/") } }
    }

    /// Who holds `key` now.
    public func holding(_ key: String) -> [String] {
        lock.lock()
        defer { lock.unlock() }
        return holders[key] ?? []
    }
}
