import ArgosyEngine
import ArgosyModel
import ArgosyStore
import ArgosyTestSupport
import Foundation
import Testing

/// What every store promises (see `WorkflowStore`), run against each implementation in `StoreFixture.all`: a
/// second store passes this suite unchanged. Two connections to one store stand for two `argosy` processes.
@Suite("Store conformance")
struct StoreConformanceTests {
    @Test(arguments: StoreFixture.all) func savesChangedNodesAndReadsThemBackFromANewConnection(_ kind: StoreFixture)
        throws
    {
        let fixture = try kind.makeStore()
        defer { fixture.remove() }
        let wf = try StoreTests.workflow("persist")
        let uid = try #require(wf.metadata.uid)
        do {
            let store = try fixture.connect()
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
        let reopened = try fixture.connect()
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
    @Test(arguments: StoreFixture.all) func aJustCreatedWorkflowLoadsAsStored(_ kind: StoreFixture) throws {
        let fixture = try kind.makeStore()
        defer { fixture.remove() }
        let wf = try StoreTests.workflow("fresh")
        let uid = try #require(wf.metadata.uid)
        let store = try fixture.connect()
        try store.create(wf)
        let other = try fixture.connect()
        func json(_ w: Workflow?) throws -> String {
            try NodeJSONTests.sorted(StoredManifest.encode(try #require(w)))
        }
        #expect(try json(store.get(uid: uid)?.workflow) == json(wf))
        #expect(try json(other.get(uid: uid)?.workflow) == json(wf))
        try store.create(try StoreTests.workflow("changed"))
        let changed = try #require(try store.list(namespace: "default").first { $0.name == "changed" }?.uid)
        try other.updateManifest(uid: changed) { $0.spec.suspend = true }
        #expect(try store.get(uid: changed)?.workflow.spec.suspend == true, "changed by another connection")
    }

    /// `list` decodes a manifest once per version of it: a change made through any connection shows at the next
    /// list.
    @Test(arguments: StoreFixture.all) func listSeesEveryManifestChange(_ kind: StoreFixture) throws {
        let fixture = try kind.makeStore()
        defer { fixture.remove() }
        let store = try fixture.connect()
        let other = try fixture.connect()
        let wf = try StoreTests.workflow("listed")
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

    @Test(arguments: StoreFixture.all) func onlyTheLeaseHolderWritesAndExpiredLeasesAreTakenOver(_ kind: StoreFixture)
        throws
    {
        let fixture = try kind.makeStore()
        defer { fixture.remove() }
        let store = try fixture.connect()
        let wf = try StoreTests.workflow("leased")
        let uid = try #require(wf.metadata.uid)
        let now = Date()
        try store.create(wf, leaseOwner: "a", leaseUntil: now.addingTimeInterval(10))
        let other = try fixture.connect()
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
    @Test(arguments: StoreFixture.all) func theFinishingCommitGivesUpTheLease(_ kind: StoreFixture) throws {
        let fixture = try kind.makeStore()
        defer { fixture.remove() }
        let store = try fixture.connect()
        let wf = try StoreTests.workflow("finishing")
        let uid = try #require(wf.metadata.uid)
        let now = Date()
        try store.create(wf, leaseOwner: "a", leaseUntil: now.addingTimeInterval(60))
        let other = try fixture.connect()
        #expect(throws: ArgosyError.self) {
            try other.save(
                uid: uid, phase: .succeeded, startedAt: now, finishedAt: now, message: nil, progress: "1/1",
                outputs: [:], changedNodes: [], leaseOwner: "b", releasingLease: true)
        }
        #expect(try other.get(uid: uid)?.leaseOwner == "a")
        let before = other.changeVersion().others
        try store.save(
            uid: uid, phase: .succeeded, startedAt: now, finishedAt: now, message: nil, progress: "1/1", outputs: [:],
            changedNodes: [], leaseOwner: "a", releasingLease: true)
        #expect(other.changeVersion().others == before + 1, "one commit")
        let stored = try #require(try other.get(uid: uid))
        #expect(stored.phase == .succeeded)
        #expect(stored.leaseOwner == nil)
        #expect(stored.leaseExpires == nil)
    }

    @Test(arguments: StoreFixture.all) func duplicateNamesAreRejectedPerNamespace(_ kind: StoreFixture) throws {
        let fixture = try kind.makeStore()
        defer { fixture.remove() }
        let store = try fixture.connect()
        try store.create(try StoreTests.workflow("same"))
        #expect(throws: ArgosyError.self) { try store.create(try StoreTests.workflow("same")) }
        try store.create(try StoreTests.workflow("same", namespace: "ops"))
        #expect(try store.list(namespace: nil).count == 2)
    }

    @Test(arguments: StoreFixture.all) func requestsAreTakenOnceInOrder(_ kind: StoreFixture) throws {
        let fixture = try kind.makeStore()
        defer { fixture.remove() }
        let store = try fixture.connect()
        let wf = try StoreTests.workflow("req")
        let uid = try #require(wf.metadata.uid)
        try store.create(wf)
        try store.addRequest(uid: uid, kind: "resume", argument: "approve")
        try store.addRequest(uid: uid, kind: "retry")
        #expect(try store.takeRequests(uid: uid).map(\.kind) == ["resume", "retry"])
        #expect(try store.takeRequests(uid: uid).isEmpty)
    }

    @Test(arguments: StoreFixture.all) func deletingAWorkflowRemovesItsRows(_ kind: StoreFixture) throws {
        let fixture = try kind.makeStore()
        defer { fixture.remove() }
        let store = try fixture.connect()
        let wf = try StoreTests.workflow("gone")
        try store.create(wf)
        #expect(try store.delete(uid: wf.metadata.uid!))
        #expect(try store.get(namespace: "default", name: "gone") == nil)
        #expect(try !store.delete(uid: wf.metadata.uid!))
    }

    @Test(arguments: StoreFixture.all) func secretsAndConfigMapsKeepTheirData(_ kind: StoreFixture) throws {
        let fixture = try kind.makeStore()
        defer { fixture.remove() }
        let store = try fixture.connect()
        let secret = KeyValueObject(
            kind: .secret, namespace: "default", name: "s", data: ["k": "dg=="], createdAt: Date())
        try store.createObject(secret)
        #expect(throws: ArgosyError.self) { try store.createObject(secret) }
        #expect(try store.object(.secret, namespace: "default", name: "s")?.data == ["k": "dg=="])
        #expect(try store.object(.configMap, namespace: "default", name: "s") == nil)
        #expect(try store.deleteObject(.secret, namespace: "default", name: "s"))
    }

    /// A lease another owner holds is reported until it lapses, for a controller to wait on instead of polling.
    @Test(arguments: StoreFixture.all) func theNextLeaseExpiryIsAnotherOwnersLiveLease(_ kind: StoreFixture) throws {
        let fixture = try kind.makeStore()
        defer { fixture.remove() }
        let store = try fixture.connect()
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let first = try StoreTests.workflow("first")
        let second = try StoreTests.workflow("second")
        try store.create(first, leaseOwner: "a", leaseUntil: now.addingTimeInterval(30))
        try store.create(second, leaseOwner: "b", leaseUntil: now.addingTimeInterval(20))
        #expect(try store.nextLeaseExpiry(after: now, excludingOwner: "a") == now.addingTimeInterval(20))
        #expect(try store.nextLeaseExpiry(after: now, excludingOwner: "b") == now.addingTimeInterval(30))
        #expect(try store.nextLeaseExpiry(after: now.addingTimeInterval(40), excludingOwner: "a") == nil)
        #expect(try store.leaseOwnersOfUnfinished() == ["a", "b"])
        try store.renewLeases(owner: "b", until: now.addingTimeInterval(50))
        #expect(try store.nextLeaseExpiry(after: now, excludingOwner: "a") == now.addingTimeInterval(50))
        try store.releaseLease(uid: try #require(second.metadata.uid), owner: "b")
        #expect(try store.nextLeaseExpiry(after: now, excludingOwner: "a") == nil)
        #expect(try store.orphanedWorkflows(now: now) == [second.metadata.uid])
    }

    /// A transaction is all or nothing, and every write (this connection's or another's) changes the version.
    @Test(arguments: StoreFixture.all) func aFailedTransactionLeavesNothingAndWritesChangeTheVersion(
        _ kind: StoreFixture
    ) throws {
        let fixture = try kind.makeStore()
        defer { fixture.remove() }
        let store = try fixture.connect()
        let other = try fixture.connect()
        let start = store.changeVersion()
        let half = try StoreTests.workflow("half")
        #expect(throws: ArgosyError.self) {
            try store.inTransaction { () throws(ArgosyError) in
                try store.create(half)
                throw ArgosyError(.invalid, "changed my mind")
            }
        }
        #expect(try other.list(namespace: nil).isEmpty)
        try store.create(try StoreTests.workflow("whole"))
        let own = store.changeVersion()
        #expect(own != start, "its own write")
        try other.create(try StoreTests.workflow("theirs"))
        #expect(store.changeVersion() != own, "another connection's commit")
        #expect(try store.list(namespace: nil).map(\.name).sorted() == ["theirs", "whole"])
    }

    /// A semaphore of two admits two holders; a third waits, and is admitted when one releases.
    @Test(arguments: StoreFixture.all) func locksAdmitUpToTheirLimitInPriorityOrder(_ kind: StoreFixture) throws {
        let fixture = try kind.makeStore()
        defer { fixture.remove() }
        let store = try fixture.connect()
        let other = try fixture.connect()
        let now = Date()
        let limits = ["default/semaphore/pool": 2]
        let keys = ["default/semaphore/pool"]
        #expect(try store.acquireLocks(keys: keys, limits: limits, holder: "w1", priority: 0, now: now) == nil)
        #expect(try other.acquireLocks(keys: keys, limits: limits, holder: "w2", priority: 0, now: now) == nil)
        let blocked = try #require(
            try store.acquireLocks(keys: keys, limits: limits, holder: "w3", priority: 0, now: now))
        #expect(blocked.key == "default/semaphore/pool" && blocked.held == 2 && blocked.limit == 2)
        #expect(try other.lockHolders(key: "default/semaphore/pool").sorted() == ["w1", "w2"])
        try other.releaseLocks(holder: "w1")
        #expect(try store.acquireLocks(keys: keys, limits: limits, holder: "w3", priority: 0, now: now) == nil)
        #expect(try store.lockHolders(key: "default/semaphore/pool").sorted() == ["w2", "w3"])
    }

    @Test(arguments: StoreFixture.all) func memoEntriesAreSharedAndReplaced(_ kind: StoreFixture) throws {
        let fixture = try kind.makeStore()
        defer { fixture.remove() }
        let store = try fixture.connect()
        let other = try fixture.connect()
        let saved = Date(timeIntervalSince1970: 1_800_000_000)
        var outputs = Outputs()
        outputs.parameters = [Parameter(name: "answer", value: "42")]
        try store.saveMemoEntry(namespace: "default", cache: "c", key: "k", nodeID: "n1", outputs: outputs, now: saved)
        let entry = try #require(try other.memoEntry(namespace: "default", cache: "c", key: "k"))
        #expect(entry.outputs?.parameters?.first?.value == "42")
        #expect(entry.savedAt == saved)
        #expect(try other.memoEntry(namespace: "ops", cache: "c", key: "k") == nil, "caches are per namespace")
        try other.saveMemoEntry(namespace: "default", cache: "c", key: "k", nodeID: "n2", outputs: nil, now: saved)
        #expect(try store.memoEntry(namespace: "default", cache: "c", key: "k")?.outputs == nil)
    }

    @Test(arguments: StoreFixture.all) func templatesAndCronStateRoundTrip(_ kind: StoreFixture) throws {
        let fixture = try kind.makeStore()
        defer { fixture.remove() }
        let store = try fixture.connect()
        let wf = try StoreTests.workflow("tpl")
        let manifest = try StoredManifest.encode(wf)
        try store.createResource(.workflowTemplate, namespace: "default", name: "tpl", manifest: manifest, now: Date())
        #expect(throws: ArgosyError.self) {
            try store.createResource(
                .workflowTemplate, namespace: "default", name: "tpl", manifest: manifest, now: Date())
        }
        #expect(try store.workflowTemplate("tpl", namespace: "default", cluster: false)?.spec.entrypoint == "main")
        #expect(try store.workflowTemplate("tpl", namespace: "default", cluster: true) == nil)
        #expect(try store.resources(.workflowTemplate, namespace: nil).map(\.name) == ["tpl"])
        var changed = wf
        changed.spec.entrypoint = "other"
        try store.updateResource(
            .workflowTemplate, namespace: "default", name: "tpl", manifest: try StoredManifest.encode(changed))
        #expect(try store.workflowTemplate("tpl", namespace: "default", cluster: false)?.spec.entrypoint == "other")
        try store.setCronState(["runs": 3], namespace: "default", name: "nightly")
        #expect(try store.cronState([String: Int].self, namespace: "default", name: "nightly") == ["runs": 3])
        try store.deleteCronState(namespace: "default", name: "nightly")
        #expect(try store.cronState([String: Int].self, namespace: "default", name: "nightly") == nil)
        #expect(try store.deleteResource(.workflowTemplate, namespace: "default", name: "tpl"))
        #expect(try store.resource(.workflowTemplate, namespace: "default", name: "tpl") == nil)
    }

    @Test(arguments: StoreFixture.all) func tokensAreFoundBySecretUntilRevoked(_ kind: StoreFixture) throws {
        let fixture = try kind.makeStore()
        defer { fixture.remove() }
        let store = try fixture.connect()
        let secret = try store.issueToken(name: "ci", namespaces: ["ops"], now: Date())
        let other = try fixture.connect()
        #expect(try other.token(secret: secret)?.namespaces == ["ops"])
        #expect(try other.token(secret: secret + "x") == nil)
        #expect(try store.tokens().map(\.name) == ["ci"])
        #expect(try other.revokeToken(name: "ci"))
        #expect(try store.token(secret: secret)?.revoked != false, "a revoked token no longer authenticates")
    }

    @Test(arguments: StoreFixture.all) func anArchivedWorkflowKeepsItsNodesAndComesBack(_ kind: StoreFixture) throws {
        let fixture = try kind.makeStore()
        defer { fixture.remove() }
        let store = try fixture.connect()
        let wf = try StoreTests.workflow("kept")
        let uid = try #require(wf.metadata.uid)
        try store.create(wf)
        var state = RunState()
        _ = Reconciler(workflow: wf).reconcile(&state, now: Date())
        try store.save(
            uid: uid, phase: .failed, startedAt: Date(), finishedAt: Date(), message: "no", progress: "0/1",
            outputs: [:], changedNodes: Array(state.nodes.values), leaseOwner: nil)
        try store.archive(uid: uid, now: Date())
        #expect(try store.get(uid: uid) == nil)
        let archived = try #require(try store.archived(id: "kept", namespace: "default"))
        #expect(archived.phase == .failed)
        #expect(archived.workflow.status?.nodes?.count == 1)
        #expect(try store.archived(namespace: nil).map(\.uid) == [uid])
        try store.restore(archived)
        #expect(try store.archived(namespace: nil).isEmpty)
        let back = try #require(try store.get(uid: uid))
        #expect(back.phase == .failed && back.nodes.count == 1)
    }
}
