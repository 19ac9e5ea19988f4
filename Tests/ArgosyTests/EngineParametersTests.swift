import ArgosyEngine
import ArgosyModel
import ArgosyTestSupport
import Foundation
import Testing

@Suite("Engine: parameters, outputs, loops")
struct EngineParametersTests {
    @Test func workflowArgumentsFlowIntoTheEntrypointAndGlobals() throws {
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: p}
            spec:
              entrypoint: main
              arguments: {parameters: [{name: region, value: eu-west-1}, {name: count}]}
              templates:
              - name: main
                inputs: {parameters: [{name: region}, {name: count}, {name: mode, default: dry, enum: [dry, real]}]}
                container:
                  image: alpine
                  command: [echo, "{{inputs.parameters.region}} {{inputs.parameters.count}} {{inputs.parameters.mode}} {{workflow.parameters.region}} {{workflow.name}}"]
            """
        var run = try EngineHarness(yaml: yaml, parameters: [("count", "3")])
        try run.runToCompletion()
        #expect(run.launches.first?.container.command?.last == "eu-west-1 3 dry eu-west-1 p")
    }

    @Test func missingRequiredParameterIsRejectedAtSubmit() throws {
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: p}
            spec:
              entrypoint: main
              templates:
              - name: main
                inputs: {parameters: [{name: target}]}
                container: {image: alpine, command: [echo, "{{inputs.parameters.target}}"]}
            """
        #expect(throws: ArgosyError.self) { try EngineHarness(yaml: yaml) }
        do {
            _ = try EngineHarness(yaml: yaml)
        } catch let error as ArgosyError {
            #expect(error.message.contains("inputs.parameters.target was not supplied"))
        }
    }

    @Test func enumViolationErrorsTheNode() throws {
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: p}
            spec:
              entrypoint: main
              templates:
              - name: main
                steps:
                - - {name: go, template: t, arguments: {parameters: [{name: mode, value: wild}]}}
              - name: t
                inputs: {parameters: [{name: mode, enum: [dry, real]}]}
                container: {image: alpine, command: [echo, "{{inputs.parameters.mode}}"]}
            """
        var run = try EngineHarness(yaml: yaml)
        try run.runToCompletion()
        #expect(run.phase == .failed)
        #expect(run.node("go")?.phase == .error)
        #expect(run.node("go")?.message == "inputs.parameters.mode: value 'wild' is not one of dry, real")
        #expect(run.launches.isEmpty)
    }

    @Test func outputParametersFromFilesAndGlobalNames() throws {
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: o}
            spec:
              entrypoint: main
              templates:
              - name: main
                steps:
                - - {name: gen, template: gen}
                - - {name: use, template: use, arguments: {parameters: [{name: v, value: "{{steps.gen.outputs.parameters.key}}/{{workflow.outputs.parameters.shared}}"}]}}
                outputs:
                  parameters: [{name: final, valueFrom: {parameter: "{{steps.use.outputs.result}}"}}]
              - name: gen
                container: {image: alpine, command: [sh, -c, "echo k1 > /tmp/key"]}
                outputs:
                  parameters:
                  - {name: key, valueFrom: {path: /tmp/key}, globalName: shared}
                  - {name: absent, valueFrom: {path: /tmp/none, default: fallback}}
              - name: use
                inputs: {parameters: [{name: v}]}
                container: {image: alpine, command: [echo, "{{inputs.parameters.v}}"]}
            """
        var run = try EngineHarness(yaml: yaml)
        run.script = { l in
            l.templateName == "gen"
                ? .exit(0, outputs: ["key": "k1"]) : .exit(0, stdout: l.container.command!.last! + "\n")
        }
        try run.runToCompletion()
        #expect(run.phase == .succeeded)
        #expect(run.launches.first?.outputPaths == ["key": "/tmp/key", "absent": "/tmp/none"])
        #expect(run.launches.last?.container.command?.last == "k1/k1")
        #expect(run.state.outputs == ["shared": "k1"])
        let gen = try #require(run.node("gen"))
        #expect(gen.outputs?.parameters?.first { $0.name == "absent" }?.value == "fallback")
        #expect(run.node("o")?.outputs?.parameters?.first?.value == "k1/k1")
    }

    @Test func missingOutputFileWithoutDefaultErrorsTheStep() throws {
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: o}
            spec:
              entrypoint: gen
              templates:
              - name: gen
                container: {image: alpine, command: ["true"]}
                outputs: {parameters: [{name: key, valueFrom: {path: /tmp/key}}]}
            """
        var run = try EngineHarness(yaml: yaml)
        try run.runToCompletion()
        #expect(run.phase == .error)
        #expect(run.node("o")?.message?.contains("failed to read output parameter 'key' from /tmp/key") == true)
    }

    @Test func withParamOverMapsNamesNodesAndExposesKeys() throws {
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: l}
            spec:
              entrypoint: main
              templates:
              - name: main
                steps:
                - - {name: list, template: t}
                - - name: each
                    template: t
                    withParam: "{{steps.list.outputs.result}}"
                    arguments: {parameters: [{name: m, value: "{{item.InstanceId}}:{{item.State.Name}}"}]}
              - name: t
                inputs: {parameters: [{name: m, default: ""}]}
                container: {image: alpine, command: [echo, "{{inputs.parameters.m}}"]}
            """
        var run = try EngineHarness(yaml: yaml)
        run.script = { l in
            l.nodeName.hasSuffix(".list")
                ? .exit(
                    0,
                    stdout:
                        #"[{"InstanceId":"i-1","State":{"Name":"running"}},{"InstanceId":"i-2","State":{"Name":"stopped"}}]"#
                )
                : .exit(0)
        }
        try run.runToCompletion()
        #expect(run.phase == .succeeded, "\(run.tree)")
        #expect(run.launches.dropFirst().map { $0.container.command!.last! } == ["i-1:running", "i-2:stopped"])
        #expect(run.node("l[1].each(0:InstanceId:i-1,State:map[Name:running])") != nil)
    }

    @Test(arguments: [
        ("{count: \"3\"}", ["0", "1", "2"]), ("{start: \"5\", end: \"7\"}", ["5", "6", "7"]),
        ("{start: \"3\", end: \"1\"}", ["3", "2", "1"]),
        ("{count: \"2\", start: \"9\", format: \"host-%02d\"}", ["host-09", "host-10"]),
    ])
    func withSequenceExpands(sequence: String, items: [String]) throws {
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: q}
            spec:
              entrypoint: main
              templates:
              - name: main
                steps:
                - - {name: each, template: t, withSequence: \(sequence), arguments: {parameters: [{name: m, value: "{{item}}"}]}}
              - name: t
                inputs: {parameters: [{name: m}]}
                container: {image: alpine, command: [echo, "{{inputs.parameters.m}}"]}
            """
        var run = try EngineHarness(yaml: yaml)
        try run.runToCompletion()
        #expect(run.launches.map { $0.container.command!.last! }.sorted() == items.sorted())
    }

    @Test func badWithParamErrorsTheGroup() throws {
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: b}
            spec:
              entrypoint: main
              templates:
              - name: main
                steps:
                - - {name: list, template: t}
                - - {name: each, template: t, withParam: "{{steps.list.outputs.result}}"}
              - name: t
                container: {image: alpine, command: ["true"]}
            """
        var run = try EngineHarness(yaml: yaml)
        run.script = { _ in .exit(0, stdout: "not json") }
        try run.runToCompletion()
        #expect(run.phase == .failed)
        #expect(run.node("b[1]")?.phase == .error)
        #expect(run.node("b[1]")?.message?.contains("withParam: value could not be parsed as a JSON list") == true)
    }

    @Test func expressionTagsEvaluate() throws {
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: x}
            spec:
              entrypoint: main
              arguments: {parameters: [{name: n, value: "21"}, {name: s, value: ops}]}
              templates:
              - name: main
                inputs: {parameters: [{name: n}, {name: s}]}
                container: {image: alpine, command: [echo, "{{=asInt(inputs.parameters.n) * 2}} {{=sprig.upper(inputs.parameters.s)}}"]}
            """
        var run = try EngineHarness(yaml: yaml)
        try run.runToCompletion()
        #expect(run.launches.first?.container.command?.last == "42 OPS", "\(run.tree)")
    }
}

@Suite("Engine: outputs of skipped nodes")
struct EngineSkippedOutputsTests {
    static func workflow(consumerDefault: Bool, producerDefault: Bool, expression: Bool = false) -> String {
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: sk}
        spec:
          entrypoint: main
          templates:
          - name: main
            steps:
            - - {name: producer, template: produce, when: "1 == 2"}
            - - name: consumer
                template: consume
                arguments:
                  parameters:
                  - name: msg
                    value: "\(expression ? "{{= steps.producer.outputs.parameters.msg ?? 'fallback'}}" : "{{steps.producer.outputs.parameters.msg}}")"
          - name: produce
            container: {image: alpine, command: ["true"]}
            outputs:
              parameters: [{name: msg, valueFrom: {path: /tmp/msg\(producerDefault ? ", default: from-producer" : "")}}]
          - name: consume
            inputs: {parameters: [{name: msg\(consumerDefault ? ", default: from-consumer" : "")}]}
            container: {image: alpine, command: [echo, "{{inputs.parameters.msg}}"]}
        """
    }

    @Test(arguments: [
        (false, true, false, "from-producer"), (true, false, false, "from-consumer"),
        (true, true, false, "from-producer"),
        (false, false, true, "fallback"),
    ])
    func absentOutputsFollowArgoV4(consumerDefault: Bool, producerDefault: Bool, expression: Bool, expected: String)
        throws
    {
        var run = try EngineHarness(
            yaml: Self.workflow(
                consumerDefault: consumerDefault, producerDefault: producerDefault, expression: expression))
        try run.runToCompletion()
        #expect(run.phase == .succeeded, "\(run.tree)")
        #expect(run.launches.map { $0.container.command!.last! } == [expected])
    }

    @Test func unhandledAbsentOutputFailsTheStepClearly() throws {
        var run = try EngineHarness(yaml: Self.workflow(consumerDefault: false, producerDefault: false))
        try run.runToCompletion()
        #expect(run.phase == .failed)
        #expect(
            run.node("consumer")?.message?.contains("inputs.parameters.msg was not supplied") == true, "\(run.tree)")
    }
}

@Suite("Engine: expressions in workflow arguments")
struct EngineWorkflowArgumentTests {
    @Test func workflowArgumentsMayUseExpressionsAndWorkflowVariables() throws {
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: wa}
            spec:
              entrypoint: main
              arguments:
                parameters:
                - {name: target, value: "{{workflow.name}}-{{=sprig.lower('EU')}}"}
              templates:
              - name: main
                inputs: {parameters: [{name: target}]}
                container: {image: alpine, command: [echo, "{{inputs.parameters.target}} {{workflow.parameters.target}}"]}
            """
        var run = try EngineHarness(yaml: yaml)
        try run.runToCompletion()
        #expect(run.launches.first?.container.command?.last == "wa-eu wa-eu")
    }
}
