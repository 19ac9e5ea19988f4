import ArgosyEngine
import ArgosyModel
import ArgosyTestSupport
import Foundation
import Testing

@Suite("Engine: DAG")
struct EngineDAGTests {
    static func dag(_ tasks: String, failFast: Bool? = nil, target: String? = nil) -> String {
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: d}
        spec:
          entrypoint: main
          templates:
          - name: main
            dag:
        \(failFast.map { "      failFast: \($0)\n" } ?? "")\(target.map { "      target: \($0)\n" } ?? "")      tasks:
        \(tasks)
          - name: t
            inputs: {parameters: [{name: m, default: x}]}
            container: {image: alpine, command: [echo, "{{inputs.parameters.m}}"]}
        """
    }

    /// A loop's `withSequence` may take its count from a task it depends on.
    @Test func sequenceCountFromAnotherTask() throws {
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: s}
            spec:
              entrypoint: main
              templates:
              - name: main
                dag:
                  tasks:
                  - {name: count, template: t}
                  - {name: each, template: t, dependencies: [count], withSequence: {count: "{{tasks.count.outputs.result}}"}}
              - name: t
                container: {image: alpine, command: ["true"]}
            """
        var run = try EngineHarness(yaml: yaml)
        run.script = { l in .exit(0, stdout: l.nodeName == "s.count" ? "3" : "") }
        try run.runToCompletion()
        #expect(run.phase == .succeeded)
        #expect(run.launchedNames.filter { $0.hasPrefix("each(") }.count == 3, "\(run.launchedNames)")
    }

    @Test func diamondRunsInDependencyOrder() throws {
        let yaml = Self.dag(
            """
                  - {name: A, template: t}
                  - {name: B, template: t, dependencies: [A]}
                  - {name: C, template: t, dependencies: [A]}
                  - {name: D, template: t, dependencies: [B, C], arguments: {parameters: [{name: m, value: "{{tasks.B.outputs.result}}+{{tasks.C.outputs.result}}"}]}}
            """)
        var run = try EngineHarness(yaml: yaml)
        run.script = { l in .exit(0, stdout: String(l.nodeName.split(separator: ".").last!)) }
        try run.runToCompletion()
        #expect(run.phase == .succeeded)
        #expect(run.launchedNames.first == "A")
        #expect(Set(run.launchedNames[1...2]) == ["B", "C"])
        #expect(run.launchedNames.last == "D")
        #expect(run.launches.last?.container.command == ["echo", "B+C"])
        // D hangs off both B and C, as Argo links DAG nodes.
        let d = try #require(run.node("d.D"))
        #expect(run.node("d.B")?.children == [d.id])
        #expect(run.node("d.C")?.children == [d.id])
        #expect(run.node("d")?.outboundNodes == [d.id])
    }

    @Test func dependsRunsFailureHandlersAndOmitsTheRest() throws {
        let yaml = Self.dag(
            """
                  - {name: A, template: t}
                  - {name: onFail, template: t, depends: "A.Failed"}
                  - {name: onSuccess, template: t, depends: "A"}
                  - {name: either, template: t, depends: "A.Succeeded || A.Failed"}
            """)
        var run = try EngineHarness(yaml: yaml)
        run.script = { l in l.nodeName == "d.A" ? .exit(1) : .exit(0) }
        try run.runToCompletion()
        #expect(run.node("onFail")?.phase == .succeeded)
        #expect(run.node("either")?.phase == .succeeded)
        #expect(run.node("onSuccess")?.phase == .omitted)
        #expect(run.node("onSuccess")?.message == "omitted: depends condition not met")
        // The omitted target inherits its branch's failure.
        #expect(run.phase == .failed)
    }

    @Test func failedDependencyFailsDagEvenWhenItIsNotATarget() throws {
        let yaml = Self.dag(
            """
                  - {name: A, template: t}
                  - {name: B, template: t, dependencies: [A]}
            """)
        var run = try EngineHarness(yaml: yaml)
        run.script = { l in l.nodeName == "d.A" ? .exit(1) : .exit(0) }
        try run.runToCompletion()
        #expect(run.phase == .failed)
        #expect(run.node("B")?.phase == .omitted)
        #expect(run.launches.count == 1)
    }

    @Test func failFastStopsStartingIndependentBranches() throws {
        let yaml = Self.dag(
            """
                  - {name: bad, template: t}
                  - {name: slow, template: t}
                  - {name: later, template: t, dependencies: [slow]}
            """)
        var run = try EngineHarness(yaml: yaml)
        run.script = { l in l.nodeName == "d.bad" ? .exit(1, after: 1) : .exit(0, after: 5) }
        try run.runToCompletion()
        #expect(run.phase == .failed)
        #expect(run.node("slow")?.phase == .succeeded, "running tasks finish")
        #expect(run.node("later") == nil, "no new task starts after a failure")
    }

    @Test func failFastFalseRunsEveryBranch() throws {
        let yaml = Self.dag(
            """
                  - {name: bad, template: t}
                  - {name: slow, template: t}
                  - {name: later, template: t, dependencies: [slow]}
            """, failFast: false)
        var run = try EngineHarness(yaml: yaml)
        run.script = { l in l.nodeName == "d.bad" ? .exit(1, after: 1) : .exit(0, after: 5) }
        try run.runToCompletion()
        #expect(run.phase == .failed)
        #expect(run.node("later")?.phase == .succeeded)
    }

    @Test func continueOnTargetDoesNotFailTheDag() throws {
        let yaml = Self.dag(
            """
                  - {name: A, template: t, continueOn: {failed: true}}
                  - {name: B, template: t, dependencies: [A]}
            """)
        var run = try EngineHarness(yaml: yaml)
        run.script = { l in l.nodeName == "d.A" ? .exit(1) : .exit(0) }
        try run.runToCompletion()
        #expect(run.node("B")?.phase == .succeeded)
        #expect(run.phase == .succeeded)
    }

    @Test func loopTaskAggregatesOutputsAndAnySucceeded() throws {
        let yaml = Self.dag(
            """
                  - {name: fan, template: t, withItems: [1, 2, 3], arguments: {parameters: [{name: m, value: "{{item}}"}]}}
                  - {name: sum, template: t, depends: "fan.AnySucceeded", arguments: {parameters: [{name: m, value: "{{tasks.fan.outputs.result}}"}]}}
            """)
        var run = try EngineHarness(yaml: yaml)
        run.script = { l in
            let m = l.container.command!.last!
            return m == "2" ? .exit(1) : .exit(0, stdout: m)
        }
        try run.runToCompletion()
        #expect(run.node("fan")?.type == .taskGroup)
        #expect(run.node("fan")?.phase == .failed)
        #expect(run.node("fan(0:1)")?.phase == .succeeded)
        #expect(run.node("sum")?.phase == .succeeded)
        #expect(run.launches.last?.container.command == ["echo", "[1,3]"])
    }

    @Test func emptyWithParamSkipsTheTask() throws {
        let yaml = Self.dag(
            """
                  - {name: list, template: t}
                  - {name: each, template: t, dependencies: [list], withParam: "{{tasks.list.outputs.result}}"}
            """)
        var run = try EngineHarness(yaml: yaml)
        run.script = { l in .exit(0, stdout: l.nodeName == "d.list" ? "[]" : "") }
        try run.runToCompletion()
        #expect(run.phase == .succeeded)
        #expect(run.node("each")?.phase == .skipped)
        #expect(run.node("each")?.message == "Skipped, empty params")
    }

    @Test func targetRunsOnlyWhatItNeeds() throws {
        let yaml = Self.dag(
            """
                  - {name: A, template: t}
                  - {name: B, template: t, dependencies: [A]}
                  - {name: C, template: t}
            """, target: "B")
        var run = try EngineHarness(yaml: yaml)
        try run.runToCompletion()
        #expect(run.phase == .succeeded)
        #expect(Set(run.launchedNames) == ["A", "B"])
    }

    @Test func whenFalseSkipsAndDependentsStillRun() throws {
        let yaml = Self.dag(
            """
                  - {name: A, template: t, when: "1 > 2"}
                  - {name: B, template: t, dependencies: [A]}
            """)
        var run = try EngineHarness(yaml: yaml)
        try run.runToCompletion()
        #expect(run.node("A")?.phase == .skipped)
        #expect(run.node("B")?.phase == .succeeded)
        #expect(run.phase == .succeeded)
    }
}
