import ArgosyModel
import Foundation

/// Where memoized outputs live: the store in the controller, memory in tests.
public protocol MemoCache: AnyObject, Sendable {
    /// The entry for `key` in cache `cache`, with when it was saved.
    func load(namespace: String, cache: String, key: String) throws -> (outputs: Outputs?, savedAt: Date)?
    /// Saves (or replaces) the entry for `key`.
    func save(namespace: String, cache: String, key: String, nodeID: String, outputs: Outputs?, now: Date) throws
}

/// A memoization cache in memory.
public final class MemoryMemoCache: MemoCache, @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: (Outputs?, Date)] = [:]

    public init() {}

    public func load(namespace: String, cache: String, key: String) throws -> (outputs: Outputs?, savedAt: Date)? {
        lock.lock()
        defer { lock.unlock() }
        return entries["\(namespace)/\(cache)/\(key)"].map { (outputs: $0.0, savedAt: $0.1) }
    }

    public func save(namespace: String, cache: String, key: String, nodeID: String, outputs: Outputs?, now: Date) throws
    {
        lock.lock()
        entries["\(namespace)/\(cache)/\(key)"] = (outputs, now)
        lock.unlock()
    }
}
