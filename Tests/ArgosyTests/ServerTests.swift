import ArgosyTestSupport
import Foundation
import Testing

/// `argosy server` as clients meet it: a real HTTP server on loopback, curl-like requests, Hera.
@Suite("argo-server API", .serialized)
struct ServerTests {
    /// Starts `argosy server --port 0` for this home and returns its base URL; the caller stops it. Its standard
    /// error goes to `stderr` when given.
    static func start(_ cli: CLIRunner, port: Int = 0, arguments: [String] = [], stderr: URL? = nil) throws -> (
        Process, String
    ) {
        let p = Process()
        p.executableURL = cli.binary
        p.arguments = ["server", "--port", String(port)] + arguments
        p.environment = cli.environment
        let out = Pipe()
        p.standardOutput = out
        if let stderr {
            _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
            p.standardError = try FileHandle(forWritingTo: stderr)
        } else {
            p.standardError = FileHandle.nullDevice
        }
        try p.run()
        var text = ""
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, !text.contains("listening on") {
            let data = out.fileHandleForReading.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
        }
        guard let range = text.range(of: "://127.0.0.1:"), let listening = text.range(of: "listening on ") else {
            p.terminate()
            throw TestFailure("server did not start: \(text)")
        }
        let port = text[range.upperBound...].prefix { $0.isNumber }
        return (p, "\(text[listening.upperBound..<range.lowerBound])://127.0.0.1:\(port)")
    }

    static func request(
        _ method: String, _ url: String, _ body: String? = nil, accept: String? = nil, timeout: Double = 10
    )
        throws -> (Int, String)
    {
        var args = ["-s", "-o", "-", "-w", "\n%{http_code}", "-X", method, "--max-time", String(Int(timeout)), url]
        if let body { args += ["-H", "Content-Type: application/json", "--data-binary", body] }
        if let accept { args += ["-H", "Accept: \(accept)"] }
        let (_, output) = try ScriptedScenarioTests.run("curl", args, timeout: timeout + 5)
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        let status = Int(lines.last ?? "") ?? 0
        return (status, lines.dropLast().joined(separator: "\n"))
    }

    static let workflow =
        #"{"workflow": {"metadata": {"generateName": "api-"}, "spec": {"entrypoint": "main", "templates": [{"name": "main", "steps": [[{"name": "one", "template": "say"}], [{"name": "two", "template": "say"}]]}, {"name": "say", "container": {"image": "alpine", "command": ["sh", "-c", "sleep 0.3; echo hi-from-api"]}}]}}}"#

    @Test func createGetListLogsEventsAndErrors() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let (server, base) = try Self.start(cli)
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        let (vs, version) = try Self.request("GET", "\(base)/api/v1/version")
        #expect(vs == 200)
        #expect(version.contains("\"version\":\"v"))

        // The watch stream starts first and must see ADDED, then MODIFIED, then the final phase, in order.
        let watch = OutputCollector.start(
            "curl", ["-s", "-N", "--max-time", "8", "\(base)/api/v1/workflow-events/default"])
        let slimWatch = OutputCollector.start(
            "curl",
            [
                "-s", "-N", "--max-time", "8",
                "\(base)/api/v1/workflow-events/default?fields=result.type,result.object.metadata.name",
            ])
        Thread.sleep(forTimeInterval: 0.5)
        let (cs, created) = try Self.request("POST", "\(base)/api/v1/workflows/default", Self.workflow)
        #expect(cs == 200, "\(created)")
        let name = try #require((try CLITests.json(created)["metadata"] as? [String: Any])?["name"] as? String)
        _ = try cli.waitFinished(name, timeout: 30)

        let (gs, got) = try Self.request("GET", "\(base)/api/v1/workflows/default/\(name)")
        #expect(gs == 200)
        #expect(CLITests.phase(try CLITests.json(got)) == "Succeeded")
        let (ls, list) = try Self.request(
            "GET", "\(base)/api/v1/workflows/default?listOptions.labelSelector=missing%3Dlabel")
        #expect(ls == 200)
        #expect((try CLITests.json(list)["items"] as? [Any]) == nil, "the label selector filters")
        // `fields` keeps only the named paths, or with a leading '-' drops them.
        let (fs, slim) = try Self.request(
            "GET", "\(base)/api/v1/workflows/default?fields=metadata,items.metadata.name,items.status.phase")
        #expect(fs == 200)
        let slimItems = try #require(try CLITests.json(slim)["items"] as? [[String: Any]])
        #expect(slimItems.count == 1)
        #expect(Set(slimItems[0].keys) == ["metadata", "status"])
        #expect((slimItems[0]["metadata"] as? [String: Any])?.count == 1)
        #expect((slimItems[0]["status"] as? [String: Any])?["phase"] as? String == "Succeeded")
        #expect((slimItems[0]["status"] as? [String: Any])?.count == 1)
        let (_, noNodes) = try Self.request("GET", "\(base)/api/v1/workflows/default/\(name)?fields=-status.nodes,spec")
        let trimmed = try CLITests.json(noNodes)
        #expect(trimmed["spec"] == nil)
        #expect((trimmed["status"] as? [String: Any])?["nodes"] == nil)
        #expect((trimmed["status"] as? [String: Any])?["phase"] as? String == "Succeeded")
        let (_, log) = try Self.request("GET", "\(base)/api/v1/workflows/default/\(name)/log?logOptions.follow=true")
        #expect(log.split(separator: "\n").filter { $0.contains("\"content\":\"hi-from-api\"") }.count == 2)

        let events = watch.text()
        let types = events.split(separator: "\n").compactMap { line -> String? in
            guard line.contains(name), let r = line.range(of: "\"type\":\"") else { return nil }
            return String(line[r.upperBound...].prefix { $0 != "\"" })
        }
        #expect(types.first == "ADDED", "\(types)")
        #expect(types.dropFirst().allSatisfy { $0 == "MODIFIED" })
        #expect(types.count >= 3, "progress was streamed: \(types)")
        let last = events.split(separator: "\n").last { $0.contains(name) } ?? ""
        #expect(last.contains("\"phase\":\"Succeeded\""))
        let slimLines = slimWatch.text().split(separator: "\n").filter { $0.contains(name) }
        #expect(slimLines.count >= 3, "\(slimLines)")
        #expect(
            slimLines.allSatisfy { $0.hasPrefix(#"{"result":{"type":""#) && !$0.contains("status") }, "\(slimLines)")

        // The controller served this workflow: its passes, commits and two step starts are counted.
        let (ms, metrics) = try Self.request("GET", "\(base)/metrics")
        #expect(ms == 200)
        let counts = Dictionary(
            metrics.split(separator: "\n").compactMap { line -> (String, Int)? in
                let parts = line.split(separator: " ")
                guard parts.count == 2, parts[0].hasSuffix("_count"), let n = Int(parts[1]) else { return nil }
                return (String(parts[0]), n)
            }, uniquingKeysWith: { a, _ in a })
        #expect(metrics.contains("argo_workflows_count{status=\"Succeeded\"} 1\n"), "\(metrics)")
        #expect(metrics.contains("argo_workflows_count{status=\"Running\"} 0\n"), "\(metrics)")
        #expect((counts["argo_workflows_operation_duration_seconds_count"] ?? 0) >= 3, "\(metrics)")
        #expect((counts["argosy_store_commit_seconds_count"] ?? 0) >= 3, "\(metrics)")
        #expect(counts["argosy_step_start_seconds_count"] == 2, "\(metrics)")
        #expect(metrics.contains("argo_workflows_queue_depth_count{queue_name=\"workflow_queue\"}"))

        let (bs, bad) = try Self.request("POST", "\(base)/api/v1/workflows/default", "{not json")
        #expect(bs == 400)
        #expect(bad.contains("\"code\":3") && bad.contains("malformed JSON"))
        let (ks, kind) = try Self.request(
            "POST", "\(base)/api/v1/workflows/default", #"{"workflow": {"kind": "Pod", "metadata": {"name": "x"}}}"#)
        #expect(ks == 400)
        #expect(kind.contains("unsupported kind 'Pod'"))
        let (ns, invalidName) = try Self.request(
            "POST", "\(base)/api/v1/workflows/default",
            Self.workflow.replacingOccurrences(of: #""generateName": "api-""#, with: #""name": "Bad_Name""#))
        #expect(ns == 400)
        #expect(invalidName.contains("metadata.name 'Bad_Name' is invalid"))
        let (nf, missing) = try Self.request("GET", "\(base)/api/v1/workflows/default/nope")
        #expect(nf == 404)
        #expect(missing == #"{"code":5,"message":"workflows.argoproj.io \"nope\" not found"}"#)
        let bigFile = cli.home.appendingPathComponent("big.json")
        try Data(("{\"workflow\": \"" + String(repeating: "x", count: 5 * 1024 * 1024) + "\"}").utf8).write(to: bigFile)
        let (os, _) = try Self.request("POST", "\(base)/api/v1/workflows/default", "@" + bigFile.path)
        #expect(os == 413)
        let (after, _) = try Self.request("GET", "\(base)/api/v1/version")
        #expect(after == 200, "the server keeps serving")
        let (ds, _) = try Self.request("DELETE", "\(base)/api/v1/workflows/default/\(name)")
        #expect(ds == 200)
        #expect(try Self.request("GET", "\(base)/api/v1/workflows/default/\(name)").0 == 404)
    }

    @Test func officialArgoWorkflowsClientWorksUnchanged() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let (server, base) = try Self.start(cli)
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        let (status, output) = try ScriptedScenarioTests.run(
            "python3", ["Tests/scenarios/argo_client.py", "--host", base], timeout: 120)
        #expect(status == 0, "\(output)")
        #expect(output.contains("4 passed, 0 failed"), "\(output)")
    }

    /// A client watching a 50-step workflow sees ADDED, then MODIFIED as nodes progress, then the final phase.
    @Test func watchStreamFollowsAFiftyStepWorkflowInOrder() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let (server, base) = try Self.start(cli)
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        let steps = (0..<50).map { #"[{"name": "s\#($0)", "template": "t"}]"# }.joined(separator: ", ")
        let body =
            #"{"workflow": {"metadata": {"name": "fifty"}, "spec": {"entrypoint": "main", "templates": [{"name": "main", "steps": ["#
            + steps + #"]}, {"name": "t", "container": {"image": "alpine", "command": ["sleep", "0.05"]}}]}}}"#
        let watch = OutputCollector.start(
            "curl",
            [
                "-s", "-N", "--max-time", "25", "-H", "Accept: text/event-stream",
                "\(base)/api/v1/workflow-events/default?listOptions.fieldSelector=metadata.name%3Dfifty",
            ])
        Thread.sleep(forTimeInterval: 0.5)
        let file = cli.home.appendingPathComponent("fifty.json")
        try Data(body.utf8).write(to: file)
        #expect(try Self.request("POST", "\(base)/api/v1/workflows/default", "@" + file.path).0 == 200)
        _ = try cli.waitFinished("fifty", timeout: 60)
        // The stream looks at the store every 100 ms: give it one look at the final state before the delete
        // (a delete inside that window shows as DELETED without the last MODIFIED; docs/compatibility.md).
        Thread.sleep(forTimeInterval: 0.5)
        let (_, _) = try Self.request("DELETE", "\(base)/api/v1/workflows/default/fifty")
        let frames = watch.text().components(separatedBy: "\n\n").filter { $0.hasPrefix("data: ") }
        let events = frames.compactMap { frame -> (String, String)? in
            guard let json = try? CLITests.json(String(frame.dropFirst(6))),
                let result = json["result"] as? [String: Any], let type = result["type"] as? String
            else { return nil }
            let object = result["object"] as? [String: Any] ?? [:]
            let progress = (object["status"] as? [String: Any])?["progress"] as? String ?? ""
            return (type, progress)
        }
        #expect(events.first?.0 == "ADDED")
        let modified = events.filter { $0.0 == "MODIFIED" }
        #expect(modified.count >= 10, "progress was streamed: \(events.count) events")
        let finished = modified.map { Int($0.1.split(separator: "/").first ?? "") ?? 0 }
        #expect(finished == finished.sorted(), "progress only grows")
        #expect(modified.last?.1 == "50/50")
        #expect(events.last?.0 == "DELETED")
    }

    /// SIGTERM: the server stops cleanly, and what was running finishes under the next controller.
    @Test func sigtermDrainsAndTheNextControllerFinishesTheWork() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let (server, base) = try Self.start(cli)
        let body =
            #"{"workflow": {"metadata": {"name": "drain"}, "spec": {"entrypoint": "t", "templates": [{"name": "t", "container": {"image": "alpine", "command": ["sleep", "1"]}}]}}}"#
        #expect(try Self.request("POST", "\(base)/api/v1/workflows/default", body).0 == 200)
        // Open streams (an event stream, a followed log) end when the server shuts down: they do not hold it up.
        let streams = ["/api/v1/workflow-events/default", "/api/v1/workflows/default/drain/log?logOptions.follow=true"]
            .map { path in
                let curl = Process()
                curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
                curl.arguments = ["-sSN", "--max-time", "20", base + path]
                curl.standardOutput = FileHandle.nullDevice
                curl.standardError = FileHandle.nullDevice
                return curl
            }
        for curl in streams { try curl.run() }
        Thread.sleep(forTimeInterval: 0.5)
        server.terminate()
        server.waitUntilExit()
        #expect(server.terminationReason == .exit, "a clean exit, not a crash")
        #expect(server.terminationStatus == 0)
        for curl in streams {
            curl.waitUntilExit()
            #expect(curl.terminationStatus == 0, "the stream ended cleanly, before curl's 20 s limit")
        }
        let done = try cli.run(["controller", "--idle-exit", "1"], timeout: 30)
        #expect(done.status == 0)
        #expect(CLITests.phase(try cli.waitFinished("drain", timeout: 5)) == "Succeeded")
    }

    @Test func heraBuildsSubmitsWaitsAndReadsOutputsUnchanged() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let (server, base) = try Self.start(cli)
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        let (status, output) = try ScriptedScenarioTests.run(
            "python3", ["Tests/scenarios/hera_dag.py", "--host", base], timeout: 120)
        #expect(status == 0, "\(output)")
        #expect(output.contains("8 passed, 0 failed"), "\(output)")
    }
}

extension OutputCollector {
    /// Starts a program and collects its output until it exits.
    static func start(_ program: String, _ args: [String]) -> OutputCollector {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [program] + args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try? p.run()
        return OutputCollector(pipe.fileHandleForReading)
    }
}

@Suite("docs/api.md examples", .serialized)
struct APIDocumentationTests {
    /// Every `sh` block of docs/api.md runs against a fresh server and succeeds.
    @Test func curlExamplesRun() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let (server, base) = try ServerTests.start(cli)
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        let doc = try String(
            contentsOf: CLIRunner.repositoryRoot.appendingPathComponent("docs/api.md"), encoding: .utf8)
        let blocks = doc.components(separatedBy: "```sh\n").dropFirst().map {
            $0.components(separatedBy: "```").first ?? ""
        }
        #expect(blocks.count >= 3)
        for block in blocks {
            let (status, output) = try ScriptedScenarioTests.run(
                "bash", ["-ec", "ARGO=\(base)\n" + block], timeout: 60)
            #expect(status == 0, "failed:\n\(block)\n\(output)")
        }
    }
}

@Suite("Server crash recovery", .serialized)
struct ServerCrashTests {
    /// 50 workflows with sleeps and retries; the server is killed with SIGKILL mid-run and started again.
    /// Every workflow ends Succeeded and no step that had finished ran again.
    @Test func killNineLosesNothing() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let marks = cli.home.appendingPathComponent("marks")
        try FileManager.default.createDirectory(at: marks, withIntermediateDirectories: true)
        var (server, base) = try ServerTests.start(cli)
        let body = """
            {"workflow": {"metadata": {"generateName": "crash-"}, "spec": {"entrypoint": "main",
              "volumes": [{"name": "marks", "hostPath": {"path": "\(marks.path)"}}],
              "templates": [
                {"name": "main", "steps": [[{"name": "slow", "template": "slow"}], [{"name": "flaky", "template": "flaky"}]]},
                {"name": "slow", "container": {"image": "alpine", "command": ["sh", "-c",
                  "echo start {{pod.name}} >> /marks/log; sleep 1.5; echo done {{pod.name}} >> /marks/log"],
                  "volumeMounts": [{"name": "marks", "mountPath": "/marks"}]}},
                {"name": "flaky", "retryStrategy": {"limit": 2}, "container": {"image": "alpine", "command": ["sh", "-c",
                  "echo done {{pod.name}} >> /marks/log; test -e /marks/{{workflow.name}} || { touch /marks/{{workflow.name}}; exit 1; }"],
                  "volumeMounts": [{"name": "marks", "mountPath": "/marks"}]}}]}}}
            """
        let file = cli.home.appendingPathComponent("wf.json")
        try Data(body.utf8).write(to: file)
        for _ in 0..<50 {
            #expect(try ServerTests.request("POST", "\(base)/api/v1/workflows/default", "@" + file.path).0 == 200)
        }
        Thread.sleep(forTimeInterval: 1.0)
        kill(server.processIdentifier, SIGKILL)
        server.waitUntilExit()
        var env = cli
        env.environment["ARGOSY_LEASE_SECONDS"] = "2"
        (server, base) = try ServerTests.start(env)
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        try ControlTests.waitFor("every workflow to finish", timeout: 120) {
            let (_, list) = try ServerTests.request("GET", "\(base)/api/v1/workflows/default")
            let items = (try CLITests.json(list)["items"] as? [[String: Any]]) ?? []
            return items.count == 50
                && items.allSatisfy { ["Succeeded", "Failed", "Error"].contains(CLITests.phase($0) ?? "") }
        }
        let (_, list) = try ServerTests.request("GET", "\(base)/api/v1/workflows/default")
        let items = (try CLITests.json(list)["items"] as? [[String: Any]]) ?? []
        #expect(items.allSatisfy { CLITests.phase($0) == "Succeeded" }, "\(items.map { CLITests.phase($0) ?? "" })")
        let lines = try String(contentsOf: marks.appendingPathComponent("log"), encoding: .utf8).split(separator: "\n")
        let done = lines.filter { $0.hasPrefix("done ") }
        #expect(Set(done).count == done.count, "no finished step ran twice")
        let starts = lines.filter { $0.hasPrefix("start ") }
        #expect(Set(starts).count == starts.count, "running steps were re-attached, not started again")
        #expect(starts.count == 50)
    }
}

@Suite("Client auth mode", .serialized)
struct ClientAuthTests {
    static func request(_ method: String, _ url: String, token: String?) throws -> Int {
        var args = ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", method, "--max-time", "5", url]
        if let token { args += ["-H", "Authorization: Bearer \(token)"] }
        if method == "POST" || method == "PUT" { args += ["-H", "Content-Type: application/json", "-d", "{}"] }
        let (_, out) = try ScriptedScenarioTests.run("curl", args, timeout: 10)
        return Int(out.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    @Test func everyPathAnswers401WithoutAValidTokenAnd403OutsideItsScope() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let token = try cli.run(["auth", "token", "--name", "ops", "--namespace", "ops"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.hasPrefix("argosy."))
        #expect(!(try cli.run(["auth", "list"]).stdout.contains(token)), "secrets are never listed")
        let (p, base) = try ServerTests.start(cli, arguments: ["--auth-mode", "client"])
        defer {
            p.terminate()
            p.waitUntilExit()
        }
        let paths: [(String, String)] = [
            ("GET", "/api/v1/version"), ("GET", "/api/v1/info"), ("GET", "/api/v1/userinfo"),
            ("GET", "/api/v1/workflows/ops"), ("POST", "/api/v1/workflows/ops"), ("GET", "/api/v1/workflows/ops/x"),
            ("DELETE", "/api/v1/workflows/ops/x"), ("POST", "/api/v1/workflows/ops/lint"),
            ("POST", "/api/v1/workflows/ops/submit"), ("PUT", "/api/v1/workflows/ops/x/stop"),
            ("GET", "/api/v1/workflows/ops/x/log"), ("GET", "/api/v1/workflow-events/ops"),
            ("GET", "/api/v1/workflow-templates/ops"), ("GET", "/api/v1/cluster-workflow-templates"),
            ("GET", "/api/v1/cron-workflows/ops"), ("GET", "/api/v1/archived-workflows"),
        ]
        let tampered = String(token.dropLast()) + (token.last == "A" ? "B" : "A")
        for (method, path) in paths {
            #expect(try Self.request(method, base + path, token: nil) == 401, "\(method) \(path) without a token")
            #expect(
                try Self.request(method, base + path, token: tampered) == 401, "\(method) \(path) with a tampered token"
            )
        }
        #expect(try Self.request("GET", base + "/api/v1/workflows/ops", token: token) == 200)
        #expect(try Self.request("GET", base + "/api/v1/workflows/default", token: token) == 403)
        #expect(try Self.request("GET", base + "/metrics", token: nil) == 200, "metrics need no token")
        #expect(try cli.run(["auth", "revoke", "ops"]).status == 0)
        #expect(try Self.request("GET", base + "/api/v1/workflows/ops", token: token) == 401, "revoked")
    }
}

@Suite("Remote CLI", .serialized)
struct RemoteCLITests {
    /// A server on its own home, and a CLI with another (empty) home pointed at it over http.
    struct Remote {
        let serverHome: CLIRunner
        let cli: CLIRunner
        let server: Process

        func stop() {
            server.terminate()
            server.waitUntilExit()
            cli.cleanUp()
            serverHome.cleanUp()
        }
    }

    static func remote() throws -> Remote {
        let serverHome = try CLIRunner()
        let server: Process
        let base: String
        do {
            (server, base) = try ServerTests.start(serverHome)
        } catch {
            serverHome.cleanUp()
            throw error
        }
        var cli = try CLIRunner()
        cli.environment["ARGO_SERVER"] = base.replacingOccurrences(of: "http://", with: "")
        cli.environment["ARGO_SECURE"] = "false"
        return Remote(serverHome: serverHome, cli: cli, server: server)
    }

    /// Every command goes to `ARGO_SERVER` when it is set; the CLI's own home stays empty.
    @Test func commandsTalkToTheServerWhenArgoServerIsSet() throws {
        let remote = try Self.remote()
        defer { remote.stop() }
        let (serverHome, cli) = (remote.serverHome, remote.cli)
        let submit = try cli.run(["submit", "--wait", "examples/hello-world.yaml", "--name", "remote-hello"])
        #expect(submit.status == 0, "\(submit.stdout)\(submit.stderr)")
        #expect(submit.stdout.contains("remote-hello Succeeded at "))
        #expect(try cli.run(["list", "-o", "name"]).stdout == "remote-hello\n")
        #expect(try cli.run(["get", "remote-hello"]).stdout.contains("Status:              Succeeded"))
        #expect(try cli.run(["logs", "remote-hello"]).stdout.contains("remote-hello: "))
        // resubmit runs a new workflow on the server, with a changed parameter, and waits for it.
        #expect(try cli.run(["submit", "examples/workflow-arguments.yaml", "--name", "remote-args"]).status == 0)
        let resubmit = try cli.run(["resubmit", "remote-args", "-p", "region=us-west-2", "--wait", "-o", "name"])
        #expect(resubmit.status == 0, "\(resubmit.stderr)")
        let again = resubmit.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        // Named after the manifest's generateName, as Argo names a resubmission (`--name` set only the name).
        #expect(again.hasPrefix("workflow-args-scale-"), "\(resubmit.stdout)")
        #expect(try cli.run(["logs", again]).stdout.contains("replicas in us-west-2"))
        for name in ["remote-args", again] { #expect(try cli.run(["delete", name]).status == 0) }
        #expect(
            try cli.run(["retry", "remote-hello"]).stderr.contains("only Failed or Error workflows can be retried"))
        let approval = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: remote-approval}
            spec:
              entrypoint: main
              templates:
              - name: main
                steps:
                - - {name: approve, template: wait}
              - name: wait
                suspend: {}
                outputs:
                  parameters:
                  - {name: ticket, valueFrom: {supplied: {}}}
            """
        #expect(try cli.run(["submit", try CLITests.write(approval, "a.yaml", in: cli)]).status == 0)
        try ControlTests.waitFor("the suspend node") {
            try cli.run(["get", "remote-approval"]).stdout.contains("Running (Suspended)")
        }
        // `node set` without a phase keeps the node waiting; `resume` then finishes it with the supplied value.
        let set = try cli.run([
            "node", "set", "remote-approval", "--node-field-selector", "displayName=approve", "--output-parameter",
            "ticket=OPS-42",
        ])
        #expect(set.status == 0, "\(set.stderr)")
        let wrong = try cli.run(["node", "set", "remote-approval", "--node-field-selector", "color=red"])
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("unsupported field 'color'"), "\(wrong.stderr)")
        #expect(try cli.run(["resume", "remote-approval"]).status == 0)
        try ControlTests.waitFor("the workflow to finish") {
            try cli.run(["get", "remote-approval"]).stdout.contains("Status:              Succeeded")
        }
        let finished = try CLITests.json(try cli.run(["get", "remote-approval", "-o", "json"]).stdout)
        let approve = ControlTests.nodes(finished).first { $0["displayName"] as? String == "approve" }
        let outputs = (approve?["outputs"] as? [String: Any])?["parameters"] as? [[String: Any]]
        #expect(outputs?.first?["value"] as? String == "OPS-42", "\(String(describing: approve))")
        #expect(try cli.run(["delete", "remote-hello"]).stdout == "Workflow 'remote-hello' deleted\n")
        let missing = try cli.run(["get", "remote-hello"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("\"remote-hello\" not found"))
        // Nothing went to the CLI's own store.
        var local = cli
        local.environment.removeValue(forKey: "ARGO_SERVER")
        #expect(try local.run(["list", "-o", "name"]).stdout.isEmpty)
        #expect(try serverHome.run(["list", "-o", "name"]).stdout == "remote-approval\n")
        // logs -f prints each line as the step writes it, not when the workflow ends; a step name filters.
        let slow = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: remote-slow}
            spec:
              entrypoint: main
              templates:
              - name: main
                steps:
                - - {name: talk, template: talk}
                - - {name: after, template: after}
              - name: talk
                container: {image: alpine, command: [sh, -c, "echo first-line; sleep 3; echo second-line"]}
              - name: after
                container: {image: alpine, command: [echo, after-done]}
            """
        #expect(try cli.run(["submit", try CLITests.write(slow, "slow.yaml", in: cli)]).status == 0)
        let follower = Process()
        follower.executableURL = cli.binary
        follower.arguments = ["logs", "-f", "remote-slow"]
        follower.environment = cli.environment
        let pipe = Pipe()
        follower.standardOutput = pipe
        try follower.run()
        var seen = ""
        while !seen.contains("first-line") {
            let data = pipe.fileHandleForReading.availableData
            if data.isEmpty { break }
            seen += String(decoding: data, as: UTF8.self)
        }
        #expect(seen.contains("first-line") && !seen.contains("second-line"), "streamed before the step ended: \(seen)")
        seen += String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        follower.waitUntilExit()
        #expect(follower.terminationStatus == 0)
        #expect(seen.contains("second-line") && seen.contains("after-done"), "\(seen)")
        let talkOnly = try cli.run(["logs", "remote-slow", "talk"]).stdout
        #expect(talkOnly.contains("first-line") && !talkOnly.contains("after-done"), "\(talkOnly)")
        // Commands that only know the local store refuse, instead of quietly showing local state.
        for args in [["secret", "list"], ["configmap", "list"]] {
            let refused = try cli.run(args)
            #expect(refused.status != 0, "\(args)")
            #expect(refused.stderr.contains("argo-server has no API for it"), "\(args): \(refused.stderr)")
        }
    }
}

extension RemoteCLITests {
    /// `retry --wait` follows the retried run to its new end; `submit --from` runs a stored template on the
    /// server with parameters; `--watch` follows the event stream; `--dry-run` creates nothing.
    @Test func retrySubmitFromWatchAndDryRunOverTheServer() throws {
        let remote = try Self.remote()
        defer { remote.stop() }
        let (serverHome, cli) = (remote.serverHome, remote.cli)
        let marks = serverHome.home.appendingPathComponent("marks")
        try FileManager.default.createDirectory(at: marks, withIntermediateDirectories: true)
        let flaky = ControlTests.flakyWorkflow(name: "remote-again", marks: marks)
        let first = try cli.run(["submit", "--wait", try CLITests.write(flaky, "flaky.yaml", in: cli)])
        #expect(first.status == 1, "\(first.stdout)\(first.stderr)")
        #expect(first.stdout.contains("remote-again Failed"))
        #expect(FileManager.default.createFile(atPath: marks.appendingPathComponent("fixed").path, contents: nil))
        let retry = try cli.run(["retry", "--wait", "remote-again"])
        #expect(retry.status == 0, "\(retry.stdout)\(retry.stderr)")
        #expect(retry.stdout.contains("remote-again Succeeded"), "\(retry.stdout)")
        #expect(try String(contentsOf: marks.appendingPathComponent("once"), encoding: .utf8) == "x\n")
        #expect(try String(contentsOf: marks.appendingPathComponent("flaky"), encoding: .utf8) == "x\nx\n")

        // The template lives in the server's home; the remote CLI submits it by name.
        #expect(try serverHome.run(["template", "create", "examples/templates/host-checks.yaml"]).status == 0)
        let fromTemplate = try cli.run([
            "submit", "--from", "workflowtemplate/host-checks", "-p", #"hosts=["db-1"]"#, "--name", "checks-db",
            "-l", "team=ops", "--wait",
        ])
        #expect(fromTemplate.status == 0, "\(fromTemplate.stdout)\(fromTemplate.stderr)")
        #expect(fromTemplate.stdout.contains("checks-db Succeeded"))
        #expect(try cli.run(["logs", "checks-db"]).stdout.contains("db-1: disk ok"))
        let labelled = try CLITests.json(try cli.run(["get", "checks-db", "-o", "json"]).stdout)
        #expect(((labelled["metadata"] as? [String: Any])?["labels"] as? [String: Any])?["team"] as? String == "ops")
        let missing = try cli.run(["submit", "--from", "workflowtemplate/nope"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("nope"), "\(missing.stderr)")

        // --watch follows the event stream to the end and prints the final tree.
        let watched = try cli.run(["submit", "--watch", "examples/steps.yaml", "--name", "remote-watch"])
        #expect(watched.status == 0, "\(watched.stderr)")
        #expect(watched.stdout.contains("Status:              Succeeded"), "\(watched.stdout)")
        #expect(watched.stdout.contains("undrain"), "\(watched.stdout)")

        let dry = try cli.run(["submit", "--dry-run", "examples/hello-world.yaml", "--name", "dry-one"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("name: dry-one"), "\(dry.stdout)")
        #expect(try cli.run(["get", "dry-one"]).status == 1, "a dry run creates nothing")
    }
}

extension RemoteCLITests {
    /// template, cluster-template, cron and archive commands act on the server's resources when ARGO_SERVER is
    /// set: what the remote CLI creates, the server's own home holds.
    @Test func templatesCronAndArchiveOverTheServer() throws {
        let remote = try Self.remote()
        defer { remote.stop() }
        let (serverHome, cli) = (remote.serverHome, remote.cli)

        let created = try cli.run(["template", "create", "examples/templates/host-checks.yaml"])
        #expect(created.stdout == "workflowtemplate.argoproj.io/host-checks created\n", "\(created.stderr)")
        #expect(try serverHome.run(["template", "list", "-o", "name"]).stdout == "host-checks\n")
        #expect(try cli.run(["template", "list"]).stdout.hasPrefix("NAME         AGE\nhost-checks  "))
        #expect(try cli.run(["template", "get", "host-checks"]).stdout.contains("Entrypoint:          check-all"))
        let again = try cli.run(["template", "create", "examples/templates/host-checks.yaml"])
        #expect(again.status == 1)
        #expect(again.stderr.contains("already exists"), "\(again.stderr)")
        #expect(try cli.run(["template", "update", "examples/templates/host-checks.yaml"]).status == 0)
        #expect(
            try cli.run(["template", "delete", "host-checks"]).stdout == "WorkflowTemplate 'host-checks' deleted\n")
        #expect(try serverHome.run(["template", "list", "-o", "name"]).stdout.isEmpty)
        let gone = try cli.run(["template", "get", "host-checks"])
        #expect(gone.status == 1)
        #expect(gone.stderr.contains("workflowtemplates.argoproj.io \"host-checks\" not found"), "\(gone.stderr)")

        let shared = """
            apiVersion: argoproj.io/v1alpha1
            kind: ClusterWorkflowTemplate
            metadata: {name: shared-echo}
            spec:
              templates:
              - name: echo
                container: {image: alpine, command: [echo, shared]}
            """
        let file = try CLITests.write(shared, "shared.yaml", in: cli)
        #expect(try cli.run(["cluster-template", "create", file]).status == 0)
        #expect(try serverHome.run(["cluster-template", "list", "-o", "name"]).stdout == "shared-echo\n")
        #expect(try cli.run(["cluster-template", "get", "shared-echo"]).stdout.contains("Templates:           echo"))
        #expect(try cli.run(["cluster-template", "delete", "shared-echo"]).status == 0)
        #expect(try serverHome.run(["cluster-template", "list", "-o", "name"]).stdout.isEmpty)

        #expect(try cli.run(["cron", "create", "examples/cron/nightly-cleanup.yaml"]).status == 0)
        let crons = try cli.run(["cron", "list"]).stdout
        #expect(crons.contains("nightly-cleanup") && crons.contains("15 3 * * *"), "\(crons)")
        #expect(
            try cli.run(["cron", "suspend", "nightly-cleanup"]).stdout == "CronWorkflow 'nightly-cleanup' suspended\n")
        #expect(try serverHome.run(["cron", "get", "nightly-cleanup"]).stdout.contains("Suspended:           true"))
        #expect(try cli.run(["cron", "resume", "nightly-cleanup"]).status == 0)
        let shown = try cli.run(["cron", "get", "nightly-cleanup"]).stdout
        #expect(shown.contains("Suspended:           false") && shown.contains("NextScheduledTime:"), "\(shown)")
        let json = try CLITests.json(try cli.run(["cron", "get", "nightly-cleanup", "-o", "json"]).stdout)
        let status = json["status"] as? [String: Any]
        #expect(status?["phase"] as? String == "Active", "\(json)")
        #expect(status?["active"] as? [Any] != nil)
        #expect(try cli.run(["cron", "delete", "nightly-cleanup"]).status == 0)
        #expect(try serverHome.run(["cron", "list", "-o", "name"]).stdout.isEmpty)

        // A workflow archived by its ttlStrategy on the server; the remote CLI lists, shows, resubmits, deletes it.
        let shortLived = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: short-lived}
            spec:
              entrypoint: main
              ttlStrategy: {secondsAfterCompletion: 0}
              templates:
              - name: main
                container: {image: alpine, command: [echo, archived-run]}
            """
        #expect(try cli.run(["submit", "--wait", try CLITests.write(shortLived, "s.yaml", in: cli)]).status == 0)
        try ControlTests.waitFor("the archive") {
            try cli.run(["archive", "list", "-o", "name"]).stdout == "short-lived\n"
        }
        #expect(try cli.run(["archive", "get", "short-lived"]).stdout.contains("Status:              Succeeded"))
        let resubmitted = try cli.run(["archive", "resubmit", "short-lived", "--wait"])
        #expect(resubmitted.status == 0, "\(resubmitted.stderr)")
        #expect(resubmitted.stdout.contains("short-lived-"), "\(resubmitted.stdout)")
        let removed = try cli.run(["archive", "delete", "short-lived"])
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(!(try serverHome.run(["archive", "list", "-o", "name"]).stdout.contains("short-lived\n")))
    }
}

@Suite("TLS", .serialized)
struct TLSTests {
    /// `--secure` serves https with a self-signed certificate saved for clients; the CLI refuses it until told to
    /// skip verification, then works as over http.
    @Test func secureServerWithSelfSignedCertificate() throws {
        let serverHome = try CLIRunner()
        defer { serverHome.cleanUp() }
        let (server, base) = try ServerTests.start(serverHome, arguments: ["--secure"])
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        #expect(base.hasPrefix("https://"), "\(base)")
        let certificate = serverHome.home.appendingPathComponent("server-cert.pem").path
        // curl verifies the chain and the address against the saved certificate, and refuses without it.
        let (_, trusted) = try ScriptedScenarioTests.run(
            "curl", ["-s", "--cacert", certificate, "-w", "%{http_code}", "\(base)/healthz"], timeout: 10)
        #expect(trusted == "ok200")
        let localhost = base.replacingOccurrences(of: "127.0.0.1", with: "localhost")
        let (_, byName) = try ScriptedScenarioTests.run(
            "curl", ["-s", "--cacert", certificate, "-w", "%{http_code}", "\(localhost)/readyz"], timeout: 10)
        #expect(byName == "ok200")
        let (untrusted, _) = try ScriptedScenarioTests.run("curl", ["-s", "\(base)/healthz"], timeout: 10)
        #expect(untrusted == 60, "curl: peer certificate cannot be authenticated")

        var cli = try CLIRunner()
        defer { cli.cleanUp() }
        cli.environment["ARGO_SERVER"] = base.replacingOccurrences(of: "https://", with: "")
        let refused = try cli.run(["list"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("TLS certificate is not trusted"), "\(refused.stderr)")
        #expect(refused.stderr.contains("ARGO_INSECURE_SKIP_VERIFY=true"), "\(refused.stderr)")
        #expect(try cli.run(["list", "-k"]).stdout == "No workflows found\n")
        cli.environment["ARGO_INSECURE_SKIP_VERIFY"] = "true"
        let submit = try cli.run(["submit", "--wait", "examples/hello-world.yaml", "--name", "tls-hello"])
        #expect(submit.status == 0, "\(submit.stdout)\(submit.stderr)")
        #expect(submit.stdout.contains("tls-hello Succeeded at "))
        #expect(try cli.run(["logs", "tls-hello"]).stdout.contains("tls-hello:  _"))
        // Plain http to an https server says what to change.
        cli.environment["ARGO_SECURE"] = "false"
        let plain = try cli.run(["list"])
        #expect(plain.status == 1)
        #expect(plain.stderr.contains("ARGO_SECURE=false"), "\(plain.stderr)")
    }

    /// `--tls-cert` and `--tls-key` serve the user's certificate; bad files and half a pair are refused by name.
    @Test func secureServerWithGivenCertificate() throws {
        let home = try CLIRunner()
        defer { home.cleanUp() }
        let dir = home.home.path
        let (made, _) = try ScriptedScenarioTests.run(
            "openssl",
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(dir)/key.pem", "-out", "\(dir)/cert.pem",
                "-days", "2", "-subj", "/CN=ops.example", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            ], timeout: 30)
        #expect(made == 0)
        let (server, base) = try ServerTests.start(
            home, arguments: ["--secure", "--tls-cert", "\(dir)/cert.pem", "--tls-key", "\(dir)/key.pem"])
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        let (_, served) = try ScriptedScenarioTests.run(
            "sh", ["-c", "openssl s_client -connect \(base.dropFirst(8)) </dev/null 2>/dev/null | grep subject="],
            timeout: 10)
        #expect(served.contains("CN = ops.example") || served.contains("CN=ops.example"), "\(served)")
        let (_, trusted) = try ScriptedScenarioTests.run(
            "curl", ["-s", "--cacert", "\(dir)/cert.pem", "\(base)/healthz"], timeout: 10)
        #expect(trusted == "ok")
        #expect(!FileManager.default.fileExists(atPath: "\(dir)/server-cert.pem"), "only a self-signed one is saved")

        let half = try home.run(["server", "--port", "0", "--secure", "--tls-cert", "\(dir)/cert.pem"])
        #expect(half.status != 0)
        #expect(half.stderr.contains("--tls-cert and --tls-key go together"), "\(half.stderr)")
        let notKey = try home.run([
            "server", "--port", "0", "--secure", "--tls-cert", "\(dir)/cert.pem", "--tls-key", "\(dir)/cert.pem",
        ])
        #expect(notKey.status != 0)
        #expect(notKey.stderr.contains("--tls-key \(dir)/cert.pem: not a readable PEM private key"), "\(notKey.stderr)")
        let noSecure = try home.run(["server", "--tls-cert", "\(dir)/cert.pem", "--tls-key", "\(dir)/key.pem"])
        #expect(noSecure.stderr.contains("need --secure"), "\(noSecure.stderr)")
    }
}

/// A failure inside the server (here: the store locked by another process for longer than the server waits)
/// answers 500 in Argo's shape without SQLite's text or SQL, which goes to the server's log.
@Suite("argo-server internal errors")
struct InternalErrorTests {
    @Test func aStoreFailureIsA500WithoutInternalText() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let log = cli.home.appendingPathComponent("server.err")
        let (server, base) = try ServerTests.start(cli, stderr: log)
        defer { server.terminate() }
        let db = cli.home.appendingPathComponent("argosy.db").path
        let locker = Process()
        locker.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        locker.arguments = [
            "-c",
            "import sqlite3,sys,time; c=sqlite3.connect(sys.argv[1], isolation_level=None); c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); time.sleep(14)",
            db,
        ]
        let out = Pipe()
        locker.standardOutput = out
        try locker.run()
        defer { locker.terminate() }
        _ = out.fileHandleForReading.availableData  // "locked"

        let (status, body) = try ServerTests.request(
            "POST", "\(base)/api/v1/workflows/default", ServerTests.workflow, timeout: 20)
        #expect(status == 500, "\(body)")
        let json = try CLITests.json(body)
        #expect(json["code"] as? Int == 13)
        #expect(json["message"] as? String == "internal error (the server's log has the details)")
        for leak in ["database", "locked", "INSERT", "sqlite"] {
            #expect(!body.contains(leak), "\(body)")
        }
        locker.terminate()
        locker.waitUntilExit()
        try ControlTests.waitFor("the cause in the server's log") {
            (try? String(contentsOf: log, encoding: .utf8))?.contains("database is locked") == true
        }
        // The store works again once the other process lets go.
        let (again, _) = try ServerTests.request("POST", "\(base)/api/v1/workflows/default", ServerTests.workflow)
        #expect(again == 200)
    }
}
