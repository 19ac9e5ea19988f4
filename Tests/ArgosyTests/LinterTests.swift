import ArgosyEngine
import ArgosyModel
import Foundation
import Testing

@Suite("Lint and bad input")
struct LinterTests {
    static func lint(_ yaml: String) throws -> [Diagnostic] {
        let docs = try ManifestDocument.parseAll(yaml, file: "wf.yaml")
        return docs.flatMap { ManifestLinter.lint($0).diagnostics }
    }

    static func errors(_ yaml: String) throws -> [String] {
        try lint(yaml).filter { $0.severity == .error }.map(\.description)
    }

    static let valid = """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata:
          generateName: ok-
        spec:
          entrypoint: main
          templates:
          - name: main
            steps:
            - - name: hello
                template: say
          - name: say
            container:
              image: alpine
              command: [echo, hi]
        """

    @Test func validManifestHasNoFindings() throws {
        #expect(try Self.lint(Self.valid).isEmpty)
    }

    @Test func malformedYAMLNamesLineAndColumn() throws {
        let yaml = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nspec:\n  templates: [\n    - name: x\n"
        #expect(throws: ArgosyError.self) { try ManifestDocument.parseAll(yaml, file: "bad.yaml") }
        do {
            _ = try ManifestDocument.parseAll(yaml, file: "bad.yaml")
        } catch {
            #expect(error.location?.file == "bad.yaml")
            #expect((error.location?.line ?? 0) >= 4)
            #expect(error.description.hasPrefix("bad.yaml:"))
        }
    }

    @Test func unknownTemplateReferenceIsAnErrorAtItsLine() throws {
        let yaml = Self.valid.replacingOccurrences(of: "template: say", with: "template: shout")
        let errors = try Self.errors(yaml)
        #expect(errors == ["wf.yaml:11:9: error: spec.templates[0].steps[0][0].template: template 'shout' not found"])
    }

    @Test func dagCycleIsReported() throws {
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: c}
            spec:
              entrypoint: main
              templates:
              - name: main
                dag:
                  tasks:
                  - {name: A, template: t, dependencies: [C]}
                  - {name: B, template: t, dependencies: [A]}
                  - {name: C, template: t, depends: "B"}
              - name: t
                container: {image: alpine, command: ["true"]}
            """
        let errors = try Self.errors(yaml)
        #expect(errors.count == 1)
        #expect(errors.first?.contains("dependency cycle: A -> C -> B -> A") == true, "\(errors)")
        #expect(errors.first?.hasPrefix("wf.yaml:8:5: error: spec.templates[0].dag:") == true)
    }

    /// A task may read the outputs of the tasks it depends on, directly or through others, and no other's.
    @Test func taskReferencesNeedADependency() throws {
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: r}
            spec:
              entrypoint: main
              templates:
              - name: main
                dag:
                  tasks:
                  - {name: A, template: t}
                  - {name: B, template: t, dependencies: [A]}
                  - {name: C, template: t, depends: "B", when: "{{tasks.A.outputs.result}} == x"}
                  - {name: D, template: t, when: "{{tasks.B.outputs.result}} == x"}
              - name: t
                container: {image: alpine, command: ["true"]}
            """
        let errors = try Self.errors(yaml)
        #expect(errors.count == 1, "\(errors)")
        #expect(errors.first?.contains("refers to task 'B', which 'D' does not depend on") == true, "\(errors)")
    }

    @Test func invalidWhenIsReported() throws {
        let yaml = Self.valid.replacingOccurrences(
            of: "template: say", with: "template: say\n        when: \"{{workflow.name}} == (\"")
        let errors = try Self.errors(yaml)
        #expect(errors.count == 1)
        #expect(errors.first?.contains("spec.templates[0].steps[0][0].when: invalid when expression") == true)
    }

    @Test func undeclaredInputIsReported() throws {
        let yaml = Self.valid.replacingOccurrences(
            of: "command: [echo, hi]", with: "command: [echo, \"{{inputs.parameters.msg}}\"]")
        let errors = try Self.errors(yaml)
        #expect(errors.first?.contains("failed to resolve {{inputs.parameters.msg}}") == true)
        #expect(errors.first?.hasPrefix("wf.yaml:15:") == true)
    }

    @Test func unknownFieldsAreWarningsNamingTheField() throws {
        let yaml = Self.valid.replacingOccurrences(
            of: "image: alpine", with: "image: alpine\n      imagePullPolicy: Always\n      colour: blue")
        let diagnostics = try Self.lint(yaml)
        #expect(diagnostics.allSatisfy { $0.severity == .warning })
        let text = diagnostics.map(\.description)
        #expect(
            text.contains(
                "wf.yaml:15:7: warning: spec.templates[1].container.imagePullPolicy: 'imagePullPolicy' has no effect in Argosy's local runtime and is ignored"
            ))
        #expect(
            text.contains(
                "wf.yaml:16:7: warning: spec.templates[1].container.colour: unknown field 'colour' is ignored"))
    }

    @Test func unsupportedFeaturesAreErrorsNotSilence() throws {
        let yaml = Self.valid.replacingOccurrences(
            of: "  - name: say\n",
            with: "  - name: say\n    daemon: true\n    sidecars: [{name: s, image: nginx}]\n")
        let errors = try Self.errors(yaml)
        #expect(errors.contains { $0.contains("daemon templates are not supported by Argosy yet") })
        #expect(errors.contains { $0.contains("sidecars is not supported by Argosy yet") })
    }

    @Test func wrongTypesNameTheField() throws {
        let yaml = Self.valid.replacingOccurrences(of: "command: [echo, hi]", with: "command: {echo: hi}")
        let errors = try Self.errors(yaml)
        #expect(
            errors == ["wf.yaml:15:7: error: spec.templates[1].container.command: expected a list, found an object"])
    }

    @Test(arguments: [
        ("kind: Pod", "unsupported kind 'Pod'"), ("kind: Workflow\nspec: 3", "expected an object"),
        ("apiVersion: v1\nkind: Workflow", "expected 'argoproj.io/v1alpha1'"),
    ])
    func wrongKindsAndShapesAreErrors(yaml: String, expected: String) throws {
        let text = yaml.hasPrefix("apiVersion") ? yaml : "apiVersion: argoproj.io/v1alpha1\n" + yaml
        let errors = try Self.errors(text + "\nmetadata: {name: x}\n")
        #expect(errors.contains { $0.contains(expected) }, "\(errors)")
    }

    @Test func everyKindLints() throws {
        let template = Self.valid.replacingOccurrences(of: "kind: Workflow", with: "kind: WorkflowTemplate")
            .replacingOccurrences(of: "generateName: ok-", with: "name: tpl")
        #expect(try Self.errors(template).isEmpty)
        let cron = """
            apiVersion: argoproj.io/v1alpha1
            kind: CronWorkflow
            metadata: {name: nightly}
            spec:
              schedule: "0 3 * * *"
              workflowSpec:
                entrypoint: main
                templates:
                - name: main
                  container: {image: alpine, command: ["true"]}
            """
        #expect(try Self.lint(cron).isEmpty)
        let badZone = try Self.errors(
            cron.replacingOccurrences(
                of: "schedule: \"0 3 * * *\"", with: "schedule: \"0 3 * * *\"\n  timezone: Mars/Base"))
        #expect(badZone.count == 1, "\(badZone)")
    }

    @Test func jsonManifestsLintToo() throws {
        let json =
            #"{"apiVersion":"argoproj.io/v1alpha1","kind":"Workflow","metadata":{"name":"j"},"spec":{"entrypoint":"m","templates":[{"name":"m","container":{"image":"a","command":["true"]}}]}}"#
        #expect(try Self.lint(json).isEmpty)
    }

    @Test func multiDocumentFilesLintEachDocument() throws {
        let yaml =
            Self.valid + "\n---\n" + Self.valid.replacingOccurrences(of: "entrypoint: main", with: "entrypoint: nope")
        let errors = try Self.errors(yaml)
        #expect(errors.count == 1)
        #expect(errors.first?.contains("entrypoint template 'nope' not found") == true)
    }
}
