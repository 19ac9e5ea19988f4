import ArgosyTestSupport
import Foundation
import Testing

/// What a step can see of Argosy and of its neighbours, probed from inside a step: nothing of the home (the
/// store, other workflows' logs and secrets), no other process (the controller's environment included), no
/// host disk device — wherever the home lives. Its own volumes, secret and output stay as they should.
@Suite("Step sandbox", .serialized)
struct SandboxTests {
    /// A workflow that writes a log line and keeps a secret mounted while it sleeps: what the probe looks for.
    static let victim = """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: victim}
        spec:
          entrypoint: main
          volumes: [{name: creds, secret: {secretName: victim-creds}}]
          templates:
          - name: main
            container:
              image: alpine
              command: [sh, -c, "echo VICTIM-LOG-MARKER; cat /creds/key >/dev/null; sleep 20"]
              volumeMounts: [{name: creds, mountPath: /creds}]
        """

    /// Probes the home, /proc and /dev, and prints what it found; also reads its own secret (which it must).
    static func probe(home: String) -> String {
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {name: probe}
        spec:
          entrypoint: main
          volumes: [{name: mine, secret: {secretName: probe-creds}}]
          templates:
          - name: main
            script:
              image: alpine
              command: [sh]
              volumeMounts: [{name: mine, mountPath: /mine}]
              source: |
                H='\(home)'
                echo "own-secret: $(cat /mine/key)"
                echo "home-listing: [$(ls -A "$H" 2>/dev/null | tr '\\n' ' ')]"
                for f in "$H/argosy.db" "$H"/steps/*/*.log "$H"/steps/*/*/secret-volumes/*/*; do
                  [ -r "$f" ] && echo "readable: $f"
                done
                grep -rl -e VICTIM-LOG-MARKER -e VICTIM-SECRET-VALUE "$H" 2>/dev/null | sed 's/^/found: /'
                for e in /proc/[0-9]*/environ; do
                  grep -q CONTROLLER-ENV-MARKER "$e" 2>/dev/null && echo "environ: $e"
                done
                echo "processes: $(ls -d /proc/[0-9]* | wc -l)"
                echo "block-devices: [$(find /dev -type b 2>/dev/null | tr '\\n' ' ')]"
                grep -E '^Cap(Bnd|Amb):' /proc/self/status | tr -s '\t' ' ' | sed 's/^/caps: /'
                umount /proc 2>/dev/null && echo "umounted /proc"
                umount "$H" 2>/dev/null && echo "umounted the home"
                echo probe-done
        """
    }

    static let homes: [String] = ["/tmp", "/var/tmp", "$HOME"]

    @Test(arguments: homes)
    func aStepSeesNothingOfArgosyOrItsNeighbours(_ parent: String) throws {
        let base =
            parent == "$HOME"
            ? FileManager.default.homeDirectoryForCurrentUser : URL(fileURLWithPath: parent)
        var cli = try CLIRunner(homeUnder: base)
        defer { cli.cleanUp() }
        cli.environment["ARGOSY_TEST_MARKER"] = "CONTROLLER-ENV-MARKER"
        let value = try CLITests.write("VICTIM-SECRET-VALUE", "victim-key", in: cli)
        #expect(try cli.run(["secret", "create", "generic", "victim-creds", "--from-file=key=\(value)"]).status == 0)
        let mine = try CLITests.write("PROBE-OWN-SECRET", "probe-key", in: cli)
        #expect(try cli.run(["secret", "create", "generic", "probe-creds", "--from-file=key=\(mine)"]).status == 0)
        try FileManager.default.removeItem(atPath: value)
        try FileManager.default.removeItem(atPath: mine)

        // The victim runs under the background controller while the probe runs in this submit's own.
        let victim = try CLITests.write(Self.victim, "victim.yaml", in: cli)
        #expect(try cli.run(["submit", victim]).status == 0)
        try ControlTests.waitFor("the victim to log and hold its secret") {
            try cli.run(["logs", "victim"]).stdout.contains("VICTIM-LOG-MARKER")
        }
        let probe = try CLITests.write(Self.probe(home: cli.home.path), "probe.yaml", in: cli)
        let run = try cli.run(["submit", "--wait", probe])
        #expect(run.status == 0, "\(run.stdout) \(run.stderr)")
        let log = try cli.run(["logs", "probe"]).stdout
        #expect(log.contains("probe-done"), "\(log)")
        #expect(log.contains("own-secret: PROBE-OWN-SECRET"), "a step still reads its own secret volume: \(log)")
        #expect(log.contains("home-listing: []"), "the home is an empty directory to the step: \(log)")
        for leak in ["readable: ", "found: ", "environ: ", "umounted"] {
            #expect(!log.contains(leak), "\(leak) \(log)")
        }
        #expect(log.contains("block-devices: []"), "\(log)")
        // Docker's default capabilities without CAP_MKNOD bound whatever the step execs; none are ambient.
        #expect(log.contains("caps: CapBnd: 00000000a00425fb"), "\(log)")
        #expect(log.contains("caps: CapAmb: 0000000000000000"), "\(log)")
        // Its own shell, the probes it runs and the namespace's init: a handful, never the host's hundreds.
        let count = log.split(separator: "\n").first { $0.contains("processes: ") }
            .flatMap { Int($0.split(separator: " ").last ?? "") }
        #expect((count ?? 99) < 10, "\(log)")
        _ = try cli.run(["terminate", "victim"])
    }
}
