import ArgosyEngine
import ArgosyModel
import ArgosyTestSupport
import Foundation
import Testing

@Suite("Memoization")
struct MemoizationTests {
    static let yaml = """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: memo}
        spec:
          entrypoint: main
          arguments: {parameters: [{name: region, value: eu-west-1}]}
          templates:
          - name: main
            steps:
            - - {name: inventory, template: inventory, arguments: {parameters: [{name: region, value: "{{workflow.parameters.region}}"}]}}
            - - {name: use, template: use, arguments: {parameters: [{name: count, value: "{{steps.inventory.outputs.result}}"}]}}
          - name: inventory
            inputs: {parameters: [{name: region}]}
            memoize:
              key: "inventory-{{inputs.parameters.region}}"
              maxAge: 1h
              cache: {configMap: {name: inventory-cache}}
            container: {image: alpine, command: [sh, -c, "echo 42"]}
          - name: use
            inputs: {parameters: [{name: count}]}
            container: {image: alpine, command: [echo, "{{inputs.parameters.count}}"]}
        """

    @Test func secondRunIsACacheHitWithTheSameOutputsUntilMaxAge() throws {
        let cache = MemoryMemoCache()
        var first = try EngineHarness(yaml: Self.yaml)
        first.memo = cache
        first.script = { l in .exit(0, stdout: l.templateName == "inventory" ? "42\n" : "") }
        try first.runToCompletion()
        #expect(first.launchedNames == ["inventory", "use"])
        #expect(
            first.node("inventory")?.memoizationStatus
                == MemoizationStatus(hit: false, key: "inventory-eu-west-1", cacheName: "inventory-cache"))

        var second = try EngineHarness(yaml: Self.yaml, start: first.now.addingTimeInterval(60))
        second.memo = cache
        try second.runToCompletion()
        #expect(second.phase == .succeeded)
        #expect(second.launchedNames == ["use"], "the memoized step did not run")
        let hit = try #require(second.node("inventory"))
        #expect(hit.memoizationStatus?.hit == true)
        #expect(hit.outputs?.result == "42")
        #expect(hit.message?.contains("memoized") == true)
        #expect(second.launches.last?.container.command?.last == "42")

        var later = try EngineHarness(yaml: Self.yaml, start: first.now.addingTimeInterval(7200))
        later.memo = cache
        try later.runToCompletion()
        #expect(later.launchedNames == ["inventory", "use"], "after maxAge the step runs again")

        var otherKey = try EngineHarness(
            yaml: Self.yaml, parameters: [("region", "us-east-1")], start: first.now.addingTimeInterval(60))
        otherKey.memo = cache
        try otherKey.runToCompletion()
        #expect(otherKey.launchedNames.first == "inventory")
    }

    @Test func failedRunsAreNotMemoized() throws {
        let cache = MemoryMemoCache()
        var first = try EngineHarness(yaml: Self.yaml)
        first.memo = cache
        first.script = { _ in .exit(1) }
        try first.runToCompletion()
        #expect(first.phase == .failed)
        var second = try EngineHarness(yaml: Self.yaml, start: first.now.addingTimeInterval(10))
        second.memo = cache
        try second.runToCompletion()
        #expect(second.launchedNames.first == "inventory")
    }

    @Test func templateMutexInALoopIsReleasedAfterEachItem() throws {
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: loop-mutex}
            spec:
              entrypoint: main
              templates:
              - name: main
                steps:
                - - {name: each, template: one, withItems: [a, b, c]}
              - name: one
                synchronization: {mutex: {name: one-at-a-time}}
                container: {image: alpine, command: ["true"]}
            """
        var run = try EngineHarness(yaml: yaml)
        try run.runToCompletion()
        #expect(run.phase == .succeeded)
        #expect(run.peakRunning == 1)
        #expect(run.launches.count == 3)
    }
}

@Suite("Memoization end to end", .serialized)
struct MemoizationEndToEndTests {
    @Test func cacheHitIsVisibleInGetAndSkipsTheStep() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let marks = cli.home.appendingPathComponent("marks")
        try FileManager.default.createDirectory(at: marks, withIntermediateDirectories: true)
        let yaml = MemoizationTests.yaml.replacingOccurrences(
            of: "metadata: {name: memo}", with: "metadata: {generateName: memo-}"
        )
        .replacingOccurrences(
            of: "container: {image: alpine, command: [sh, -c, \"echo 42\"]}",
            with:
                "container: {image: alpine, command: [sh, -c, \"echo ran >> /marks/runs; echo 42\"], volumeMounts: [{name: marks, mountPath: /marks}]}"
        )
        .replacingOccurrences(
            of: "  templates:\n", with: "  volumes: [{name: marks, hostPath: {path: \(marks.path)}}]\n  templates:\n")
        let file = try CLITests.write(yaml, "memo.yaml", in: cli)
        #expect(try cli.run(["submit", "--wait", file]).status == 0)
        let second = try cli.run(["submit", "--wait", file])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try String(contentsOf: marks.appendingPathComponent("runs"), encoding: .utf8) == "ran\n")
        let tree = try cli.run(["get", "@latest"]).stdout
        #expect(tree.contains("memoized: reused the outputs saved for key 'inventory-eu-west-1'"))
        #expect(try cli.run(["logs", "@latest"]).stdout.contains(": 42"))
    }
}
