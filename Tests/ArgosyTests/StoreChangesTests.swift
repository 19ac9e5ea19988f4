import ArgosyModel
import ArgosyStore
import Foundation
import Testing

/// One watch of the store per process: subscribers hear of writes by this connection and by another process's.
@Suite("Store change notices")
struct StoreChangesTests {
    @Test func subscribersHearOfOwnAndOtherWritesAndNothingElse() async throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("argosy-changes-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        let store = try SQLiteStore(home: home)
        let other = try SQLiteStore(home: home)  // another connection, as another `argosy` process has
        let changes = StoreChanges(store: store, interval: .milliseconds(10))
        var notices = changes.subscribe().makeAsyncIterator()
        #expect(await notices.next() != nil, "the first notice is immediate")
        #expect(changes.subscriberCount == 1)

        let start = changes.generation
        try other.createObject(
            .init(kind: .configMap, namespace: "default", name: "a", data: ["k": "v"], createdAt: Date()))
        #expect(await notices.next() != nil)
        try store.createObject(
            .init(kind: .configMap, namespace: "default", name: "b", data: ["k": "v"], createdAt: Date()))
        #expect(await notices.next() != nil)
        #expect(changes.generation == start + 2)

        // Nothing written: no notice (and no generation) for a while.
        try await Task.sleep(for: .milliseconds(200))
        #expect(changes.generation == start + 2)
    }
}
