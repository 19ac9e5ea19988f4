import ArgosyTestSupport
import Foundation
import Testing

/// What a controller that dies leaves behind, and how the next one takes it up.
@Suite("Recovery", .serialized)
struct RecoveryTests {
    static func marker(_ name: String, marks: URL, seconds: Double) -> String {
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: \(name)}
        spec:
          entrypoint: main
          volumes: [{name: marks, hostPath: {path: \(marks.path)}}]
          templates:
          - name: main
            container:
              image: alpine
              command: [sh, -c, "echo ran >> /marks/\(name); sleep \(seconds)"]
              volumeMounts: [{name: marks, mountPath: /marks}]
        """
    }

    static func lines(_ url: URL) -> [Substring] {
        ((try? String(contentsOf: url, encoding: .utf8)) ?? "").split(separator: "\n")
    }

    /// The controller committed the step's node and launch, claimed the attempt, and died before any supervisor
    /// started it (here: its supervisor server never answers). The next controller starts the step, once: it
    /// neither fails it as lost nor runs it twice.
    @Test func aLaunchCommittedButNeverStartedRunsOnceAfterACrash() throws {
        var cli = try CLIRunner()
        defer { cli.cleanUp() }
        cli.environment["ARGOSY_LEASE_SECONDS"] = "1"
        let marks = cli.home.appendingPathComponent("marks")
        try FileManager.default.createDirectory(at: marks, withIntermediateDirectories: true)
        let file = try CLITests.write(Self.marker("never-started", marks: marks, seconds: 0), "wf.yaml", in: cli)
        // A "supervisor" that takes the request and does nothing with it.
        let silentPID = cli.home.appendingPathComponent("silent.pid")
        let silent = try CLITests.write(
            "#!/bin/sh\necho $$ > \(silentPID.path)\nexec sleep 60\n", "silent-exec", in: cli)
        chmod(silent, 0o755)
        var stuck = cli
        stuck.environment["ARGOSY_EXEC"] = silent
        let first = try stuck.start(["submit", "--wait", file])
        let status = cli.home.appendingPathComponent("steps")
        try ControlTests.waitFor("the step's claim") {
            let folders = (try? FileManager.default.contentsOfDirectory(atPath: status.path)) ?? []
            return folders.contains { folder in
                let log = status.appendingPathComponent(folder).appendingPathComponent("status")
                return Self.lines(log).contains { $0.hasSuffix(" claim") }
            }
        }
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        if let text = try? String(contentsOf: silentPID, encoding: .utf8),
            let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            kill(pid, SIGKILL)
        }

        let recovered = try cli.run(["controller", "--idle-exit", "1"], timeout: 30)
        #expect(recovered.status == 0, "\(recovered.stderr)")
        let wf = try cli.waitFinished("never-started", timeout: 10)
        #expect(CLITests.phase(wf) == "Succeeded", "\(wf["status"] ?? "")")
        #expect(Self.lines(marks.appendingPathComponent("never-started")) == ["ran"])
    }

    /// `submit --watch` killed while its step runs leaves the workflow leased to a dead process. A plain `submit`
    /// of another workflow starts the background controller, which must not go idle before that lease lapses:
    /// it adopts the orphan and sees it to the end.
    @Test func theBackgroundControllerWaitsToAdoptAnOrphan() throws {
        var cli = try CLIRunner()
        defer { cli.cleanUp() }
        // Longer than the background controller's idle exit (5 s): the case that was left Running for good.
        cli.environment["ARGOSY_LEASE_SECONDS"] = "8"
        let marks = cli.home.appendingPathComponent("marks")
        try FileManager.default.createDirectory(at: marks, withIntermediateDirectories: true)
        let orphan = try CLITests.write(Self.marker("orphan", marks: marks, seconds: 1), "orphan.yaml", in: cli)
        let watcher = try cli.start(["submit", "--watch", orphan])
        try ControlTests.waitFor("the orphan's step to start") {
            !Self.lines(marks.appendingPathComponent("orphan")).isEmpty
        }
        kill(watcher.processIdentifier, SIGKILL)
        watcher.waitUntilExit()

        let other = try CLITests.write(Self.marker("other", marks: marks, seconds: 0), "other.yaml", in: cli)
        #expect(try cli.run(["submit", other]).status == 0)
        let wf = try cli.waitFinished("orphan", timeout: 30)
        #expect(CLITests.phase(wf) == "Succeeded", "\(wf["status"] ?? "")")
        #expect(Self.lines(marks.appendingPathComponent("orphan")) == ["ran"], "the orphan's step ran once")
        #expect(CLITests.phase(try cli.waitFinished("other", timeout: 10)) == "Succeeded")
    }
}
