import ArgosyTestSupport
import Foundation
import Testing

/// CronWorkflows run by the real background controller.
@Suite("CronWorkflows end to end", .serialized)
struct CronTests {
    @Test func backgroundControllerRunsTheScheduleAndHonoursSuspend() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: CronWorkflow
            metadata: {name: heartbeat}
            spec:
              schedule: "@every 2s"
              concurrencyPolicy: Forbid
              successfulJobsHistoryLimit: 2
              workflowSpec:
                entrypoint: main
                templates:
                - name: main
                  container: {image: alpine, command: [echo, "beat {{workflow.name}}"]}
            """
        let create = try cli.run(["cron", "create", try CLITests.write(yaml, "c.yaml", in: cli)])
        #expect(create.stdout == "cronworkflow.argoproj.io/heartbeat created\n", "\(create.stderr)")
        try ControlTests.waitFor("two runs", timeout: 20) {
            let names = try cli.run(["list", "--completed", "-o", "name"]).stdout.split(separator: "\n")
            return names.filter { $0.hasPrefix("heartbeat-") }.count >= 2
        }
        let list = try cli.run(["cron", "list"]).stdout
        #expect(list.hasPrefix("NAME       AGE  LAST RUN  NEXT RUN  SCHEDULES  TIMEZONE  SUSPENDED"))
        #expect(list.contains("heartbeat"))
        #expect(list.contains("@every 2s"))
        let get = try cli.run(["cron", "get", "heartbeat"]).stdout
        #expect(get.contains("Succeeded:"))
        let wf = try CLITests.json(try cli.run(["get", "@latest", "-o", "json"]).stdout)
        let labels = (wf["metadata"] as? [String: Any])?["labels"] as? [String: String]
        #expect(labels?["workflows.argoproj.io/cron-workflow"] == "heartbeat")

        #expect(try cli.run(["cron", "suspend", "heartbeat"]).status == 0)
        Thread.sleep(forTimeInterval: 1.5)
        let before = try cli.run(["list", "-o", "name"]).stdout
        Thread.sleep(forTimeInterval: 4)
        let after = try cli.run(["list", "-o", "name"]).stdout
        #expect(
            before.split(separator: "\n").sorted() == after.split(separator: "\n").sorted(), "no runs while suspended")
        #expect(after.split(separator: "\n").count <= 3, "history trimmed to successfulJobsHistoryLimit (+1 running)")
        #expect(try cli.run(["cron", "list"]).stdout.contains("true"))
        #expect(try cli.run(["cron", "delete", "heartbeat"]).stdout == "CronWorkflow 'heartbeat' deleted\n")
        let missing = try cli.run(["cron", "get", "heartbeat"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("cronworkflows.argoproj.io \"heartbeat\" not found"))
    }

    @Test func badSchedulesAreRejectedWithThePosition() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: CronWorkflow
            metadata: {name: bad}
            spec:
              schedule: "61 * * * *"
              workflowSpec:
                entrypoint: main
                templates:
                - {name: main, container: {image: alpine, command: ["true"]}}
            """
        let r = try cli.run(["cron", "create", try CLITests.write(yaml, "b.yaml", in: cli)])
        #expect(r.status == 1)
        #expect(r.stderr.contains("b.yaml:5:3: error: spec.schedule"))
        #expect(try cli.run(["cron", "list"]).stdout == "No cron workflows found\n")
    }
}
