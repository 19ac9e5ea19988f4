import ArgosyTestSupport
import Foundation
import Testing

/// A home written by the release before schema versions opens with this one, everything in it intact.
@Suite("Store schema versions", .serialized)
struct StoreSchemaTests {
    /// `Tests/fixtures/home-schema-0`: written by that release with its CLI (a finished workflow with its step log,
    /// a workflow template, a suspended cron workflow, a secret, a config map and a token), then closed cleanly.
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fixtures/home-schema-0")
    static let token = "argosy.pq_Jl4m-0TWA9vzfGg4uMU1Aea3P9stxoMT05eLTUDg"

    static func copyOfFixture(_ cli: CLIRunner) throws {
        for item in try FileManager.default.contentsOfDirectory(atPath: Self.fixture.path) {
            try FileManager.default.copyItem(
                at: Self.fixture.appendingPathComponent(item), to: cli.home.appendingPathComponent(item))
        }
    }

    static func userVersion(_ cli: CLIRunner) throws -> String {
        let db = cli.home.appendingPathComponent("argosy.db").path
        let (_, out) = try ScriptedScenarioTests.run(
            "python3",
            [
                "-c",
                "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA user_version').fetchone()[0])",
                db,
            ], timeout: 20)
        return out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func aHomeOfTheReleaseBeforeOpensWithEverythingInIt() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        try Self.copyOfFixture(cli)
        #expect(try Self.userVersion(cli) == "0")

        let list = try cli.run(["list", "-o", "name"])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout == "kept-run\n")
        let get = try cli.run(["get", "kept-run", "-o", "json"]).stdout
        #expect(get.contains("Succeeded") && get.contains("eu-west-1") && get.contains("\"team\""), "\(get)")
        #expect(try cli.run(["logs", "kept-run"]).stdout.contains("inventory of eu-west-1"))
        #expect(try cli.run(["template", "list"]).stdout.contains("kept-template"))
        #expect(try cli.run(["cron", "list"]).stdout.contains("kept-cron"))
        #expect(try cli.run(["secret", "list"]).stdout.contains("kept-secret"))
        #expect(try cli.run(["configmap", "list"]).stdout.contains("kept-config"))
        #expect(try cli.run(["auth", "list"]).stdout.contains("kept-token"))
        #expect(try Self.userVersion(cli) == "1", "migrated to this build's version")

        // The secret's value and the token still work: a step reads the secret, the server takes the token.
        let wf = try CLITests.write(
            """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: reads-secret}
            spec:
              entrypoint: main
              volumes: [{name: s, secret: {secretName: kept-secret}}]
              templates:
              - name: main
                container: {image: alpine, command: [cat, /s/key], volumeMounts: [{name: s, mountPath: /s}]}
            """, "reads.yaml", in: cli)
        #expect(try cli.run(["submit", "--wait", wf]).status == 0)
        #expect(try cli.run(["logs", "reads-secret"]).stdout.contains("AKIAFIXTURE"))
        let (server, base) = try ServerTests.start(cli, arguments: ["--auth-mode", "client"])
        defer { server.terminate() }
        let url = "\(base)/api/v1/workflows/default/kept-run"
        #expect(try ClientAuthTests.request("GET", url, token: Self.token) == 200)
        #expect(try ClientAuthTests.request("GET", url, token: nil) == 401)
    }

    @Test func aHomeOfANewerReleaseIsRefusedAndLeftAsItIs() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        try Self.copyOfFixture(cli)
        let db = cli.home.appendingPathComponent("argosy.db").path
        _ = try ScriptedScenarioTests.run(
            "python3",
            [
                "-c",
                "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('PRAGMA user_version = 99'); c.commit()",
                db,
            ], timeout: 20)
        let before = try Data(contentsOf: URL(fileURLWithPath: db))
        let list = try cli.run(["list"])
        #expect(list.status != 0)
        #expect(
            list.stderr.contains("written by a newer Argosy (schema version 99; this build knows up to 1)"),
            "\(list.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: db)) == before)
    }
}
