import ArgosyTestSupport
import Foundation
import Testing

/// `limits:` in `$ARGOSY_HOME/config.yaml`, as a user sets them and meets their refusals.
@Suite("Limits in config.yaml", .serialized)
struct ConfigLimitsTests {
    static let loop = """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {generateName: loop-}
        spec:
          entrypoint: main
          templates:
          - name: main
            steps: [[{name: each, template: a, withItems: [1, 2, 3, 4]}]]
          - {name: a, container: {image: alpine, command: ["true"]}}
        """

    @Test func limitsFromConfigAreEnforcedAndNamed() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        try Data("limits: {loopItems: 3, workflowsPerRequest: 2}\n".utf8)
            .write(to: cli.home.appendingPathComponent("config.yaml"))
        let loop = try CLITests.write(Self.loop, "loop.yaml", in: cli)
        let refused = try cli.run(["submit", "--wait", loop])
        #expect(refused.status == 1)
        #expect(
            refused.stderr.contains("4 items is more than the limit of 3 per loop (limits.loopItems)"),
            "\(refused.stderr)")
        let three = try CLITests.write(
            Array(repeating: CLITests.hello, count: 3).joined(separator: "\n---\n"), "three.yaml", in: cli)
        let batch = try cli.run(["submit", three])
        #expect(batch.status == 1)
        #expect(
            batch.stderr.contains("3 workflows in one submit is more than the limit of 2 (limits.workflowsPerRequest)"))
        #expect(try cli.run(["list", "-o", "name"]).stdout.isEmpty, "nothing was stored")
    }

    @Test(arguments: [
        ("limits: {bogus: 1}", "limits.bogus: unknown limit"),
        ("limits: {loopItems: -5}", "limits.loopItems: expected a positive integer, found -5"),
        ("limits: {loopItems: 1e19}", "limits.loopItems: expected a positive integer"),
        ("limits: [1]", "limits: expected a mapping"),
    ])
    func aBadLimitIsAnErrorNamingIt(_ config: String, _ message: String) throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        try Data("\(config)\n".utf8).write(to: cli.home.appendingPathComponent("config.yaml"))
        let file = try CLITests.write(CLITests.hello, "hello.yaml", in: cli)
        let run = try cli.run(["submit", "--wait", file])
        #expect(run.status == 1)
        #expect(run.stderr.contains(message), "\(run.stderr)")
    }
}
