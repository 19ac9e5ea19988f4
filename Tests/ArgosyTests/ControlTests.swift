import ArgosyStore
import ArgosyTestSupport
import Foundation
import Testing

/// Stop, terminate, suspend, resume, retry, the background controller, leases and crash recovery.
@Suite("Controlling workflows", .serialized)
struct ControlTests {
    /// A workflow whose first step counts its runs in `marks/once` and whose second step fails until
    /// `marks/fixed` exists (counting its runs in `marks/flaky`).
    static func flakyWorkflow(name: String, marks: URL) -> String {
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: \(name)}
        spec:
          entrypoint: main
          volumes: [{name: marks, hostPath: {path: \(marks.path)}}]
          templates:
          - name: main
            steps:
            - - {name: once, template: count, arguments: {parameters: [{name: n, value: once}]}}
            - - {name: flaky, template: flaky}
          - name: count
            inputs: {parameters: [{name: n}]}
            container:
              image: alpine
              command: [sh, -c, "echo x >> /marks/{{inputs.parameters.n}}"]
              volumeMounts: [{name: marks, mountPath: /marks}]
          - name: flaky
            container:
              image: alpine
              command: [sh, -c, "echo x >> /marks/flaky; test -e /marks/fixed"]
              volumeMounts: [{name: marks, mountPath: /marks}]
        """
    }

    static func sleeper(_ name: String, seconds: Int = 30, onExit: Bool = true) -> String {
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: \(name)}
        spec:
          entrypoint: main
        \(onExit ? "  onExit: bye\n" : "")  templates:
          - name: main
            steps:
            - - {name: nap, template: nap}
          - name: nap
            container: {image: alpine, command: [sleep, "\(seconds)"]}
          - name: bye
            container: {image: alpine, command: [echo, "goodbye {{workflow.status}}"]}
        """
    }

    static func nodes(_ wf: [String: Any]) -> [[String: Any]] { CLITests.nodes(wf) }

    static func waitFor(_ what: String, timeout: Double = 20, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return }
            usleep(100_000)
        }
        throw TestFailure("timed out waiting for \(what)")
    }

    static func isRunning(_ cli: CLIRunner, _ name: String, node: String) throws -> Bool {
        let r = try cli.run(["get", name, "-o", "json"])
        guard r.status == 0, let wf = try? CLITests.json(r.stdout) else { return false }
        return nodes(wf).contains { $0["displayName"] as? String == node && $0["phase"] as? String == "Running" }
    }

    @Test(arguments: ["stop", "terminate"])
    func stoppingKillsStepsAndRunsExitHandlersOnlyOnStop(verb: String) throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let file = try CLITests.write(Self.sleeper("halt"), "halt.yaml", in: cli)
        let submit = try cli.run(["submit", file])
        #expect(submit.status == 0, "\(submit.stderr)")
        try Self.waitFor("the step to run") { try Self.isRunning(cli, "halt", node: "nap") }
        let started = Date()
        let r = try cli.run([verb, "halt"])
        #expect(r.status == 0, "\(r.stderr)")
        let wf = try cli.waitFinished("halt", timeout: 20)
        #expect(Date().timeIntervalSince(started) < 15, "the sleeping step was killed, not waited for")
        #expect(CLITests.phase(wf) == "Failed")
        let strategy = verb == "stop" ? "Stop" : "Terminate"
        #expect((wf["status"] as? [String: Any])?["message"] as? String == "Stopped with strategy '\(strategy)'")
        let exitNode = Self.nodes(wf).first { $0["name"] as? String == "halt.onExit" }
        if verb == "stop" {
            #expect(exitNode?["phase"] as? String == "Succeeded")
            #expect(try cli.run(["logs", "halt"]).stdout.contains("goodbye Failed"))
        } else {
            #expect(exitNode == nil)
        }
        #expect(try cli.run(["list"]).stdout.contains("halt  Failed (Terminated)"))
    }

    @Test func suspendStepWaitsForResume() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: approval}
            spec:
              entrypoint: main
              templates:
              - name: main
                steps:
                - - {name: approve, template: wait}
                - - {name: deploy, template: deploy}
              - name: wait
                suspend: {}
              - name: deploy
                container: {image: alpine, command: [echo, deployed]}
            """
        #expect(try cli.run(["submit", try CLITests.write(yaml, "a.yaml", in: cli)]).status == 0)
        try Self.waitFor("the suspend node") { try Self.isRunning(cli, "approval", node: "approve") }
        let get = try cli.run(["get", "approval"]).stdout
        #expect(get.contains("Running (Suspended)"))
        #expect(get.contains("ǁ approve"))
        #expect(try cli.run(["resume", "approval"]).status == 0)
        let wf = try cli.waitFinished("approval")
        #expect(CLITests.phase(wf) == "Succeeded")
        #expect(try cli.run(["logs", "approval"]).stdout.contains("deployed"))
        let again = try cli.run(["resume", "approval"])
        #expect(again.status == 1)
        #expect(again.stderr.contains("already succeeded"))
    }

    /// `resume --node-field-selector` resumes only the nodes it selects, by any supported field.
    @Test func resumeWithANodeFieldSelectorResumesOnlyThoseNodes() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: two-gates}
            spec:
              entrypoint: main
              templates:
              - name: main
                steps:
                - - {name: first, template: wait}
                  - {name: second, template: wait}
              - name: wait
                suspend: {}
            """
        #expect(try cli.run(["submit", try CLITests.write(yaml, "gates.yaml", in: cli)]).status == 0)
        try Self.waitFor("both gates") {
            try Self.isRunning(cli, "two-gates", node: "first") && Self.isRunning(cli, "two-gates", node: "second")
        }
        let bad = try cli.run(["resume", "two-gates", "--node-field-selector", "color=red"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("unsupported field 'color'"), "\(bad.stderr)")
        #expect(try cli.run(["resume", "two-gates", "--node-field-selector", "displayName=first"]).status == 0)
        try Self.waitFor("the first gate") { !(try Self.isRunning(cli, "two-gates", node: "first")) }
        #expect(try Self.isRunning(cli, "two-gates", node: "second"), "the second gate still waits")
        let wf = try CLITests.json(try cli.run(["get", "two-gates", "-o", "json"]).stdout)
        let second = try #require(Self.nodes(wf).first { $0["displayName"] as? String == "second" }?["id"] as? String)
        #expect(try cli.run(["resume", "two-gates", "--node-field-selector", "id=\(second)"]).status == 0)
        #expect(CLITests.phase(try cli.waitFinished("two-gates")) == "Succeeded")
    }

    /// `argosy node set` answers a suspend step: supplied outputs reach the next step, and a phase ends the node.
    @Test(arguments: [("Succeeded", "yes"), ("Failed", nil)])
    func nodeSetAnswersASuspendStep(phase: String, expected: String?) throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: ask}
            spec:
              entrypoint: main
              templates:
              - name: main
                steps:
                - - {name: approve, template: wait}
                - - name: deploy
                    template: deploy
                    arguments: {parameters: [{name: answer, value: "{{steps.approve.outputs.parameters.approved}}"}]}
              - name: wait
                suspend: {}
                outputs:
                  parameters:
                  - name: approved
                    valueFrom: {supplied: {}}
              - name: deploy
                inputs: {parameters: [{name: answer}]}
                container: {image: alpine, command: [echo, "answer={{inputs.parameters.answer}}"]}
            """
        #expect(try cli.run(["submit", try CLITests.write(yaml, "ask.yaml", in: cli)]).status == 0)
        try Self.waitFor("the suspend node") { try Self.isRunning(cli, "ask", node: "approve") }
        let nothing = try cli.run(["node", "set", "ask", "--node-field-selector", "displayName=nope", "--phase", phase])
        #expect(nothing.status == 1)
        #expect(nothing.stderr.contains("no running suspend nodes match nodeFieldSelector 'displayName=nope'"))
        let undeclared = try cli.run([
            "node", "set", "ask", "--node-field-selector", "displayName=approve", "--output-parameter", "other=1",
        ])
        #expect(undeclared.status == 1)
        #expect(undeclared.stderr.contains("does not expect output parameter 'other'"), "\(undeclared.stderr)")
        let set = try cli.run([
            "node", "set", "ask", "--node-field-selector", "displayName=approve", "--output-parameter", "approved=yes",
            "--message", "checked by ops", "--phase", phase,
        ])
        #expect(set.status == 0, "\(set.stderr)")
        let wf = try cli.waitFinished("ask")
        #expect(CLITests.phase(wf) == (expected == nil ? "Failed" : "Succeeded"))
        let approve = Self.nodes(wf).first { $0["displayName"] as? String == "approve" }
        #expect(approve?["phase"] as? String == phase)
        #expect(approve?["message"] as? String == "checked by ops")
        if let expected {
            #expect(try cli.run(["logs", "ask"]).stdout.contains("answer=\(expected)"))
        }
    }

    @Test func retryRunsFailedStepsAgainAndKeepsSucceededOnes() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let marks = cli.home.appendingPathComponent("marks")
        try FileManager.default.createDirectory(at: marks, withIntermediateDirectories: true)
        let yaml = Self.flakyWorkflow(name: "again", marks: marks)
        let first = try cli.run(["submit", "--wait", try CLITests.write(yaml, "r.yaml", in: cli)])
        #expect(first.status == 1)
        #expect(FileManager.default.createFile(atPath: marks.appendingPathComponent("fixed").path, contents: nil))
        let retry = try cli.run(["retry", "--wait", "again"])
        #expect(retry.status == 0, "\(retry.stdout)\(retry.stderr)")
        #expect(retry.stdout.contains("again Succeeded"))
        #expect(
            try String(contentsOf: marks.appendingPathComponent("once"), encoding: .utf8) == "x\n",
            "succeeded steps are not re-run")
        #expect(try String(contentsOf: marks.appendingPathComponent("flaky"), encoding: .utf8) == "x\nx\n")
        let succeeded = try cli.run(["retry", "again"])
        #expect(succeeded.status == 1)
        #expect(succeeded.stderr.contains("only Failed or Error workflows can be retried"))
        let resubmit = try cli.run(["resubmit", "--wait", "again"])
        #expect(resubmit.status == 0, "\(resubmit.stderr)")
        #expect(try cli.run(["list", "-o", "name"]).stdout.split(separator: "\n").count == 2)
    }

    @Test func deadControllerIsShownAndAnotherControllerFinishesTheWorkWithoutRerunningSteps() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let marks = cli.home.appendingPathComponent("marks")
        try FileManager.default.createDirectory(at: marks, withIntermediateDirectories: true)
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: orphan}
            spec:
              entrypoint: main
              volumes: [{name: marks, hostPath: {path: \(marks.path)}}]
              templates:
              - name: main
                steps:
                - - {name: slow, template: slow}
                - - {name: after, template: after}
              - name: slow
                container:
                  image: alpine
                  command: [sh, -c, "echo started >> /marks/slow; sleep 2; echo done >> /marks/slow"]
                  volumeMounts: [{name: marks, mountPath: /marks}]
              - name: after
                container: {image: alpine, command: [echo, after-ran]}
            """
        var env = cli
        env.environment["ARGOSY_LEASE_SECONDS"] = "2"
        let process = try env.start(["submit", "--wait", try CLITests.write(yaml, "o.yaml", in: cli)])
        try Self.waitFor("the slow step") { try Self.isRunning(cli, "orphan", node: "slow") }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        sleep(3)
        let get = try cli.run(["get", "orphan"]).stdout
        #expect(get.contains("Status:              Running"))
        #expect(get.contains("no controller is running this workflow"))
        let controller = try env.run(["controller", "--idle-exit", "1"], timeout: 30)
        #expect(controller.status == 0, "\(controller.stderr)")
        let wf = try cli.waitFinished("orphan", timeout: 5)
        #expect(CLITests.phase(wf) == "Succeeded")
        #expect(
            try String(contentsOf: marks.appendingPathComponent("slow"), encoding: .utf8) == "started\ndone\n",
            "the running step was re-attached, not started again")
        #expect(try cli.run(["logs", "orphan"]).stdout.contains("after-ran"))
    }

    /// A pass whose commit fails (here a trigger holds every write to `launches`) keeps its step launches for the
    /// next pass: the engine asks for a launch only once, so dropping it would leave the workflow Running forever.
    @Test func aFailedCommitKeepsItsLaunchesForTheNextPass() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        #expect(try cli.run(["list"]).status == 0)  // makes the store
        let db = try SQLiteStore(home: cli.home).database
        try db.execute(
            """
            CREATE TABLE test_hold (x);
            INSERT INTO test_hold VALUES (1);
            CREATE TRIGGER test_hold_launches BEFORE INSERT ON launches WHEN EXISTS (SELECT 1 FROM test_hold)
            BEGIN SELECT RAISE(ABORT, 'held by the test'); END;
            """)
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: held}
            spec:
              entrypoint: main
              templates:
              - name: main
                steps:
                - - {name: one, template: t}
                - - {name: two, template: t}
              - {name: t, container: {image: alpine, command: [echo, hi]}}
            """
        let submit = try cli.start(["submit", "--wait", try CLITests.write(yaml, "held.yaml", in: cli)])
        defer { if submit.isRunning { submit.terminate() } }
        try Self.waitFor("the workflow to be stored", timeout: 15) { (try? cli.run(["get", "held"]).status) == 0 }
        usleep(1_500_000)
        let held = try CLITests.json(try cli.run(["get", "held", "-o", "json"]).stdout)
        #expect((held["status"] as? [String: Any])?["nodes"] == nil, "no pass could commit while held")
        try db.execute("DELETE FROM test_hold")
        let done = try cli.waitFinished("held", timeout: 30)
        #expect((done["status"] as? [String: Any])?["phase"] as? String == "Succeeded")
        submit.waitUntilExit()
        #expect(submit.terminationStatus == 0)
    }

    @Test func twoProcessesSharingAHomeNeverRunAStepTwice() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let marks = cli.home.appendingPathComponent("marks")
        try FileManager.default.createDirectory(at: marks, withIntermediateDirectories: true)
        var files: [String] = []
        for i in 0..<4 {
            let yaml = """
                apiVersion: argoproj.io/v1alpha1
                kind: Workflow
                metadata: {name: share-\(i)}
                spec:
                  entrypoint: main
                  volumes: [{name: marks, hostPath: {path: \(marks.path)}}]
                  templates:
                  - name: main
                    steps:
                    - - {name: s, template: t, withSequence: {count: "5"}}
                  - name: t
                    container:
                      image: alpine
                      command: [sh, -c, "echo {{pod.name}} >> /marks/runs; sleep 0.2"]
                      volumeMounts: [{name: marks, mountPath: /marks}]
                """
            files.append(try CLITests.write(yaml, "s\(i).yaml", in: cli))
        }
        // Two foreground submits and a background controller all share this home at once.
        let a = try cli.start(["submit", "--wait", files[0], files[1]])
        let b = try cli.start(["submit", "--wait", files[2]])
        #expect(try cli.run(["submit", files[3]]).status == 0)
        a.waitUntilExit()
        b.waitUntilExit()
        #expect(a.terminationStatus == 0)
        #expect(b.terminationStatus == 0)
        _ = try cli.waitFinished("share-3")
        let runs = try String(contentsOf: marks.appendingPathComponent("runs"), encoding: .utf8).split(separator: "\n")
        #expect(runs.count == 20)
        #expect(Set(runs).count == 20, "no step ran twice")
    }
}
