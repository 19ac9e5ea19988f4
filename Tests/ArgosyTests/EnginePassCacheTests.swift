import ArgosyEngine
import ArgosyModel
import ArgosyTestSupport
import Foundation
import Testing

/// What a pass reuses from earlier passes (finished step groups' variables, a DAG loop's items and finished
/// children, the dependency a task waits for) must never change what the workflow does.
@Suite("Engine: pass cache")
struct EnginePassCacheTests {
    /// A long chain whose last step reads the first step's output and the workflow's status, one pass per step.
    @Test func aLongStepsChainStillSeesEveryEarlierStep() throws {
        var groups = "        - - {name: s0, template: say, arguments: {parameters: [{name: m, value: first}]}}\n"
        for i in 1..<30 {
            groups +=
                "        - - {name: s\(i), template: say, arguments: {parameters: [{name: m, value: \"{{steps.s\(i - 1).outputs.result}}\"}]}}\n"
        }
        groups +=
            "        - - {name: last, template: say, arguments: {parameters: [{name: m, value: \"{{steps.s0.outputs.result}}/{{steps.s29.outputs.result}}/{{workflow.status}}\"}]}}\n"
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: chain}
            spec:
              entrypoint: main
              templates:
              - name: main
                steps:
            \(groups)
              - name: say
                inputs: {parameters: [{name: m}]}
                container: {image: alpine, command: [echo, "{{inputs.parameters.m}}"]}
            """
        var run = try EngineHarness(yaml: yaml)
        run.script = { l in .exit(0, stdout: l.container.command?.last ?? "", after: 1) }
        try run.runToCompletion()
        #expect(run.phase == .succeeded)
        #expect(run.launches.count == 31)
        #expect(run.launches[29].container.command?.last == "first", "each step passed the first value on")
        #expect(run.launches.last?.container.command?.last == "first/first/Running")
    }

    /// A wide DAG loop under the workflow's `parallelism`: items wait for a slot (refused before their scope is
    /// built) and start in order as slots free; a `when` still skips items at once, slots or not.
    @Test func aWideDAGLoopStartsItsItemsInOrderAsSlotsFree() throws {
        var yaml = EngineDAGTests.dag(
            """
                  - {name: fan, template: t, withSequence: {count: "12"}}
                  - {name: odd, template: t, withSequence: {count: "6"}, when: "{{item}} != 2"}
            """)
        yaml = yaml.replacingOccurrences(of: "  entrypoint: main\n", with: "  entrypoint: main\n  parallelism: 3\n")
        var run = try EngineHarness(yaml: yaml)
        run.script = { _ in .exit(0, after: 1) }
        run.reconcile()
        #expect(run.running.count == 3)
        #expect(run.node("d.odd(2:2)")?.phase == .skipped, "a when is decided even while the pods are at their limit")
        try run.runToCompletion()
        #expect(run.phase == .succeeded)
        #expect(run.peakRunning == 3)
        #expect(run.launches.count == 17, "12 + 5 items ran, the skipped one did not")
        #expect(
            run.launchedNames.filter { $0.hasPrefix("fan(") } == (0..<12).map { "fan(\($0):\($0))" },
            "items start in order")
    }

    /// Loop items finishing out of order, one failing: the group waits for all of them and then fails.
    @Test func aDAGLoopWhoseItemsFinishOutOfOrderEndsWhenAllHave() throws {
        let yaml = EngineDAGTests.dag(
            """
                  - {name: fan, template: t, withSequence: {count: "5"}, arguments: {parameters: [{name: m, value: "{{item}}"}]}}
                  - {name: after, template: t, dependencies: [fan]}
            """)
        var run = try EngineHarness(yaml: yaml)
        run.script = { _ in .hang }
        run.reconcile()
        #expect(run.running.count == 5)
        for item in [4, 2, 3] {
            run.finish("fan(\(item):\(item))", exitCode: item == 3 ? 1 : 0)
            run.reconcile()
            #expect(run.node("d.fan")?.phase == .running, "item \(item) finished, the loop goes on")
        }
        run.finish("fan(0:0)")
        run.reconcile()
        #expect(run.node("d.fan")?.phase == .running)
        run.finish("fan(1:1)")
        run.reconcile()
        #expect(run.node("d.fan")?.phase == .failed)
        #expect(run.node("d.after") == nil || run.node("d.after")?.phase == .omitted)
        #expect(run.phase == .failed)
    }

    /// A task waiting on two dependencies starts only once the later one finished, in the pass it did.
    @Test func aTaskWaitingForTwoDependenciesStartsWhenTheLaterFinishes() throws {
        let yaml = EngineDAGTests.dag(
            """
                  - {name: A, template: t}
                  - {name: B, template: t}
                  - {name: C, template: t, dependencies: [A, B]}
            """)
        var run = try EngineHarness(yaml: yaml)
        run.script = { _ in .hang }
        run.reconcile()
        #expect(Set(run.launchedNames) == ["A", "B"])
        run.finish("A")
        run.reconcile()
        run.reconcile()
        #expect(run.node("d.C") == nil, "B still runs")
        run.finish("B")
        run.reconcile()
        #expect(run.launchedNames.last == "C")
        run.finish("C")
        run.reconcile()
        #expect(run.phase == .succeeded)
    }

    /// Ready steps held back by the workflow's parallelism start one by one as slots free, in the walk's order;
    /// a task whose depends cannot hold is still omitted.
    @Test func readyStepsWaitForSlotsAndOmittedOnesStillEnd() throws {
        var tasks = "      - {name: A, template: t}\n"
        for i in 0..<6 { tasks += "      - {name: B\(i), template: t, dependencies: [A]}\n" }
        tasks += "      - {name: onFail, template: t, depends: \"A.Failed\"}\n"
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: d}
            spec:
              entrypoint: main
              parallelism: 2
              templates:
              - name: main
                dag:
                  tasks:
            \(tasks)
              - name: t
                container: {image: alpine, command: [echo]}
            """
        var run = try EngineHarness(yaml: yaml)
        run.script = { _ in .exit(0, after: 1) }
        try run.runToCompletion()
        #expect(run.phase == .succeeded)
        #expect(run.peakRunning <= 2)
        #expect(run.launchedNames == ["A", "B0", "B1", "B2", "B3", "B4", "B5"])
        #expect(run.node("d.onFail")?.phase == .omitted)
    }

    /// A step whose inputs cannot resolve errors at once, even while the workflow's pods are at their limit.
    @Test func anInputErrorIsNotHeldBackByParallelism() throws {
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: d}
            spec:
              entrypoint: main
              parallelism: 1
              templates:
              - name: main
                dag:
                  tasks:
                  - {name: a-slow, template: t}
                  - {name: b-bad, template: picky, arguments: {parameters: [{name: size, value: huge}]}}
              - name: t
                container: {image: alpine, command: [echo]}
              - name: picky
                inputs: {parameters: [{name: size, enum: [small, large]}]}
                container: {image: alpine, command: [echo, "{{inputs.parameters.size}}"]}
            """
        var run = try EngineHarness(yaml: yaml)
        run.script = { _ in .hang }
        run.reconcile()
        #expect(run.running.count == 1)
        let bad = try #require(run.node("d.b-bad"), "the slow task took the only slot first")
        #expect(bad.phase == .error)
        #expect(bad.message?.contains("is not one of small, large") == true, "\(bad.message ?? "")")
    }
}
