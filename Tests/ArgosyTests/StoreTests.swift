import ArgosyEngine
import ArgosyModel
import ArgosyStore
import Foundation
import Testing

/// The SQLite store on a real file.
@Suite("Store")
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

    @Test func savesChangedNodesAndReadsThemBackFromANewConnection() throws {
        let home = Self.home()
        defer { try? FileManager.default.removeItem(at: home) }
        let wf = try Self.workflow("persist")
        let uid = try #require(wf.metadata.uid)
        do {
            let store = try WorkflowStore(home: home)
            try store.create(wf, leaseOwner: "me", leaseUntil: Date().addingTimeInterval(60))
            var state = RunState()
            let outcome = Reconciler(workflow: wf).reconcile(&state, now: Date())
            #expect(outcome.actions.count == 1)
            try store.save(
                uid: uid, phase: state.phase, startedAt: state.startedAt, finishedAt: nil, message: nil,
                progress: state.progress, outputs: ["k": "v"], changedNodes: Array(state.nodes.values),
                launches: outcome.actions.compactMap { if case .launch(let l) = $0 { l } else { nil } },
                leaseOwner: "me")
        }
        let reopened = try WorkflowStore(home: home)
        let stored = try #require(try reopened.get(namespace: "default", name: "persist"))
        #expect(stored.phase == .running)
        #expect(stored.nodes.count == 1)
        #expect(stored.nodes.first?.phase == .running)
        #expect(stored.outputs == ["k": "v"])
        #expect(try reopened.launch(uid: uid, nodeID: "persist")?.podName == "persist")
        #expect(try reopened.list(namespace: "default").map(\.name) == ["persist"])
        #expect(try reopened.list(namespace: "other").isEmpty)
    }

    /// A workflow this store just created is loaded without decoding its manifest again; what a load returns is
    /// what another connection decodes, and a manifest changed since (by anyone) is read afresh.
    @Test func aJustCreatedWorkflowLoadsAsStored() throws {
        let home = Self.home()
        defer { try? FileManager.default.removeItem(at: home) }
        let wf = try Self.workflow("fresh")
        let uid = try #require(wf.metadata.uid)
        let store = try WorkflowStore(home: home)
        try store.create(wf)
        let other = try WorkflowStore(home: home)
        func json(_ w: Workflow?) throws -> String {
            try NodeJSONTests.sorted(WorkflowStore.encodeManifest(try #require(w)))
        }
        #expect(try json(store.get(uid: uid)?.workflow) == json(wf))
        #expect(try json(other.get(uid: uid)?.workflow) == json(wf))
        try store.create(try Self.workflow("changed"))
        let changed = try #require(try store.list(namespace: "default").first { $0.name == "changed" }?.uid)
        try other.updateManifest(uid: changed) { $0.spec.suspend = true }
        #expect(try store.get(uid: changed)?.workflow.spec.suspend == true, "changed by another connection")
    }

    /// `list` decodes a manifest once per version of it: a change made through any connection shows at the next
    /// list.
    @Test func listSeesEveryManifestChange() throws {
        let home = Self.home()
        defer { try? FileManager.default.removeItem(at: home) }
        let store = try WorkflowStore(home: home)
        let other = try WorkflowStore(home: home)
        let wf = try Self.workflow("listed")
        let uid = try #require(wf.metadata.uid)
        try store.create(wf)
        #expect(try store.list(namespace: nil).first?.suspended == false)
        try other.updateManifest(uid: uid) { $0.spec.suspend = true }
        #expect(try store.list(namespace: nil).first?.suspended == true)
        try other.updateManifest(uid: uid) { $0.spec.suspend = nil }
        #expect(try store.list(namespace: "default").first?.suspended == false)
        #expect(try store.delete(uid: uid))
        #expect(try store.list(namespace: nil).isEmpty)
    }

    /// Children have a row each: a pass that adds children writes only those, and what a reader gets back is the
    /// node's list in order, whether the children were appended to or rewritten, by this process or another one.
    @Test func childrenAreStoredAsRowsAndReadBackInOrder() throws {
        let home = Self.home()
        defer { try? FileManager.default.removeItem(at: home) }
        let wf = try Self.workflow("kids")
        let uid = try #require(wf.metadata.uid)
        let store = try WorkflowStore(home: home)
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
            try WorkflowStore(home: home).get(namespace: "default", name: "kids")?.nodes.first { $0.id == id }?.children
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
        try save([group], in: try WorkflowStore(home: home))
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
        let db = try WorkflowStore(home: home).database
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
        let db = try WorkflowStore(home: home).database
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
        let store = try WorkflowStore(home: home)
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
            try WorkflowStore(home: home).get(namespace: "default", name: "old")?.nodes.first?.children == [
                "a", "b", "c",
            ])
    }

    @Test func onlyTheLeaseHolderWritesAndExpiredLeasesAreTakenOver() throws {
        let home = Self.home()
        defer { try? FileManager.default.removeItem(at: home) }
        let store = try WorkflowStore(home: home)
        let wf = try Self.workflow("leased")
        let uid = try #require(wf.metadata.uid)
        let now = Date()
        try store.create(wf, leaseOwner: "a", leaseUntil: now.addingTimeInterval(10))
        let other = try WorkflowStore(home: home)
        #expect(try !other.acquireLease(uid: uid, owner: "b", until: now.addingTimeInterval(10), now: now))
        #expect(throws: ArgosyError.self) {
            try other.save(
                uid: uid, phase: .failed, startedAt: nil, finishedAt: nil, message: nil, progress: "", outputs: [:],
                changedNodes: [], leaseOwner: "b")
        }
        #expect(try other.orphanedWorkflows(now: now).isEmpty)
        let later = now.addingTimeInterval(11)
        #expect(try other.orphanedWorkflows(now: later) == [uid])
        #expect(try other.acquireLease(uid: uid, owner: "b", until: later.addingTimeInterval(10), now: later))
        #expect(throws: ArgosyError.self) {
            try store.save(
                uid: uid, phase: .failed, startedAt: nil, finishedAt: nil, message: nil, progress: "", outputs: [:],
                changedNodes: [], leaseOwner: "a")
        }
    }

    /// The pass that finishes a workflow gives its lease up in the same commit (one fsync, and no moment where a
    /// finished workflow is still leased); a save refused for a lost lease releases nothing.
    @Test func theFinishingCommitGivesUpTheLease() throws {
        let home = Self.home()
        defer { try? FileManager.default.removeItem(at: home) }
        let store = try WorkflowStore(home: home)
        let wf = try Self.workflow("finishing")
        let uid = try #require(wf.metadata.uid)
        let now = Date()
        try store.create(wf, leaseOwner: "a", leaseUntil: now.addingTimeInterval(60))
        let other = try WorkflowStore(home: home)
        #expect(throws: ArgosyError.self) {
            try other.save(
                uid: uid, phase: .succeeded, startedAt: now, finishedAt: now, message: nil, progress: "1/1",
                outputs: [:], changedNodes: [], leaseOwner: "b", releasingLease: true)
        }
        #expect(try other.get(uid: uid)?.leaseOwner == "a")
        let before = other.database.dataVersion()
        try store.save(
            uid: uid, phase: .succeeded, startedAt: now, finishedAt: now, message: nil, progress: "1/1", outputs: [:],
            changedNodes: [], leaseOwner: "a", releasingLease: true)
        #expect(other.database.dataVersion() == before + 1, "one commit")
        let stored = try #require(try other.get(uid: uid))
        #expect(stored.phase == .succeeded)
        #expect(stored.leaseOwner == nil)
        #expect(stored.leaseExpires == nil)
    }

    @Test func duplicateNamesAreRejectedPerNamespace() throws {
        let home = Self.home()
        defer { try? FileManager.default.removeItem(at: home) }
        let store = try WorkflowStore(home: home)
        try store.create(try Self.workflow("same"))
        #expect(throws: ArgosyError.self) { try store.create(try Self.workflow("same")) }
        try store.create(try Self.workflow("same", namespace: "ops"))
        #expect(try store.list(namespace: nil).count == 2)
    }

    @Test func requestsAreTakenOnceInOrder() throws {
        let home = Self.home()
        defer { try? FileManager.default.removeItem(at: home) }
        let store = try WorkflowStore(home: home)
        let wf = try Self.workflow("req")
        let uid = try #require(wf.metadata.uid)
        try store.create(wf)
        try store.addRequest(uid: uid, kind: "resume", argument: "approve")
        try store.addRequest(uid: uid, kind: "retry")
        #expect(try store.takeRequests(uid: uid).map(\.kind) == ["resume", "retry"])
        #expect(try store.takeRequests(uid: uid).isEmpty)
    }

    @Test func deletingAWorkflowRemovesItsRows() throws {
        let home = Self.home()
        defer { try? FileManager.default.removeItem(at: home) }
        let store = try WorkflowStore(home: home)
        let wf = try Self.workflow("gone")
        try store.create(wf)
        #expect(try store.delete(uid: wf.metadata.uid!))
        #expect(try store.get(namespace: "default", name: "gone") == nil)
        #expect(try !store.delete(uid: wf.metadata.uid!))
    }

    @Test func secretsAndConfigMapsKeepTheirData() throws {
        let home = Self.home()
        defer { try? FileManager.default.removeItem(at: home) }
        let store = try WorkflowStore(home: home)
        let secret = KeyValueObject(
            kind: .secret, namespace: "default", name: "s", data: ["k": "dg=="], createdAt: Date())
        try store.createObject(secret)
        #expect(throws: ArgosyError.self) { try store.createObject(secret) }
        #expect(try store.object(.secret, namespace: "default", name: "s")?.data == ["k": "dg=="])
        #expect(try store.object(.configMap, namespace: "default", name: "s") == nil)
        #expect(try store.deleteObject(.secret, namespace: "default", name: "s"))
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
