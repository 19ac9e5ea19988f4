import ArgosyTestSupport
import Foundation
import Testing

/// The workflow operations as a user meets them through the CLI, with real steps.
@Suite("Workflow operations", .serialized)
struct OperationsTests {
    static func sleeper(_ name: String, seconds: Int) -> String {
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: \(name)}
        spec:
          entrypoint: main
          templates:
          - name: main
            container: {image: alpine, command: [sleep, "\(seconds)"]}
        """
    }

    /// Pids of processes on this host whose command line is exactly `argv`.
    static func processes(_ argv: [String]) -> [String] {
        let want = argv.joined(separator: "\0") + "\0"
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { $0.allSatisfy(\.isNumber) }.filter { pid in
            (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) == want
        }
    }

    @Test func deletingARunningWorkflowKillsItsStepAndRemovesItsFiles() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let file = try CLITests.write(Self.sleeper("doomed", seconds: 6173), "doomed.yaml", in: cli)
        #expect(try cli.run(["submit", file]).status == 0)
        try ControlTests.waitFor("the step to run") { !Self.processes(["sleep", "6173"]).isEmpty }
        let steps = cli.home.appendingPathComponent("steps")
        #expect(try FileManager.default.contentsOfDirectory(atPath: steps.path).count == 1)

        let delete = try cli.run(["delete", "doomed"])
        #expect(delete.status == 0, "\(delete.stderr)")
        #expect(try cli.run(["get", "doomed"]).status != 0, "gone at once")
        try ControlTests.waitFor("the step to be killed") { Self.processes(["sleep", "6173"]).isEmpty }
        try ControlTests.waitFor("its files to go") {
            try FileManager.default.contentsOfDirectory(atPath: steps.path).isEmpty
        }
    }

    @Test func aWaitingSubmitSaysWhenItsWorkflowIsDeleted() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let file = try CLITests.write(Self.sleeper("watched", seconds: 6175), "watched.yaml", in: cli)
        let waiting = Process()
        waiting.executableURL = cli.binary
        waiting.arguments = ["submit", "--wait", file]
        waiting.environment = cli.environment
        let stderr = Pipe()
        waiting.standardOutput = FileHandle.nullDevice
        waiting.standardError = stderr
        try waiting.run()
        try ControlTests.waitFor("the step to run") { !Self.processes(["sleep", "6175"]).isEmpty }
        #expect(try cli.run(["delete", "watched"]).status == 0)
        waiting.waitUntilExit()
        #expect(waiting.terminationStatus == 1)
        let said = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(said.contains("a workflow this command ran was deleted; its running steps were killed"), "\(said)")
        #expect(Self.processes(["sleep", "6175"]).isEmpty)
    }

    /// Node ids derive from the workflow's name: two namespaces' workflows of one name have the same ids, and
    /// terminating one must not give its kill reason to the other.
    @Test func terminatingAWorkflowLeavesItsTwinInAnotherNamespaceAlone() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        // Blue's step ignores SIGTERM, so it lingers for the kill's grace period while green's ends.
        _ = try CLITests.write("killGraceSeconds: 5\n", "config.yaml", in: cli)
        let long = try CLITests.write(
            Self.sleeper("twin", seconds: 6174).replacingOccurrences(
                of: "command: [sleep, \"6174\"]", with: "command: [sh, -c, \"trap '' TERM; sleep 6174\"]"),
            "long.yaml", in: cli)
        let short = try CLITests.write(Self.sleeper("twin", seconds: 3), "short.yaml", in: cli)
        #expect(try cli.run(["submit", "-n", "blue", long]).status == 0)
        #expect(try cli.run(["submit", "-n", "green", short]).status == 0)
        try ControlTests.waitFor("both steps to run") {
            !Self.processes(["sleep", "6174"]).isEmpty && !Self.processes(["sleep", "3"]).isEmpty
        }
        #expect(try cli.run(["terminate", "-n", "blue", "twin"]).status == 0)
        let blue = try cli.waitFinished("twin", namespace: "blue")
        let green = try cli.waitFinished("twin", namespace: "green")
        let status = { (wf: [String: Any]) in wf["status"] as? [String: Any] ?? [:] }
        #expect(status(blue)["phase"] as? String == "Failed")
        #expect(status(green)["phase"] as? String == "Succeeded", "\(green)")
        let nodes = (status(green)["nodes"] as? [String: [String: Any]] ?? [:]).values
        #expect(nodes.count == 1)
        #expect(nodes.allSatisfy { $0["message"] == nil && $0["phase"] as? String == "Succeeded" }, "\(green)")
    }
}
