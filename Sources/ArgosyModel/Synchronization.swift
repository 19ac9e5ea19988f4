import Foundation

/// `synchronization`: mutexes and semaphores a workflow or template holds while it runs (v3.5 singular and
/// v4 plural forms).
public struct Synchronization: Codable, Sendable, Hashable {
    public var mutex: Mutex?
    public var mutexes: [Mutex]?
    public var semaphore: Semaphore?
    public var semaphores: [Semaphore]?

    public struct Mutex: Codable, Sendable, Hashable {
        public var name: String
        public var namespace: String?
        public var database: Bool?
    }

    public struct Semaphore: Codable, Sendable, Hashable {
        public var configMapKeyRef: KeySelector?
        public var namespace: String?
        public var database: JSONValue?
    }

    /// Every lock named, mutexes first.
    public var locks: [SynchronizationLock] {
        var out: [SynchronizationLock] = []
        for m in (mutex.map { [$0] } ?? []) + (mutexes ?? []) {
            out.append(.mutex(name: m.name, namespace: m.namespace))
        }
        for s in (semaphore.map { [$0] } ?? []) + (semaphores ?? []) {
            if let ref = s.configMapKeyRef {
                out.append(.semaphore(configMap: ref.name, key: ref.key, namespace: s.namespace))
            }
        }
        return out
    }
}

/// One lock of a `synchronization` block.
public enum SynchronizationLock: Sendable, Hashable {
    case mutex(name: String, namespace: String?)
    case semaphore(configMap: String, key: String, namespace: String?)

    /// Argo's lock key: `<namespace>/Mutex/<name>` or `<namespace>/ConfigMap/<name>/<key>`.
    public func key(defaultNamespace: String) -> String {
        switch self {
        case .mutex(let name, let ns): "\(ns ?? defaultNamespace)/Mutex/\(name)"
        case .semaphore(let cm, let key, let ns): "\(ns ?? defaultNamespace)/ConfigMap/\(cm)/\(key)"
        }
    }
}

/// `memoize`: reuse the outputs of an earlier successful run with the same key.
public struct Memoize: Codable, Sendable, Hashable {
    public var key: String
    public var maxAge: String?
    public var cache: Cache

    public struct Cache: Codable, Sendable, Hashable {
        public var configMap: NameRef

        public struct NameRef: Codable, Sendable, Hashable {
            public var name: String
        }
    }
}

/// A node's use of the memoization cache, as Argo records it.
public struct MemoizationStatus: Codable, Sendable, Hashable {
    public var hit: Bool
    public var key: String
    public var cacheName: String

    public init(hit: Bool, key: String, cacheName: String) {
        self.hit = hit
        self.key = key
        self.cacheName = cacheName
    }
}
