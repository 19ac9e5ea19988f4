import ArgosyTestSupport
import Foundation
import Testing

/// What a token limited to namespaces reaches through every listing, stream and archive path, and how names that
/// are not Kubernetes names are refused on every path that creates something.
@Suite("Access and names", .serialized)
struct AccessTests {
    /// `curl` with a bearer token: the status and the body.
    static func call(_ method: String, _ url: String, token: String?, body: String? = nil, seconds: Int = 10) throws
        -> (Int, String)
    {
        var args = ["-s", "-o", "-", "-w", "\n%{http_code}", "-X", method, "--max-time", String(seconds), url]
        if let token { args += ["-H", "Authorization: Bearer \(token)"] }
        if let body { args += ["-H", "Content-Type: application/json", "--data-binary", body] }
        let (_, output) = try ScriptedScenarioTests.run("curl", args, timeout: Double(seconds + 5))
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    /// The `metadata.name`s of a list response's items.
    static func names(_ body: String) -> Set<String> {
        guard let list = try? CLITests.json(body), let items = list["items"] as? [[String: Any]] else { return [] }
        return Set(items.compactMap { ($0["metadata"] as? [String: Any])?["name"] as? String })
    }

    static func workflow(_ name: String, ttl: Bool = false) -> String {
        let strategy = ttl ? #""ttlStrategy": {"secondsAfterCompletion": 0}, "# : ""
        return
            #"{"workflow": {"metadata": {"name": "\#(name)"}, "spec": {\#(strategy)"entrypoint": "a", "templates": [{"name": "a", "container": {"image": "alpine", "command": ["true"]}}]}}}"#
    }

    static func template(_ name: String) -> String {
        #"{"template": {"metadata": {"name": "\#(name)"}, "spec": {"entrypoint": "a", "templates": [{"name": "a", "container": {"image": "alpine", "command": ["true"]}}]}}}"#
    }

    static func cron(_ name: String) -> String {
        #"{"cronWorkflow": {"metadata": {"name": "\#(name)"}, "spec": {"schedule": "0 0 1 1 *", "suspend": true, "workflowSpec": {"entrypoint": "a", "templates": [{"name": "a", "container": {"image": "alpine", "command": ["true"]}}]}}}}"#
    }

    @Test func aScopedTokenSeesOnlyItsNamespacesOnEveryListingStreamAndArchivePath() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let admin = try cli.run(["auth", "token", "--name", "admin"]).stdout.trimmingCharacters(
            in: .whitespacesAndNewlines)
        let alpha = try cli.run(["auth", "token", "--name", "alpha", "--namespace", "alpha"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try cli.run(["auth", "token", "--name", "bad", "--namespace", "../x"]).status == 1)
        let (server, base) = try ServerTests.start(cli, arguments: ["--auth-mode", "client"])
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        for ns in ["alpha", "beta"] {
            for (path, body) in [
                ("workflows/\(ns)", Self.workflow("\(ns)-live")),
                ("workflows/\(ns)", Self.workflow("\(ns)-gone", ttl: true)),
                ("workflow-templates/\(ns)", Self.template("\(ns)-template")),
                ("cron-workflows/\(ns)", Self.cron("\(ns)-cron")),
            ] {
                let (status, answer) = try Self.call("POST", "\(base)/api/v1/\(path)", token: admin, body: body)
                #expect(status == 200, "\(path): \(answer)")
            }
        }
        #expect(
            try Self.call(
                "POST", "\(base)/api/v1/cluster-workflow-templates", token: admin, body: Self.template("shared")
            ).0 == 200)
        // Both ttl workflows finish and are archived.
        var archived: [String: String] = [:]
        try ControlTests.waitFor("the archive", timeout: 30) {
            let (_, body) = try Self.call("GET", "\(base)/api/v1/archived-workflows", token: admin)
            let items = ((try? CLITests.json(body))?["items"] as? [[String: Any]]) ?? []
            for item in items {
                let meta = item["metadata"] as? [String: Any] ?? [:]
                if let ns = meta["namespace"] as? String, let uid = meta["uid"] as? String { archived[ns] = uid }
            }
            return archived.count == 2
        }

        let expectations: [(String, Set<String>)] = [
            ("/api/v1/workflows", ["alpha-live"]), ("/api/v1/workflows/", ["alpha-live"]),
            ("/api/v1/workflows/alpha", ["alpha-live"]), ("/api/v1/workflow-templates", ["alpha-template"]),
            ("/api/v1/cron-workflows", ["alpha-cron"]), ("/api/v1/archived-workflows", ["alpha-gone"]),
            ("/api/v1/archived-workflows?namespace=alpha", ["alpha-gone"]),
        ]
        for (path, expected) in expectations {
            let (status, body) = try Self.call("GET", base + path, token: alpha)
            #expect(status == 200, "\(path): \(body)")
            #expect(Self.names(body) == expected, "\(path): \(body)")
        }
        let (_, everything) = try Self.call("GET", "\(base)/api/v1/workflows", token: admin)
        #expect(Self.names(everything) == ["alpha-live", "beta-live"], "an unscoped token sees every namespace")

        let forbidden: [(String, String, String?)] = [
            ("GET", "/api/v1/workflows/beta", nil), ("GET", "/api/v1/workflows/beta/beta-live", nil),
            ("GET", "/api/v1/workflows/beta/beta-live/log", nil), ("GET", "/api/v1/workflow-events/beta", nil),
            ("GET", "/api/v1/workflow-templates/beta", nil), ("GET", "/api/v1/cron-workflows/beta/beta-cron", nil),
            ("GET", "/api/v1/archived-workflows?namespace=beta", nil),
            ("GET", "/api/v1/cluster-workflow-templates", nil),
            ("GET", "/api/v1/cluster-workflow-templates/shared", nil),
            ("POST", "/api/v1/cluster-workflow-templates", Self.template("mine")),
            (
                "POST", "/api/v1/workflows/alpha/submit",
                #"{"resourceKind": "ClusterWorkflowTemplate", "resourceName": "shared"}"#
            ),
            (
                "POST", "/api/v1/workflows/alpha",
                #"{"workflow": {"metadata": {"name": "sneaky"}, "spec": {"workflowTemplateRef": {"name": "shared", "clusterScope": true}}}}"#
            ),
        ]
        for (method, path, body) in forbidden {
            let (status, answer) = try Self.call(method, base + path, token: alpha, body: body)
            #expect(status == 403, "\(method) \(path): \(status) \(answer)")
            #expect(answer.contains("\"code\":7"), "\(method) \(path): \(answer)")
        }
        for path in ["/api/v1/archived-workflows/\(archived["beta"] ?? "")"] {
            let (status, answer) = try Self.call("GET", base + path, token: alpha)
            #expect(status == 404, "another namespace's archive is not found: \(path) \(status) \(answer)")
            #expect(try Self.call("DELETE", base + path, token: alpha).0 == 404)
            #expect(try Self.call("PUT", base + path + "/resubmit", token: alpha).0 == 404)
        }
        #expect(
            try Self.call("GET", "\(base)/api/v1/archived-workflows/\(archived["alpha"] ?? "")", token: alpha).0 == 200)

        // The all-namespace event stream sends only what the token may see.
        let (_, events) = try Self.call("GET", "\(base)/api/v1/workflow-events", token: alpha, seconds: 2)
        #expect(events.contains("\"name\":\"alpha-live\""), "\(events)")
        #expect(!events.contains("beta"), "\(events)")
        #expect(try Self.call("GET", "\(base)/api/v1/workflows/beta", token: admin).0 == 200)
    }

    static let hostile = [
        "..", "a/b", "' OR 1=1 --", "héllo", String(repeating: "a", count: 254), "UPPER", "-lead", "trail-", "a..b",
        "a%2F..", "\\u0000",
    ]

    /// Percent-encodes a name for a URL path segment.
    static func segment(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s
    }

    @Test func hostileNamesAreRefusedOnEveryAPICreatePath() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let (server, base) = try ServerTests.start(cli)
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        for name in Self.hostile {
            let quoted = String(
                data: try JSONSerialization.data(withJSONObject: [name], options: [.fragmentsAllowed]), encoding: .utf8)!
                .dropFirst().dropLast()
            let creates: [(String, String)] = [
                (
                    "/api/v1/workflows/default",
                    Self.workflow("x").replacingOccurrences(of: #""x""#, with: String(quoted))
                ),
                (
                    "/api/v1/workflow-templates/default",
                    Self.template("x").replacingOccurrences(of: #""x""#, with: String(quoted))
                ),
                (
                    "/api/v1/cluster-workflow-templates",
                    Self.template("x").replacingOccurrences(of: #""x""#, with: String(quoted))
                ),
                (
                    "/api/v1/cron-workflows/default",
                    Self.cron("x").replacingOccurrences(of: #""x""#, with: String(quoted))
                ),
                ("/api/v1/workflows/\(Self.segment(name))", Self.workflow("ok")),
                ("/api/v1/workflow-templates/\(Self.segment(name))", Self.template("ok")),
                ("/api/v1/cron-workflows/\(Self.segment(name))", Self.cron("ok")),
            ]
            for (path, body) in creates {
                let (status, answer) = try Self.call("POST", base + path, token: nil, body: body)
                #expect(status == 400 || status == 404, "\(path) with \(name.prefix(20)): \(status) \(answer)")
                #expect(answer.hasPrefix("{\"code\":"), "\(path): \(answer)")
                if status == 400 {
                    #expect(
                        answer.contains("name") || answer.contains("namespace"),
                        "the message names the field: \(answer)")
                }
            }
        }
        for listing in [
            "/api/v1/workflows", "/api/v1/workflow-templates", "/api/v1/cluster-workflow-templates",
            "/api/v1/cron-workflows",
        ] {
            let (_, body) = try Self.call("GET", base + listing, token: nil)
            #expect(Self.names(body).isEmpty, "nothing was stored: \(listing) \(body)")
        }
    }

    @Test func hostileNamesAreRefusedOnEveryCLIPathAndNoFileLandsOutsideTheHome() throws {
        var cli = try CLIRunner()
        defer { cli.cleanUp() }
        let escape = "escape-\(UUID().uuidString.prefix(8).lowercased())"
        let outside = cli.home.deletingLastPathComponent().appendingPathComponent(escape)
        let hello = try CLITests.write(CLITests.hello, "hello.yaml", in: cli)
        for name in ["../\(escape)", "a/b", "' OR 1=1 --", "héllo", String(repeating: "a", count: 254)] {
            let runs: [[String]] = [
                ["submit", "--wait", "--name", name, hello], ["submit", "-n", name, hello], ["list", "-n", name],
                ["secret", "create", "generic", name, "--from-literal=k=v"],
                ["configmap", "create", name, "--from-literal=k=v"],
                ["auth", "token", "--namespace", name],
            ]
            for args in runs {
                let r = try cli.run(args)
                #expect(r.status != 0, "\(args): \(r.stdout)")
                #expect(r.stderr.contains("is invalid"), "\(args): \(r.stderr)")
            }
        }
        cli.environment["ARGO_NAMESPACE"] = "../\(escape)"
        let env = try cli.run(["list"])
        #expect(env.status != 0)
        #expect(env.stderr.contains("ARGO_NAMESPACE '../\(escape)' is invalid"), "\(env.stderr)")
        cli.environment["ARGO_NAMESPACE"] = nil

        // A claim name from a parameter is checked when the step starts: the step errors, nothing is made.
        let claim = try CLITests.write(
            """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: claim}
            spec:
              entrypoint: a
              arguments: {parameters: [{name: claim, value: "../../\(escape)"}]}
              volumes: [{name: data, persistentVolumeClaim: {claimName: "{{workflow.parameters.claim}}"}}]
              templates:
              - name: a
                container:
                  image: alpine
                  command: ["true"]
                  volumeMounts: [{name: data, mountPath: /data}]
            """, "claim.yaml", in: cli)
        let run = try cli.run(["submit", "--wait", claim])
        #expect(run.status == 1)
        #expect(try cli.run(["get", "claim"]).stdout.contains("claimName '../../\(escape)' is invalid"))
        let written = try CLITests.write(
            CLITests.hello.replacingOccurrences(
                of: "generateName: hello-world-", with: "name: ok\n  namespace: \"../\(escape)\""),
            "ns.yaml", in: cli)
        let ns = try cli.run(["submit", written])
        #expect(ns.status == 1)
        #expect(ns.stderr.contains("metadata.namespace '../\(escape)' is invalid"), "\(ns.stderr)")
        #expect(!FileManager.default.fileExists(atPath: outside.path), "nothing was created outside the home")
        #expect(
            !FileManager.default.fileExists(
                atPath: cli.home.appendingPathComponent("volumes").appendingPathComponent(escape).path))
    }
}
