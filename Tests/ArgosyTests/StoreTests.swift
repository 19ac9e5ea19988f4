import ArgosyEngine
import ArgosyModel
import ArgosyStore
import Foundation
import Testing

/// What only the SQLite store promises (its rows and transactions); what every store promises is in
/// `StoreConformanceTests`.
@Suite("SQLite store")
struct StoreTests {
    static func home() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("argosy-store-\(UUID().uuidString.prefix(8))")
    }

    static func workflow(_ name: String, namespace: String = "default") throws -> Workflow {
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: \(name), namespace: \(namespace)}
            spec:
              entrypoint: main
              templates:
              - {name: main, container: {image: alpine, command: ["true"]}}
            """
        let doc = try #require(try ManifestDocument.parseAll(yaml, file: "w.yaml").first)
        guard case .workflow(let wf)? = ManifestLinter.lint(doc).resource else {
            throw ArgosyError(.invalid, "not a workflow")
        }
        return try WorkflowPreparation.prepare(wf, options: .init(), now: Date())
    }

    /// Children have a row each: a pass that adds children writes only those, and what a reader gets back is the
    /// node's list in order, whether the children were appended to or rewritten, by this process or another one.
    @Test func childrenAreStoredAsRowsAndReadBackInOrder() throws {
        let home = Self.home()
        defer { try? FileManager.default.removeItem(at: home) }
        let wf = try Self.workflow("kids")
        let uid = try #require(wf.metadata.uid)
        let store = try SQLiteStore(home: home)
        try store.create(wf, leaseOwner: "me", leaseUntil: Date().addingTimeInterval(60))
        var group = NodeStatus(id: "g", name: "kids[0]", displayName: "[0]", type: .stepGroup, phase: .running)
        let other = NodeStatus(id: "o", name: "kids[1]", displayName: "[1]", type: .stepGroup, phase: .running)
        func save(_ nodes: [NodeStatus], rewritten: Set<String> = [], removed: [String] = [], in s: WorkflowStore)
            throws(ArgosyError)
        {
            try s.save(
                uid: uid, phase: .running, startedAt: Date(), finishedAt: nil, message: nil, progress: "0/0",
                outputs: [:], changedNodes: nodes, childrenRewritten: rewritten, removedNodeIDs: removed,
                leaseOwner: "me")
        }
        func children(_ id: String) throws -> [String]? {
            try SQLiteStore(home: home).get(namespace: "default", name: "kids")?.nodes.first { $0.id == id }?.children
        }
        func rows() throws -> Int {
            try store.database.query("SELECT COUNT(*) AS n FROM node_children").first?.int("n") ?? -1
        }
        group.children = ["a", "b", "c"]
        try save([group, other], in: store)
        #expect(try children("g") == ["a", "b", "c"])
        #expect(try children("o") == nil)
        let body = try store.database.query("SELECT body FROM nodes WHERE id = 'g'").first?.string("body") ?? ""
        #expect(!body.contains("children"), "children are not in the node's body")
        group.children! += ["d", "e"]
        try save([group], in: store)
        #expect(try children("g") == ["a", "b", "c", "d", "e"])
        #expect(try rows() == 5)
        // Another process appends after reading what this one wrote.
        group.children!.append("f")
        try save([group], in: try SQLiteStore(home: home))
        #expect(try children("g") == ["a", "b", "c", "d", "e", "f"])
        // A rewritten list (a retry took a child out) replaces the rows.
        group.children = ["a", "c", "x"]
        try save([group], rewritten: ["g"], in: store)
        #expect(try children("g") == ["a", "c", "x"])
        #expect(try rows() == 3)
        try save([], removed: ["g"], in: store)
        #expect(try rows() == 0, "a removed node's children go with it")
        // Saved inside a transaction that then fails (a group commit): nothing of it is stored, so the next save
        // writes those children again.
        group.children = ["p", "q"]
        _ = try? store.inTransaction { () throws(ArgosyError) in
            try save([group], in: store)
            throw ArgosyError(.io, "the commit failed")
        }
        #expect(try rows() == 0)
        group.children!.append("r")
        try save([group], in: store)
        #expect(try children("g") == ["p", "q", "r"])
    }

    /// `argosy server` shares one connection between its API threads and the controller: a transaction must not
    /// take in another thread's statements, nor fail because another thread's is open.
    @Test func threadsSharingAConnectionKeepTheirTransactionsApart() throws {
        let home = Self.home()
        defer { try? FileManager.default.removeItem(at: home) }
        let db = try SQLiteStore(home: home).database
        try db.execute("CREATE TABLE t (k INTEGER)")
        let failures = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            for i in 0..<50 {
                do {
                    try db.transaction {
                        try db.query("INSERT INTO t VALUES (?)", [.integer(thread * 1000 + i)])
                        if i % 10 == 9 { throw ArgosyError(.invalid, "undo this one") }
                        try db.query("INSERT INTO t VALUES (?)", [.integer(-(thread * 1000 + i))])
                    }
                } catch let error as ArgosyError where error.message == "undo this one" {
                } catch {
                    failures.with { $0 += 1 }
                }
            }
        }
        #expect(failures.with { $0 } == 0)
        // 4 threads × 45 committed transactions × 2 rows; the 20 thrown ones left nothing.
        #expect(try db.query("SELECT COUNT(*) AS n FROM t").first?.int("n") == 360)
    }

    /// Inside a transaction, a transaction is a savepoint: it is undone alone, the outer one commits.
    @Test func aFailedNestedTransactionIsUndoneAlone() throws {
        let home = Self.home()
        defer { try? FileManager.default.removeItem(at: home) }
        let db = try SQLiteStore(home: home).database
        try db.execute("CREATE TABLE t (k INTEGER)")
        try db.transaction {
            try db.execute("INSERT INTO t VALUES (1)")
            _ = try? db.transaction {
                try db.execute("INSERT INTO t VALUES (2)")
                throw ArgosyError(.conflict, "not this one")
            }
            try db.transaction { try db.execute("INSERT INTO t VALUES (3)") }
        }
        #expect(try db.query("SELECT k FROM t ORDER BY k").map { $0.int("k") } == [1, 3])
    }

    /// A node written before the child table keeps its children inside its body until its next save.
    @Test func childrenInsideAnOldBodyAreStillRead() throws {
        let home = Self.home()
        defer { try? FileManager.default.removeItem(at: home) }
        let wf = try Self.workflow("old")
        let uid = try #require(wf.metadata.uid)
        let store = try SQLiteStore(home: home)
        try store.create(wf, leaseOwner: "me", leaseUntil: Date().addingTimeInterval(60))
        try store.database.query(
            "INSERT INTO nodes (workflow_uid, id, body) VALUES (?, 'g', ?)",
            [
                .text(uid),
                .text(
                    #"{"id":"g","name":"old[0]","displayName":"[0]","type":"StepGroup","phase":"Running","children":["a","b"]}"#
                ),
            ])
        var node = try #require(try store.get(namespace: "default", name: "old")?.nodes.first)
        #expect(node.children == ["a", "b"])
        node.children!.append("c")
        try store.save(
            uid: uid, phase: .running, startedAt: Date(), finishedAt: nil, message: nil, progress: "0/0", outputs: [:],
            changedNodes: [node], leaseOwner: "me")
        #expect(
            try SQLiteStore(home: home).get(namespace: "default", name: "old")?.nodes.first?.children == [
                "a", "b", "c",
            ])
    }

}

/// A value shared between threads of a test.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func with<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
