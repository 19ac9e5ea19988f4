import ArgosyTestSupport
import Foundation
import Testing

/// ttlStrategy, podGC and the archive, with the real background controller.
@Suite("Clean-up and archive", .serialized)
struct CollectionTests {
    @Test func ttlArchivesFinishedWorkflowsAndArchiveRetryBringsThemBack() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let marks = cli.home.appendingPathComponent("marks")
        try FileManager.default.createDirectory(at: marks, withIntermediateDirectories: true)
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: short-lived}
            spec:
              entrypoint: main
              ttlStrategy: {secondsAfterCompletion: 1}
              volumes: [{name: marks, hostPath: {path: \(marks.path)}}]
              templates:
              - name: main
                steps:
                - - {name: ok, template: ok}
                - - {name: flaky, template: flaky}
              - name: ok
                container: {image: alpine, command: [echo, fine]}
              - name: flaky
                container:
                  image: alpine
                  command: [sh, -c, "test -e /marks/fixed"]
                  volumeMounts: [{name: marks, mountPath: /marks}]
            """
        #expect(try cli.run(["submit", try CLITests.write(yaml, "t.yaml", in: cli)]).status == 0)
        try ControlTests.waitFor("the workflow to be archived", timeout: 20) {
            try cli.run(["list", "-o", "name"]).stdout.isEmpty
                && cli.run(["archive", "list", "-o", "name"]).stdout == "short-lived\n"
        }
        let archived = try cli.run(["archive", "get", "short-lived"]).stdout
        #expect(archived.contains("Status:              Failed"))
        #expect(archived.contains("✖ flaky"))
        let archivedJSON = try CLITests.json(try cli.run(["archive", "get", "short-lived", "-o", "json"]).stdout)
        let uid = try #require((archivedJSON["metadata"] as? [String: Any])?["uid"] as? String)
        #expect(CLITests.nodes(archivedJSON).count == 5, "the archive keeps the node tree")
        #expect(
            !FileManager.default.fileExists(
                atPath: cli.home.appendingPathComponent("steps").appendingPathComponent(uid).path),
            "step files go with the live workflow")
        #expect(FileManager.default.createFile(atPath: marks.appendingPathComponent("fixed").path, contents: nil))
        let retry = try cli.run(["archive", "retry", "--wait", "short-lived"])
        #expect(retry.status == 0, "\(retry.stdout)\(retry.stderr)")
        #expect(try cli.run(["archive", "list"]).stdout == "No archived workflows found\n")
        let tree = try cli.run(["get", "short-lived"]).stdout
        #expect(tree.contains("Status:              Succeeded"))
        #expect(try cli.run(["archive", "resubmit", "short-lived"]).status == 1, "no longer archived")
    }

    @Test func podGCRemovesStepFilesOfFinishedWorkflows() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: tidy}
            spec:
              entrypoint: main
              podGC: {strategy: OnWorkflowSuccess}
              templates:
              - name: main
                container: {image: alpine, command: [echo, tidy]}
            """
        #expect(try cli.run(["submit", try CLITests.write(yaml, "g.yaml", in: cli)]).status == 0)
        _ = try cli.waitFinished("tidy")
        let wf = try CLITests.json(try cli.run(["get", "tidy", "-o", "json"]).stdout)
        let uid = try #require((wf["metadata"] as? [String: Any])?["uid"] as? String)
        let steps = cli.home.appendingPathComponent("steps").appendingPathComponent(uid)
        try ControlTests.waitFor("step files to go", timeout: 15) {
            !FileManager.default.fileExists(atPath: steps.path)
        }
        #expect(try cli.run(["get", "tidy"]).stdout.contains("Succeeded"), "the workflow itself stays")
    }
}
