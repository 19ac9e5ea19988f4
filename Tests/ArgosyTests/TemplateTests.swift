import ArgosyTestSupport
import Foundation
import Testing

/// Stored WorkflowTemplates and ClusterWorkflowTemplates, `templateRef`, `workflowTemplateRef` and `submit --from`.
@Suite("Workflow templates", .serialized)
struct TemplateTests {
    static let runbook = """
        apiVersion: argoproj.io/v1alpha1
        kind: WorkflowTemplate
        metadata: {name: runbook}
        spec:
          entrypoint: main
          arguments: {parameters: [{name: target, value: web}]}
          templates:
          - name: main
            steps:
            - - {name: check, template: check, arguments: {parameters: [{name: host, value: "{{workflow.parameters.target}}"}]}}
          - name: check
            inputs: {parameters: [{name: host}]}
            container: {image: alpine, command: [echo, "checking {{inputs.parameters.host}}"]}
        """

    @Test func storedTemplatesRunFromSubmitFromAndTemplateRef() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let create = try cli.run(["template", "create", try CLITests.write(Self.runbook, "wt.yaml", in: cli)])
        #expect(create.stdout == "workflowtemplate.argoproj.io/runbook created\n", "\(create.stderr)")
        #expect(try cli.run(["template", "list", "-o", "name"]).stdout == "runbook\n")
        #expect(try cli.run(["template", "get", "runbook"]).stdout.contains("Templates:           main, check"))
        let again = try cli.run(["template", "create", try CLITests.write(Self.runbook, "wt.yaml", in: cli)])
        #expect(again.status == 1)
        #expect(again.stderr.contains("workflowtemplates.argoproj.io \"runbook\" already exists"))

        let fromTemplate = try cli.run(["submit", "--wait", "--from", "workflowtemplate/runbook", "-p", "target=api"])
        #expect(fromTemplate.status == 0, "\(fromTemplate.stderr)")
        #expect(fromTemplate.stdout.hasPrefix("runbook-"))
        #expect(try cli.run(["logs", "@latest"]).stdout.contains("checking api"))
        let wf = try CLITests.json(try cli.run(["get", "@latest", "-o", "json"]).stdout)
        let labels = (wf["metadata"] as? [String: Any])?["labels"] as? [String: String]
        #expect(labels?["workflows.argoproj.io/workflow-template"] == "runbook")

        let user = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: uses-ref}
            spec:
              entrypoint: main
              templates:
              - name: main
                dag:
                  tasks:
                  - name: a
                    templateRef: {name: runbook, template: check}
                    arguments: {parameters: [{name: host, value: db}]}
                  - name: b
                    dependencies: [a]
                    templateRef: {name: shared, template: hello, clusterScope: true}
            """
        let cluster = """
            apiVersion: argoproj.io/v1alpha1
            kind: ClusterWorkflowTemplate
            metadata: {name: shared}
            spec:
              templates:
              - name: hello
                steps:
                - - {name: say, template: say}
              - name: say
                container: {image: alpine, command: [echo, from-cluster-template]}
            """
        #expect(
            try cli.run(["cluster-template", "create", try CLITests.write(cluster, "c.yaml", in: cli)]).status == 0)
        let r = try cli.run(["submit", "--wait", try CLITests.write(user, "u.yaml", in: cli)])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let tree = try cli.run(["get", "uses-ref"]).stdout
        #expect(tree.contains("✔ a  ") && tree.contains("runbook/check"))
        #expect(tree.contains("shared/hello"))
        #expect(tree.contains("uses-ref-say-"), "pod names use the template's own name")
        let logs = try cli.run(["logs", "uses-ref"]).stdout
        #expect(logs.contains("checking db"))
        #expect(logs.contains("from-cluster-template"))

        // Deleting the template does not change the workflows that ran it.
        #expect(try cli.run(["template", "delete", "runbook"]).stdout == "WorkflowTemplate 'runbook' deleted\n")
        let missing = try cli.run(["submit", "--from", "workflowtemplate/runbook"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("workflowtemplates.argoproj.io \"runbook\" not found"))
        #expect(try cli.run(["get", "uses-ref"]).status == 0)
    }

    @Test func templatesAreLintedBeforeTheyAreStored() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let bad = Self.runbook.replacingOccurrences(of: "template: check,", with: "template: chek,")
        let r = try cli.run(["template", "create", try CLITests.write(bad, "bad.yaml", in: cli)])
        #expect(r.status == 1)
        #expect(r.stderr.contains("template 'chek' not found"))
        let wrongKind = try cli.run(["template", "create", "examples/hello-world.yaml"])
        #expect(wrongKind.status == 1)
        #expect(wrongKind.stderr.contains("expected kind WorkflowTemplate, found Workflow"))
        #expect(try cli.run(["template", "list"]).stdout == "No workflowtemplates found\n")
    }
}
