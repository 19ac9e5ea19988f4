import ArgosyTestSupport
import Foundation
import Testing

/// `Tests/fuzz/api_fuzz.py` against a live `argosy server`: generated bodies, queries, methods and paths (2,000
/// cases and the kept crashers per run); the server never dies, never answers 5xx, answers every 4xx in Argo's
/// shape, and what was stored before the run is unchanged.
@Suite("API fuzz", .serialized)
struct APIFuzzTests {
    /// Runs the fuzzer against a server of this home (with `arguments`), with `token` for the cases.
    static func fuzz(_ cli: CLIRunner, seed: Int, arguments: [String] = [], token: String? = nil, admin: String? = nil)
        throws -> (Int32, String)
    {
        let stderr = cli.home.appendingPathComponent("server.stderr")
        let (p, base) = try ServerTests.start(cli, arguments: arguments, stderr: stderr)
        defer {
            p.terminate()
            p.waitUntilExit()
        }
        var args = [
            "Tests/fuzz/api_fuzz.py", "--base", base, "--seed", String(seed), "--cases", "2000",
            "--server-pid", String(p.processIdentifier), "--server-stderr", stderr.path,
        ]
        if let token { args += ["--token", token] }
        if let admin { args += ["--admin-token", admin] }
        let result = try ScriptedScenarioTests.run("python3", args, timeout: 240)
        #expect(p.isRunning, "the server is alive after the run")
        return result
    }

    @Test(arguments: [1, 2])
    func theServerSurvivesGeneratedRequests(seed: Int) throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let (status, output) = try Self.fuzz(cli, seed: seed)
        #expect(status == 0, "\(output.suffix(6000))")
        #expect(output.contains("failures=0"), "\(output.suffix(3000))")
    }

    /// The same with tokens: one limited to a namespace for the cases, an unscoped one for the kept data.
    @Test func theServerSurvivesGeneratedRequestsWithAScopedToken() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let admin = try cli.run(["auth", "token", "--name", "admin"]).stdout.trimmingCharacters(
            in: .whitespacesAndNewlines)
        let scoped = try cli.run(["auth", "token", "--name", "fuzz", "--namespace", "fuzz"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let (status, output) = try Self.fuzz(
            cli, seed: 3, arguments: ["--auth-mode", "client"], token: scoped, admin: admin)
        #expect(status == 0, "\(output.suffix(6000))")
        #expect(output.contains("failures=0"), "\(output.suffix(3000))")
    }
}
