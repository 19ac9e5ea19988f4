import ArgosyEngine
import ArgosyModel
import ArgosyStore
import Foundation

/// Mutexes and semaphores kept in the store, shared by every `argosy` process of a home. Semaphore limits
/// come from config maps, read at each attempt (so raising a limit takes effect at once).
final class StoreLocks: SynchronizationGate, @unchecked Sendable {
    let store: WorkflowStore

    init(store: WorkflowStore) { self.store = store }

    func acquire(_ locks: [SynchronizationLock], holder: String, namespace: String, priority: Int, now: Date) throws
        -> String?
    {
        var limits: [String: Int] = [:]
        var keys: [String] = []
        for lock in locks {
            let key = lock.key(defaultNamespace: namespace)
            keys.append(key)
            if case .semaphore(let configMap, let name, let ns) = lock {
                guard let map = try store.object(.configMap, namespace: ns ?? namespace, name: configMap) else {
                    return "semaphore: configmap '\(configMap)' not found"
                }
                guard let encoded = map.data[name],
                    let limit = Int(
                        String(decoding: Data(base64Encoded: encoded) ?? Data(), as: UTF8.self)
                            .trimmingCharacters(in: .whitespacesAndNewlines))
                else {
                    return "semaphore: key '\(name)' of configmap '\(configMap)' must hold an integer limit"
                }
                limits[key] = limit
            }
        }
        guard
            let blocked = try store.acquireLocks(
                keys: keys, limits: limits, holder: holder, priority: priority, now: now)
        else { return nil }
        return "Waiting for \(blocked.key) lock. Lock status: \(max(0, blocked.limit - blocked.held))/\(blocked.limit)"
    }

    func release(holder: String) throws { try store.releaseLocks(holder: holder) }
}
