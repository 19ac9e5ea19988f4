import ArgosyEngine
import ArgosyModel
import ArgosyTestSupport
import Foundation
import Testing

@Suite("Engine: exit handlers, suspend, stop, terminate, retry")
struct EngineLifecycleTests {
    static let withExit = """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: e}
        spec:
          entrypoint: main
          onExit: report
          templates:
          - name: main
            steps:
            - - {name: work, template: t}
          - name: t
            container: {image: alpine, command: ["true"]}
          - name: report
            container: {image: alpine, command: [echo, "{{workflow.status}} {{workflow.failures}}"]}
        """

    @Test(arguments: [(0, WorkflowPhase.succeeded), (1, WorkflowPhase.failed)])
    func exitHandlerRunsWithTheWorkflowStatus(code: Int, phase: WorkflowPhase) throws {
        var run = try EngineHarness(yaml: Self.withExit)
        run.script = { l in l.templateName == "t" ? .exit(code) : .exit(0) }
        try run.runToCompletion()
        #expect(run.phase == phase)
        let report = try #require(run.launches.last)
        #expect(report.nodeName == "e.onExit")
        let words = report.container.command!.last!
        #expect(words.hasPrefix(phase.rawValue + " "))
        if code != 0 {
            let failures = try JSONValue.parse(String(words.dropFirst(phase.rawValue.count + 1)))
            #expect(
                failures.arrayValue?.contains { $0["displayName"] == "work" && $0["message"] == "Error (exit code 1)" }
                    == true)
        } else {
            #expect(words == "Succeeded []")
        }
    }

    /// `workflow.duration` is the seconds since the workflow started, printed as Go's `%f` does.
    @Test func exitHandlerSeesTheDurationInSeconds() throws {
        let yaml = Self.withExit.replacingOccurrences(
            of: "\"{{workflow.status}} {{workflow.failures}}\"", with: "\"{{workflow.duration}}\"")
        for (seconds, printed) in [(1.25, "1.250000"), (90.0000004, "90.000000"), (0.5, "0.500000")] {
            var run = try EngineHarness(yaml: yaml)
            run.script = { l in .exit(0, after: l.templateName == "t" ? seconds : 1) }
            try run.runToCompletion()
            #expect(run.launches.last?.container.command?.last == printed)
        }
    }

    @Test func failingExitHandlerFailsASucceededWorkflow() throws {
        var run = try EngineHarness(yaml: Self.withExit)
        run.script = { l in l.templateName == "report" ? .exit(3) : .exit(0) }
        try run.runToCompletion()
        #expect(run.phase == .failed)
        #expect(run.state.message == "Error (exit code 3)")
    }

    @Test func stepExitHookRunsAfterTheStep() throws {
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: h}
            spec:
              entrypoint: main
              templates:
              - name: main
                steps:
                - - {name: work, template: t, hooks: {exit: {template: t}}}
                - - {name: next, template: t}
              - name: t
                container: {image: alpine, command: ["true"]}
            """
        var run = try EngineHarness(yaml: yaml)
        try run.runToCompletion()
        #expect(run.phase == .succeeded)
        #expect(run.launchedNames == ["work", "work.onExit", "next"])
        #expect(run.node("h[0].work")?.children?.contains(run.node("h[0].work.onExit")!.id) == true)
    }

    static let suspending = """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: s}
        spec:
          entrypoint: main
          templates:
          - name: main
            steps:
            - - {name: approve, template: wait}
            - - {name: deploy, template: t}
          - name: wait
            suspend: {}
          - name: timed
            suspend: {duration: "30"}
          - name: t
            container: {image: alpine, command: ["true"]}
        """

    @Test func suspendWaitsForResume() throws {
        var run = try EngineHarness(yaml: Self.suspending)
        run.reconcile()
        run.advance(3600)
        run.reconcile()
        #expect(run.node("approve")?.phase == .running)
        #expect(run.node("approve")?.type == .suspend)
        #expect(run.launches.isEmpty)
        #expect(run.reconciler.resume(&run.state, now: run.now) == 1)
        try run.runToCompletion()
        #expect(run.phase == .succeeded)
        #expect(run.launchedNames == ["deploy"])
    }

    @Test func suspendWithDurationResumesItself() throws {
        var run = try EngineHarness(
            yaml: Self.suspending.replacingOccurrences(of: "template: wait", with: "template: timed"))
        try run.runToCompletion()
        #expect(run.phase == .succeeded)
        let approve = try #require(run.node("approve"))
        #expect(approve.finishedAt == approve.startedAt?.addingTimeInterval(30))
    }

    static func stopping(_ strategy: String) throws -> EngineHarness {
        var run = try EngineHarness(yaml: withExit)
        run.script = { l in l.templateName == "t" ? .hang : .exit(0) }
        run.reconcile()
        var wf = run.reconciler.workflow
        wf.spec.shutdown = strategy
        run.reconciler = Reconciler(workflow: wf)
        try run.runToCompletion()
        return run
    }

    @Test func stopKillsStepsAndRunsExitHandlers() throws {
        let run = try Self.stopping("Stop")
        #expect(run.phase == .failed)
        #expect(run.state.message == "Stopped with strategy 'Stop'")
        #expect(run.kills.count == 1)
        #expect(run.node("work")?.message == "Stopped with strategy 'Stop'")
        #expect(run.node("e.onExit")?.phase == .succeeded)
    }

    @Test func terminateSkipsExitHandlers() throws {
        let run = try Self.stopping("Terminate")
        #expect(run.phase == .failed)
        #expect(run.state.message == "Stopped with strategy 'Terminate'")
        #expect(run.node("e.onExit") == nil)
    }

    @Test func workflowSuspendHoldsNewStepsOnly() throws {
        var run = try EngineHarness(yaml: EngineStepsTests.twoGroups)
        run.script = { _ in .exit(0, after: 1) }
        run.reconcile()
        var wf = run.reconciler.workflow
        wf.spec.suspend = true
        run.reconciler = Reconciler(workflow: wf)
        run.advance(1)
        run.reconcile()
        #expect(run.node("first")?.phase == .succeeded, "running steps finish")
        #expect(run.launches.count == 1, "no new step starts while suspended")
        wf.spec.suspend = nil
        run.reconciler = Reconciler(workflow: wf)
        try run.runToCompletion()
        #expect(run.phase == .succeeded)
    }

    @Test func retryRerunsOnlyFailedSteps() throws {
        var run = try EngineHarness(yaml: EngineStepsTests.twoGroups)
        var failRight = true
        run.script = { l in l.nodeName.hasSuffix(".right") && failRight ? .exit(1) : .exit(0) }
        try run.runToCompletion()
        #expect(run.phase == .failed)
        let launchedBefore = run.launches.count
        let removed = run.reconciler.prepareRetry(&run.state)
        #expect(removed == [Workflow.nodeID(workflowName: "wf", nodeName: "wf[1].right")])
        #expect(run.node("wf[1]")?.phase == .running)
        #expect(run.node("wf[0].first")?.phase == .succeeded)
        #expect(run.phase == .pending, "it takes its workflow locks again first")
        failRight = false
        try run.runToCompletion()
        #expect(run.phase == .succeeded)
        #expect(run.launchedNames[launchedBefore...] == ["right"])
        #expect(run.node("left")?.phase == .succeeded)
    }
}
