import ArgosyStore
import Foundation

/// A kind of store for the conformance suite: each test makes a fresh, empty store of it and opens as many
/// connections to it as it needs (two connections behave as two `argosy` processes sharing one store).
///
/// A second store (PostgreSQL) joins ``all`` and must pass `StoreConformanceTests` unchanged.
public struct StoreFixture: Sendable, CustomStringConvertible {
    public let description: String
    let make: @Sendable () throws -> EmptyStore

    /// Every store implementation.
    public static let all: [StoreFixture] = [.sqlite]

    /// `SQLiteStore` on a file in a fresh temporary folder.
    public static let sqlite = StoreFixture(description: "SQLite") {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent(
            "argosy-conformance-\(UUID().uuidString.prefix(8))")
        return EmptyStore(
            connect: { try SQLiteStore(home: home) }, remove: { try? FileManager.default.removeItem(at: home) })
    }

    /// A new empty store of this kind.
    public func makeStore() throws -> EmptyStore { try make() }
}

/// One fresh store: ``connect()`` opens a connection, ``remove()`` deletes the store.
public struct EmptyStore: Sendable {
    let connectBody: @Sendable () throws -> any WorkflowStore
    let removeBody: @Sendable () -> Void

    init(connect: @escaping @Sendable () throws -> any WorkflowStore, remove: @escaping @Sendable () -> Void) {
        connectBody = connect
        removeBody = remove
    }

    public func connect() throws -> any WorkflowStore { try connectBody() }
    public func remove() { removeBody() }
}
