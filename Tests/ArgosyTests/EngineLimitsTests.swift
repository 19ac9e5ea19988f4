import ArgosyEngine
import ArgosyModel
import ArgosyTestSupport
import Foundation
import Testing

/// `limits` in config.yaml: what a workflow may grow to, refused with a message that names the limit before the
/// memory is spent.
@Suite("Engine: limits")
struct EngineLimitsTests {
    static func small() -> Limits {
        var limits = Limits()
        limits.loopItems = 10
        limits.nodesPerWorkflow = 100
        limits.parameterBytes = 64
        return limits
    }

    /// Retries that fail at once would add attempts without end: the workflow stops at the node limit, in Error.
    @Test func runawayRetriesStopAtTheNodeLimit() throws {
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: runaway}
            spec:
              entrypoint: main
              retryStrategy: {limit: 2000000000}
              templates:
              - name: main
                steps: [[{name: each, template: a, withSequence: {count: "{{=1e19}}"}}]]
              - {name: a, container: {image: alpine, command: ["true"]}}
            """
        var run = try EngineHarness(yaml: yaml, limits: Self.small())
        try run.runToCompletion(maxPasses: 100)
        #expect(run.phase == .error)
        #expect(run.state.nodes.count <= 101)
        #expect(run.node("runaway")?.message?.contains("limit of 100 nodes (limits.nodesPerWorkflow)") == true)
    }

    @Test func aLoopOverTheLimitIsRefusedWithItsSize() throws {
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: loop}
            spec:
              entrypoint: main
              templates:
              - name: main
                steps:
                - - {name: list, template: list}
                - - {name: each, template: a, withParam: "{{steps.list.outputs.result}}"}
              - {name: list, container: {image: alpine, command: ["true"]}}
              - {name: a, container: {image: alpine, command: ["true"]}}
            """
        var run = try EngineHarness(yaml: yaml, limits: Self.small())
        let eleven = "[" + (0..<11).map(String.init).joined(separator: ",") + "]"
        run.script = { launch in .exit(0, stdout: launch.templateName == "list" ? eleven : "") }
        try run.runToCompletion()
        #expect(run.phase == .failed || run.phase == .error)
        #expect(run.launches.count == 1, "no item of the loop started")
        #expect(
            run.tree.contains("withParam: 11 items is more than the limit of 10 per loop (limits.loopItems)"),
            "\(run.tree)")
    }

    @Test func aWrittenLoopOverTheLimitFailsLint() throws {
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: lint}
            spec:
              entrypoint: main
              templates:
              - name: main
                steps: [[{name: each, template: a, withSequence: {start: "5", end: "20"}}]]
              - {name: a, container: {image: alpine, command: ["true"]}}
            """
        let doc = try #require(try ManifestDocument.parseAll(yaml, file: "f.yaml").first)
        let errors = ManifestLinter.lint(doc, limits: Self.small()).diagnostics.map(\.description)
        #expect(
            errors.contains { $0.contains("steps[0][0].withSequence: 16 items is more than the limit of 10") },
            "\(errors)")
        #expect(ManifestLinter.lint(doc).diagnostics.allSatisfy { $0.severity != .error }, "the default allows it")
    }

    @Test func aSequenceBeyondTheIntegerRangeIsAnError() throws {
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: seq}
            spec:
              entrypoint: main
              arguments: {parameters: [{name: start, value: "9223372036854775807"}]}
              templates:
              - name: main
                steps: [[{name: each, template: a, withSequence: {start: "{{workflow.parameters.start}}", count: "2"}}]]
              - {name: a, container: {image: alpine, command: ["true"]}}
            """
        var run = try EngineHarness(yaml: yaml)
        try run.runToCompletion()
        #expect(run.phase == .failed || run.phase == .error)
        #expect(run.tree.contains("beyond the integer range"), "\(run.tree)")
    }

    @Test func anInputOverTheParameterLimitErrorsItsNode() throws {
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: big}
            spec:
              entrypoint: main
              templates:
              - name: main
                steps:
                - - {name: make, template: a}
                - - {name: use, template: b, arguments: {parameters: [{name: x, value: "{{steps.make.outputs.result}}"}]}}
              - {name: a, container: {image: alpine, command: ["true"]}}
              - name: b
                inputs: {parameters: [{name: x}]}
                container: {image: alpine, command: [echo, "{{inputs.parameters.x}}"]}
            """
        var run = try EngineHarness(yaml: yaml, limits: Self.small())
        run.script = { _ in .exit(0, stdout: String(repeating: "x", count: 65)) }
        try run.runToCompletion()
        #expect(run.launches.count == 1)
        #expect(
            run.tree.contains("the value is 65 bytes, more than the limit of 64 (limits.parameterBytes)"), "\(run.tree)"
        )
    }

    @Test func anArgumentOverTheParameterLimitIsRefusedAtSubmit() throws {
        var options = WorkflowPreparation.Options()
        options.limits = Self.small()
        options.parameters = [("p", String(repeating: "y", count: 65))]
        let doc = try #require(
            try ManifestDocument.parseAll(
                """
                apiVersion: argoproj.io/v1alpha1
                kind: Workflow
                metadata: {name: p}
                spec:
                  entrypoint: a
                  arguments: {parameters: [{name: p, value: "short"}]}
                  templates: [{name: a, container: {image: alpine, command: ["true"]}}]
                """, file: "f.yaml"
            ).first)
        guard case .workflow(let wf)? = ManifestLinter.lint(doc).resource else {
            Issue.record("no workflow")
            return
        }
        #expect(throws: ArgosyError.self) { try WorkflowPreparation.prepare(wf, options: options, now: Date()) }
        do {
            _ = try WorkflowPreparation.prepare(wf, options: options, now: Date())
        } catch {
            #expect(error.message.contains("spec.arguments.parameters.p: the value is 65 bytes"))
        }
    }
}
