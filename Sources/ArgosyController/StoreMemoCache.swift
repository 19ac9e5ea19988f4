import ArgosyEngine
import ArgosyModel
import ArgosyStore
import Foundation

/// Memoized outputs kept in the store, shared by every `argosy` process of a home.
final class StoreMemoCache: MemoCache, @unchecked Sendable {
    let store: WorkflowStore

    init(store: WorkflowStore) { self.store = store }

    func load(namespace: String, cache: String, key: String) throws -> (outputs: Outputs?, savedAt: Date)? {
        try store.memoEntry(namespace: namespace, cache: cache, key: key)
    }

    func save(namespace: String, cache: String, key: String, nodeID: String, outputs: Outputs?, now: Date) throws {
        try store.saveMemoEntry(
            namespace: namespace, cache: cache, key: key, nodeID: nodeID, outputs: outputs, now: now)
    }
}
