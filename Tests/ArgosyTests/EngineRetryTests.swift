import ArgosyEngine
import ArgosyModel
import ArgosyTestSupport
import Foundation
import Testing

@Suite("Engine: retries, timeouts, deadlines")
struct EngineRetryTests {
    static func workflow(retry: String, extra: String = "") -> String {
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: r}
        spec:
          entrypoint: flaky
          templates:
          - name: flaky
            retryStrategy: \(retry)
        \(extra)    container: {image: alpine, command: [sh, -c, "exit 1"]}
        """
    }

    @Test func retriesFailedStepUntilLimit() throws {
        var run = try EngineHarness(yaml: Self.workflow(retry: "{limit: 2}"))
        run.script = { _ in .exit(1) }
        try run.runToCompletion()
        #expect(run.phase == .failed)
        #expect(run.launches.count == 3)
        let retry = try #require(run.node("r"))
        #expect(retry.type == .retry)
        #expect(retry.message == "No more retries left")
        #expect(run.node("r(2)")?.phase == .failed)
    }

    /// `OnTransientError` retries a step whose process was lost (Argo's deleted pod), nothing else.
    @Test func onTransientErrorRetriesLostStepsOnly() throws {
        var lost = try EngineHarness(yaml: Self.workflow(retry: "{limit: 2, retryPolicy: OnTransientError}"))
        var attempt = 0
        lost.script = { _ in
            attempt += 1
            return attempt == 1 ? .error("pod deleted: the step's process was lost (its supervisor is gone)") : .exit(0)
        }
        try lost.runToCompletion()
        #expect(lost.phase == .succeeded)
        #expect(lost.launches.count == 2)

        var failed = try EngineHarness(yaml: Self.workflow(retry: "{limit: 2, retryPolicy: OnTransientError}"))
        failed.script = { _ in .exit(1) }
        try failed.runToCompletion()
        #expect(failed.phase == .failed)
        #expect(failed.launches.count == 1, "a failed exit is not transient")

        var missing = try EngineHarness(yaml: Self.workflow(retry: "{limit: 2, retryPolicy: OnTransientError}"))
        missing.script = { _ in .error("exec: no such program: nope") }
        try missing.runToCompletion()
        #expect(missing.phase == .error)
        #expect(missing.launches.count == 1, "an error that is not a lost process is not transient")
    }

    /// With an `expression` and no `retryPolicy`, Argo's policy is `Always`: an errored step is retried too.
    @Test func anExpressionWithoutAPolicyRetriesErrorsToo() throws {
        var run = try EngineHarness(
            yaml: Self.workflow(retry: "{limit: 1, expression: \"lastRetry.status == 'Error'\"}"))
        run.script = { _ in .error("exec: no such program: nope") }
        try run.runToCompletion()
        #expect(run.phase == .error)
        #expect(run.launches.count == 2, "the error is retried once, up to the limit")
    }

    /// A backoff factor that would overflow to an infinite wait is bounded by Go's longest duration.
    @Test func aHugeBackoffFactorDoesNotReachAnInfiniteDate() throws {
        var run = try EngineHarness(
            yaml: Self.workflow(retry: "{limit: 3, backoff: {duration: 1s, factor: 2000000000}}"))
        run.script = { _ in .exit(1, after: 1) }
        try run.runToCompletion()
        #expect(run.phase == .failed)
        let pods = run.state.nodes.values.filter { $0.type == .pod }.sorted { $0.name < $1.name }
        #expect(pods.count == 4)
        // Waits of 1 s, 2e9 s, then 4e18 s bounded to Go's longest duration.
        let waits = zip(pods.dropFirst(), pods).map { next, previous in
            (next.startedAt ?? .distantPast).timeIntervalSince(previous.finishedAt ?? .distantFuture)
        }
        #expect(waits.count == 3)
        #expect(waits.last.map { $0 <= ArgoDuration.maxSeconds + 1 && $0 >= ArgoDuration.maxSeconds - 1 } == true)
    }

    @Test func succeedsWhenAnAttemptSucceeds() throws {
        var run = try EngineHarness(yaml: Self.workflow(retry: "{limit: 5}"))
        var attempt = 0
        run.script = { _ in
            attempt += 1
            return attempt < 3 ? .exit(1) : .exit(0, stdout: "done")
        }
        try run.runToCompletion()
        #expect(run.phase == .succeeded)
        #expect(run.launches.count == 3)
        #expect(run.node("r")?.outputs?.result == "done")
    }

    @Test func backoffWaitsDurationTimesFactorPowers() throws {
        var run = try EngineHarness(yaml: Self.workflow(retry: "{limit: 3, backoff: {duration: 10s, factor: 2}}"))
        run.script = { _ in .exit(1, after: 1) }
        try run.runToCompletion()
        let starts = run.state.nodes.values.filter { $0.type == .pod }.sorted { $0.name < $1.name }.compactMap(
            \.startedAt)
        let ends = run.state.nodes.values.filter { $0.type == .pod }.sorted { $0.name < $1.name }.compactMap(
            \.finishedAt)
        #expect(starts.count == 4)
        // Waits of 10, 20, 40 seconds after each failure.
        #expect(starts[1].timeIntervalSince(ends[0]) == 10)
        #expect(starts[2].timeIntervalSince(ends[1]) == 20)
        #expect(starts[3].timeIntervalSince(ends[2]) == 40)
    }

    @Test func backoffShowsItsWaitOnTheRetryNode() throws {
        var run = try EngineHarness(yaml: Self.workflow(retry: "{limit: 1, backoff: {duration: 1m}}"))
        run.script = { _ in .exit(1, after: 1) }
        run.reconcile()
        run.advance(1)
        run.reconcile()
        #expect(run.node("r")?.message == "Backoff for 1m 0s")
        #expect(run.wakeAt == run.now.addingTimeInterval(60))
    }

    @Test func maxDurationStopsRetrying() throws {
        var run = try EngineHarness(
            yaml: Self.workflow(retry: "{limit: 10, backoff: {duration: 20s, maxDuration: 30s}}"))
        run.script = { _ in .exit(1, after: 1) }
        try run.runToCompletion()
        #expect(run.phase == .failed)
        #expect(run.launches.count == 2)
    }

    @Test(arguments: [
        ("OnFailure", false, 3), ("OnFailure", true, 1), ("OnError", false, 1), ("OnError", true, 3),
        ("Always", false, 3), ("Always", true, 3),
    ])
    func retryPolicyChoosesWhatIsRetried(policy: String, errors: Bool, expectedAttempts: Int) throws {
        var run = try EngineHarness(yaml: Self.workflow(retry: "{limit: 2, retryPolicy: \(policy)}"))
        run.script = { _ in errors ? .error("exec: no such program: x") : .exit(1) }
        try run.runToCompletion()
        #expect(run.launches.count == expectedAttempts)
        #expect(run.phase == (errors ? .error : .failed))
    }

    @Test func retryExpressionSeesLastRetry() throws {
        var run = try EngineHarness(
            yaml: Self.workflow(retry: "{limit: 5, expression: \"asInt(lastRetry.exitCode) == 75\"}"))
        var attempt = 0
        run.script = { _ in
            attempt += 1
            return .exit(attempt < 3 ? 75 : 2)
        }
        try run.runToCompletion()
        #expect(run.launches.count == 3)
        #expect(run.phase == .failed)
    }

    @Test func retriesVariableCountsAttempts() throws {
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: r}
            spec:
              entrypoint: t
              templates:
              - name: t
                retryStrategy: {limit: 2}
                container: {image: alpine, command: [echo, "attempt {{retries}}"]}
            """
        var run = try EngineHarness(yaml: yaml)
        run.script = { _ in .exit(1) }
        try run.runToCompletion()
        #expect(run.launches.map { $0.container.command!.last! } == ["attempt 0", "attempt 1", "attempt 2"])
    }

    @Test func activeDeadlineSecondsKillsTheStep() throws {
        var run = try EngineHarness(yaml: Self.workflow(retry: "{limit: 0}", extra: "    activeDeadlineSeconds: 5\n"))
        run.script = { _ in .hang }
        try run.runToCompletion()
        #expect(run.phase == .failed)
        #expect(run.kills.count == 1)
        let pod = try #require(run.node("r(0)"))
        #expect(pod.message == "Pod was active on the node longer than the specified deadline")
        #expect(pod.finishedAt == pod.startedAt?.addingTimeInterval(5))
    }

    @Test func timeoutKillsTheStepAndRetriesApply() throws {
        var run = try EngineHarness(yaml: Self.workflow(retry: "{limit: 1}", extra: "    timeout: 2s\n"))
        run.script = { _ in .hang }
        try run.runToCompletion()
        #expect(run.kills.count == 2)
        #expect(run.launches.count == 2)
        #expect(run.phase == .failed)
    }

    @Test func workflowDeadlineStopsEverything() throws {
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: w}
            spec:
              entrypoint: main
              activeDeadlineSeconds: 10
              onExit: cleanup
              templates:
              - name: main
                steps:
                - - {name: long, template: sleep}
                - - {name: never, template: sleep}
              - name: sleep
                container: {image: alpine, command: [sleep, "100"]}
              - name: cleanup
                container: {image: alpine, command: ["true"]}
            """
        var run = try EngineHarness(yaml: yaml)
        run.script = { l in l.templateName == "cleanup" ? .exit(0) : .hang }
        try run.runToCompletion()
        #expect(run.phase == .failed)
        #expect(run.state.message == "Step exceeded its deadline")
        #expect(run.node("long")?.message == "Step exceeded its deadline")
        #expect(run.node("never") == nil)
        #expect(run.node("w.onExit")?.phase == .succeeded, "exit handlers still run after a deadline")
        #expect(run.node("long")?.finishedAt == Date(timeIntervalSince1970: 1_800_000_010))
    }
}
