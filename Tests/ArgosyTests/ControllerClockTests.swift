import ArgosyController
import ArgosyModel
import ArgosyStore
import ArgosyTestSupport
import Foundation
import Testing

/// The controller's timers on a manual clock: backoffs, deadlines, lease expiry and a failed commit's second try
/// happen when the clock says so, and the tests never sleep for them.
@Suite("Controller on a manual clock")
struct ControllerClockTests {
    typealias Home = ControllerTests.Home

    static let flaky = """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: flaky}
        spec:
          entrypoint: main
          templates:
          - name: main
            retryStrategy: {limit: 1, backoff: {duration: "60"}}
            container: {image: alpine, command: [sh, -c, "exit 1"]}
        """

    static let bounded = """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: bounded}
        spec:
          entrypoint: main
          activeDeadlineSeconds: 300
          templates:
          - name: main
            container: {image: alpine, command: [sleep, "9999"]}
        """

    @Test func aRetryWaitsForItsBackoffOnTheClock() async throws {
        let home = try Home()
        defer { home.remove() }
        let clock = ManualClock()
        // The first attempt fails, the retry succeeds.
        let runtime = ScriptedRuntime(clock: clock) { launch in
            launch.nodeName.hasSuffix("(0)") ? .exit(1) : .exit(0)
        }
        let wf = try home.prepare(Self.flaky)
        let controller = home.controller(runtime, only: [uid(wf)], clock: clock)
        _ = try controller.submit(wf)
        let run = Task { try await controller.run() }

        try await Self.waitUntilWaiting(clock) { runtime.launches.count == 1 && runtime.running.isEmpty }
        clock.advance(by: 59)
        try await Self.waitUntilWaiting(clock) { true }
        #expect(runtime.launches.count == 1, "the retry waits for its 60 s backoff")

        clock.advance(by: 2)
        try await run.value
        #expect(runtime.launches.map(\.nodeName) == ["flaky(0)", "flaky(1)"])
        let stored = try #require(try home.store.get(uid: uid(wf)))
        #expect(stored.phase == .succeeded)
    }

    @Test func aDeadlinePassingOnTheClockKillsTheRunningStep() async throws {
        let home = try Home()
        defer { home.remove() }
        let clock = ManualClock()
        let runtime = ScriptedRuntime(clock: clock) { _ in nil }  // runs until killed
        let wf = try home.prepare(Self.bounded)
        let controller = home.controller(runtime, only: [uid(wf)], clock: clock)
        _ = try controller.submit(wf)
        let run = Task { try await controller.run() }

        try await Self.waitUntilWaiting(clock) { runtime.running.count == 1 }
        clock.advance(by: 299)
        try await Self.waitUntilWaiting(clock) { true }
        #expect(runtime.kills.isEmpty, "300 s have not passed")

        clock.advance(by: 2)
        try await run.value
        #expect(runtime.kills.count == 1)
        let stored = try #require(try home.store.get(uid: uid(wf)))
        #expect(stored.phase == .failed)
        #expect(stored.message?.contains("deadline") == true, "message: \(stored.message ?? "")")
    }

    @Test func aLeaseLapsingOnTheClockIsAdoptedAndItsStepLaunchedUnderTheSameKey() async throws {
        let home = try Home()
        defer { home.remove() }
        let clock = ManualClock()
        let wf = try home.prepare(ControllerTests.slow)
        let first = ScriptedRuntime(clock: clock) { _ in nil }
        let controller = home.controller(first, only: [uid(wf)], clock: clock)
        _ = try controller.submit(wf)
        let run = Task { try await controller.run() }
        try await Self.waitUntilWaiting(clock) { first.running.count == 1 }
        controller.stop()
        try await run.value

        // A controller on another host holds the lease and then goes silent: nobody may take the workflow over
        // until its lease lapses.
        let lapse = clock.now.addingTimeInterval(30)
        #expect(try home.store.acquireLease(uid: uid(wf), owner: "elsewhere:42:gone", until: lapse, now: clock.now))
        let second = ScriptedRuntime(clock: clock) { _ in .exit(0) }
        let adopter = WorkflowController(
            store: home.store, options: home.options, scope: .all(idleExit: nil), runtime: second, clock: clock)
        let adopting = Task { try await adopter.run() }
        defer { adopting.cancel() }
        try await Self.waitUntilWaiting(clock) { true }
        clock.advance(by: 29)
        try await Self.waitUntilWaiting(clock) { true }
        #expect(second.launches.isEmpty, "the lease is live for another second")

        clock.advance(by: 2)
        try await ControllerTests.waitFor { (try? home.store.get(uid: uid(wf)))??.phase == .succeeded }
        #expect(second.launches.map(\.idempotencyKey) == first.launches.map(\.idempotencyKey))
        adopter.stop()
        try await adopting.value
    }

    @Test func aFailedCommitStartsNoStepAndIsTriedAgainOnTheClock() async throws {
        let home = try Home()
        defer { home.remove() }
        let clock = ManualClock()
        let runtime = ScriptedRuntime(clock: clock) { _ in .exit(0) }
        let wf = try home.prepare(ControllerTests.dag)
        let logged = LogRecorder()
        let controller = WorkflowController(
            store: home.store, options: home.options, scope: .only([uid(wf)]), runtime: runtime, clock: clock,
            logger: logged.logger())
        _ = try controller.submit(wf)
        // The store refuses every commit of a pass (a real SQLite failure, from another connection).
        let other = try SQLiteStore(home: home.url)
        try other.database.query(
            "CREATE TRIGGER refuse BEFORE UPDATE OF progress ON workflows BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
        )
        let run = Task { try await controller.run() }

        try await Self.waitUntilWaiting(clock) {
            logged.entries.contains { $0.metadata["error"]?.contains("disk on fire") == true }
        }
        let failure = try #require(logged.entries.first { $0.metadata["error"]?.contains("disk on fire") == true })
        #expect(failure.level == .warning)
        #expect(failure.metadata["workflow.uid"] == uid(wf))
        #expect(failure.metadata["workflow.name"] == wf.metadata.name)
        #expect(runtime.launches.isEmpty, "a step starts only after the pass that created it is committed")
        try other.database.query("DROP TRIGGER refuse")

        clock.advance(by: 1)
        try await run.value
        #expect(runtime.launches.map(\.nodeName).sorted() == ["fan.a", "fan.b", "fan.c"], "each step once")
        let stored = try #require(try home.store.get(uid: uid(wf)))
        #expect(stored.phase == .succeeded)
    }

    func uid(_ wf: Workflow) -> String { wf.metadata.uid ?? "" }

    /// Waits (in real time, for at most 10 s) until `condition` holds and the controller waits on the clock for a
    /// deadline still ahead: it has done all it can until the clock moves.
    static func waitUntilWaiting(_ clock: ManualClock, _ condition: () -> Bool) async throws {
        try await ControllerTests.waitFor {
            guard condition(), let next = clock.nextDeadline else { return false }
            return next > clock.now
        }
    }
}
