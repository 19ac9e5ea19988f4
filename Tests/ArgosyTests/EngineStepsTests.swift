import ArgosyEngine
import ArgosyModel
import ArgosyTestSupport
import Foundation
import Testing

@Suite("Engine: steps")
struct EngineStepsTests {
    static let twoGroups = """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {generateName: s-}
        spec:
          entrypoint: main
          templates:
          - name: main
            steps:
            - - {name: first, template: echo, arguments: {parameters: [{name: m, value: one}]}}
            - - {name: left, template: echo, arguments: {parameters: [{name: m, value: "{{steps.first.outputs.result}}-l"}]}}
              - {name: right, template: echo, arguments: {parameters: [{name: m, value: r}]}}
          - name: echo
            inputs: {parameters: [{name: m}]}
            container: {image: alpine, command: [echo, "{{inputs.parameters.m}}"]}
        """

    @Test func runsGroupsInOrderAndStepsOfAGroupInParallel() throws {
        var run = try EngineHarness(yaml: Self.twoGroups)
        run.script = { l in .exit(0, stdout: (l.container.command ?? []).last! + "\n") }
        run.reconcile()
        #expect(run.launchedNames == ["first"])
        run.advance(1)
        run.reconcile()
        #expect(Set(run.launchedNames.dropFirst()) == ["left", "right"])
        #expect(run.running.count == 2)
        try run.runToCompletion()
        #expect(run.phase == .succeeded)
        let left = try #require(run.launches.first { $0.nodeName.hasSuffix(".left") })
        #expect(left.container.command == ["echo", "one-l"])
    }

    @Test func namesNodesAsArgoDoes() throws {
        var run = try EngineHarness(yaml: Self.twoGroups)
        try run.runToCompletion()
        let names = Set(run.state.nodes.values.map(\.name))
        #expect(names == ["wf", "wf[0]", "wf[0].first", "wf[1]", "wf[1].left", "wf[1].right"])
        let first = try #require(run.node("wf[0].first"))
        #expect(first.id == Workflow.nodeID(workflowName: "wf", nodeName: "wf[0].first"))
        #expect(first.podName == "wf-echo-\(first.id.dropFirst(3))")
        #expect(run.node("wf")?.type == .steps)
        #expect(run.node("wf[1]")?.type == .stepGroup)
        // The second group hangs off the first group's step.
        #expect(first.children == [run.node("wf[1]")!.id])
    }

    @Test func failedStepFailsTheWorkflowWithArgosMessages() throws {
        var run = try EngineHarness(yaml: Self.twoGroups)
        run.script = { l in l.nodeName.hasSuffix(".first") ? .exit(2) : .exit(0) }
        try run.runToCompletion()
        #expect(run.phase == .failed)
        let first = try #require(run.node("first"))
        #expect(first.phase == .failed)
        #expect(first.message == "Error (exit code 2)")
        #expect(run.node("wf[0]")?.message == "child '\(first.id)' failed")
        #expect(run.state.message == "child '\(first.id)' failed")
        #expect(run.node("left") == nil, "later groups must not start")
    }

    @Test func continueOnFailedLetsTheWorkflowGoOn() throws {
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: c}
            spec:
              entrypoint: main
              templates:
              - name: main
                steps:
                - - {name: flaky, template: t, continueOn: {failed: true}}
                - - {name: after, template: t}
              - name: t
                container: {image: alpine, command: ["true"]}
            """
        var run = try EngineHarness(yaml: yaml)
        run.script = { l in l.nodeName.contains("flaky") ? .exit(1) : .exit(0) }
        try run.runToCompletion()
        #expect(run.phase == .succeeded)
        #expect(run.node("flaky")?.phase == .failed)
        #expect(run.node("after")?.phase == .succeeded)
    }

    @Test(arguments: [("heads", "heads-step"), ("tails", "tails-step")])
    func whenComparesBareWordsAsStrings(result: String, expected: String) throws {
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: coin}
            spec:
              entrypoint: main
              templates:
              - name: main
                steps:
                - - {name: flip, template: t}
                - - {name: heads-step, template: t, when: "{{steps.flip.outputs.result}} == heads"}
                  - {name: tails-step, template: t, when: "{{steps.flip.outputs.result}} == tails"}
              - name: t
                container: {image: alpine, command: ["true"]}
            """
        var run = try EngineHarness(yaml: yaml)
        run.script = { l in .exit(0, stdout: l.nodeName.hasSuffix("flip") ? result + "\n" : "") }
        try run.runToCompletion()
        #expect(run.phase == .succeeded)
        #expect(run.node(expected)?.phase == .succeeded)
        let other = expected == "heads-step" ? "tails-step" : "heads-step"
        #expect(run.node(other)?.phase == .skipped)
        #expect(run.node(other)?.type == .skipped)
        #expect(run.node(other)?.message == "when '\(result) == \(other.dropLast(5))' evaluated false")
    }

    @Test func recursionRunsUntilTheConditionStops() throws {
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: coinflip}
            spec:
              entrypoint: flip-until-heads
              templates:
              - name: flip-until-heads
                steps:
                - - {name: flip, template: flip}
                - - {name: again, template: flip-until-heads, when: "{{steps.flip.outputs.result}} == tails"}
              - name: flip
                script: {image: python:3, command: [python3], source: "print('x')"}
            """
        var run = try EngineHarness(yaml: yaml)
        var flips = 0
        run.script = { _ in
            flips += 1
            return .exit(0, stdout: flips < 4 ? "tails" : "heads")
        }
        try run.runToCompletion()
        #expect(run.phase == .succeeded)
        #expect(run.launches.count == 4)
        #expect(run.node("coinflip[1].again[1].again[1].again[0].flip")?.phase == .succeeded)
        #expect(run.node("coinflip[1].again[1].again[1].again[1].again")?.phase == .skipped)
        #expect(run.launches.allSatisfy { $0.scriptSource == "print('x')" })
    }

    @Test func workflowParallelismCapsRunningPods() throws {
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: p}
            spec:
              entrypoint: main
              parallelism: 2
              templates:
              - name: main
                steps:
                - - {name: fan, template: t, withSequence: {count: "7"}}
              - name: t
                container: {image: alpine, command: ["true"]}
            """
        var run = try EngineHarness(yaml: yaml)
        try run.runToCompletion()
        #expect(run.phase == .succeeded)
        #expect(run.launches.count == 7)
        #expect(run.peakRunning == 2)
    }

    @Test func templateParallelismCapsChildrenOfTheSteps() throws {
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: p}
            spec:
              entrypoint: main
              templates:
              - name: main
                parallelism: 3
                steps:
                - - {name: fan, template: t, withItems: [a, b, c, d, e, f, g, h]}
              - name: t
                container: {image: alpine, command: ["true"]}
            """
        var run = try EngineHarness(yaml: yaml)
        try run.runToCompletion()
        #expect(run.phase == .succeeded)
        #expect(run.peakRunning == 3)
        #expect(run.node("fan(7:h)")?.phase == .succeeded)
    }

    @Test func failFastStopsStartingNewLoopChildren() throws {
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: ff}
            spec:
              entrypoint: main
              templates:
              - name: main
                parallelism: 1
                failFast: true
                steps:
                - - {name: fan, template: t, withItems: [a, b, c]}
              - name: t
                container: {image: alpine, command: ["true"]}
            """
        var run = try EngineHarness(yaml: yaml)
        run.script = { _ in .exit(1) }
        try run.runToCompletion()
        #expect(run.phase == .failed)
        #expect(run.launches.count == 1)
        #expect(run.node("ff[0]")?.message == "template has failed or errored children and failFast enabled")
    }
}

@Suite("Engine: the pass's clock")
struct EngineClockTests {
    /// `now()` in an expression is the pass's time (the harness's manual clock), not the system's.
    @Test func nowInExpressionsIsThePassesTime() throws {
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: clock}
            spec:
              entrypoint: main
              templates:
              - name: main
                steps:
                - - {name: first, template: stamp}
                - - {name: second, template: stamp}
              - name: stamp
                container: {image: alpine, command: [echo, "{{=now().Unix()}}", "{{=now().Year()}}"]}
            """
        var run = try EngineHarness(yaml: yaml, start: Date(timeIntervalSince1970: 1_800_000_000))
        run.script = { _ in .exit(0, after: 3600) }
        try run.runToCompletion()
        #expect(run.phase == .succeeded)
        let commands = run.launches.map { $0.container.command ?? [] }
        #expect(commands == [["echo", "1800000000", "2027"], ["echo", "1800003600", "2027"]])
    }
}
