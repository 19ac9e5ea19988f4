import ArgosyEngine
import ArgosyModel
import ArgosyTestSupport
import Foundation
import Testing

/// Behaviours a review found wrong, each kept right by a test.
@Suite("Engine: review regressions")
struct ReviewRegressionTests {
    @Test func stopBeforeTheFirstStepEndsTheWorkflowAndFreesItsPlaceInTheQueue() throws {
        let locks = MemoryLocks()
        _ = try locks.acquire(
            [.mutex(name: "m", namespace: nil)], holder: "holder", namespace: "default", priority: 0, now: Date())
        var run = try EngineHarness(yaml: SynchronizationTests.workflow("queued", workflowSync: "{mutex: {name: m}}"))
        run.locks = locks
        run.reconcile()
        #expect(run.phase == .pending)
        var wf = run.reconciler.workflow
        wf.spec.shutdown = "Stop"
        run.reconciler = Reconciler(workflow: wf)
        try run.runToCompletion()
        #expect(run.phase == .failed)
        #expect(run.state.message == "Stopped with strategy 'Stop'")
        try locks.release(holder: "holder")
        // The stopped workflow no longer blocks the queue.
        var next = try EngineHarness(yaml: SynchronizationTests.workflow("next", workflowSync: "{mutex: {name: m}}"))
        next.locks = locks
        try next.runToCompletion()
        #expect(next.phase == .succeeded)
    }

    @Test func retryTakesTheWorkflowLockAgain() throws {
        let locks = MemoryLocks()
        var run = try EngineHarness(yaml: SynchronizationTests.workflow("again", workflowSync: "{mutex: {name: m}}"))
        run.locks = locks
        var fail = true
        run.script = { l in l.templateName == "critical" && fail ? .exit(1) : .exit(0) }
        try run.runToCompletion()
        #expect(run.phase == .failed)
        _ = try locks.acquire(
            [.mutex(name: "m", namespace: nil)], holder: "other", namespace: "default", priority: 0, now: run.now)
        run.reconciler.prepareRetry(&run.state)
        fail = false
        run.reconcile()
        #expect(run.phase == .pending, "waits for the lock another workflow holds")
        try locks.release(holder: "other")
        try run.runToCompletion()
        #expect(run.phase == .succeeded)
    }

    @Test func aGroupErrorStopsItsStillRunningSteps() throws {
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: early}
            spec:
              entrypoint: main
              parallelism: 1
              templates:
              - name: main
                steps:
                - - {name: slow, template: t}
                  - {name: bad, template: t, when: "{{=nosuchfunction()}} == 1"}
              - name: t
                container: {image: alpine, command: ["true"]}
            """
        var run = try EngineHarness(yaml: yaml)
        run.script = { _ in .hang }
        try run.runToCompletion()
        #expect(run.phase == .failed)
        #expect(run.running.isEmpty, "no step is left running")
        #expect(run.kills.count == 1)
    }

    @Test func dagTargetMayComeFromAParameter() throws {
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: targets}
            spec:
              entrypoint: main
              arguments: {parameters: [{name: target, value: B}]}
              templates:
              - name: main
                dag:
                  target: "{{workflow.parameters.target}}"
                  tasks:
                  - {name: A, template: t}
                  - {name: B, template: t, dependencies: [A]}
                  - {name: C, template: t}
              - name: t
                container: {image: alpine, command: ["true"]}
            """
        var run = try EngineHarness(yaml: yaml)
        try run.runToCompletion()
        #expect(run.phase == .succeeded, "\(run.tree)")
        #expect(Set(run.launchedNames) == ["A", "B"])
    }
}
