import ArgosyTestSupport
import Foundation
import Testing

/// The CLI as a user meets it: the real binary, real step processes, a real SQLite file.
@Suite("CLI end to end", .serialized)
struct CLITests {
    static func write(_ text: String, _ name: String, in cli: CLIRunner) throws -> String {
        let url = cli.home.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    static func nodes(_ wf: [String: Any]) -> [[String: Any]] {
        ((wf["status"] as? [String: Any])?["nodes"] as? [String: Any])?.values.compactMap { $0 as? [String: Any] } ?? []
    }

    static func phase(_ wf: [String: Any]) -> String? { (wf["status"] as? [String: Any])?["phase"] as? String }

    static let hello = """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata:
          generateName: hello-world-
        spec:
          entrypoint: whalesay
          templates:
          - name: whalesay
            container:
              image: docker/whalesay:latest
              command: [cowsay]
              args: ["hello world"]
        """

    @Test func helloWorldRunsCowsayAndShowsTheCowInLogs() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let file = try Self.write(Self.hello, "hello.yaml", in: cli)
        let submit = try cli.run(["submit", "--wait", file])
        #expect(submit.status == 0, "\(submit.stderr)")
        #expect(submit.stdout.contains("Succeeded at "))
        let logs = try cli.run(["logs", "@latest"])
        #expect(logs.stdout.contains("hello world"))
        #expect(logs.stdout.contains("(oo)"))
        let name = try #require(submit.stdout.split(separator: " ").first)
        #expect(logs.stdout.hasPrefix("\(name): "), "each line starts with the pod name")
        let list = try cli.run(["list"])
        #expect(list.stdout.hasPrefix("NAME "))
        #expect(list.stdout.contains("\(name)  Succeeded"))
    }

    /// A step sees the pod's variables, host variables only through `passEnv`, and the container's `env` with
    /// `$(VAR)` references to earlier ones expanded.
    @Test func stepsSeeThePodsEnvironment() throws {
        var cli = try CLIRunner()
        defer { cli.cleanUp() }
        try Data("killGraceSeconds: 2\npassEnv: [ARGOSY_TEST_PASSED]\n".utf8).write(
            to: cli.home.appendingPathComponent("config.yaml"))
        cli.environment["ARGOSY_TEST_PASSED"] = "passed-value"
        cli.environment["ARGOSY_TEST_HIDDEN"] = "hidden-value"
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: env-probe}
            spec:
              entrypoint: main
              templates:
              - name: main
                container:
                  image: alpine
                  command: [env]
                  env:
                  - {name: GREETING, value: hello}
                  - {name: MESSAGE, value: "$(GREETING) world"}
            """
        let file = try Self.write(yaml, "env.yaml", in: cli)
        let submit = try cli.run(["submit", "--wait", file])
        #expect(submit.status == 0, "\(submit.stderr)")
        let lines = Set(
            try cli.run(["logs", "env-probe", "--no-color"]).stdout.split(separator: "\n").map {
                String($0.split(separator: ":", maxSplits: 1).last ?? "").trimmingCharacters(in: .whitespaces)
            })
        for expected in [
            "HOSTNAME=env-probe", "ARGO_POD_NAME=env-probe", "ARGO_NODE_ID=env-probe", "ARGO_CONTAINER_NAME=main",
            "ARGO_TEMPLATE_NAME=main", "ARGOSY_TEST_PASSED=passed-value", "GREETING=hello", "MESSAGE=hello world",
        ] {
            #expect(lines.contains(expected), "\(expected) in \(lines.sorted())")
        }
        #expect(!lines.contains { $0.hasPrefix("ARGOSY_TEST_HIDDEN=") }, "a host variable not passed")
        let path = try #require(lines.first { $0.hasPrefix("PATH=") })
        #expect(path.split(separator: ":").contains("/usr/sbin"), "\(path)")
    }

    /// The workflows of one submit are stored all together or not at all.
    @Test func aBatchWithATakenNameStoresNothing() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        func doc(_ meta: String) -> String {
            """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {\(meta)}
            spec:
              entrypoint: main
              templates:
              - name: main
                container: {image: alpine, command: ["true"]}
            """
        }
        let first = try Self.write(doc("name: taken"), "taken.yaml", in: cli)
        #expect(try cli.run(["submit", "--wait", first]).status == 0)
        let batch = try Self.write(doc("generateName: batch-") + "\n---\n" + doc("name: taken"), "batch.yaml", in: cli)
        for wait in [true, false] {
            let r = try cli.run(["submit"] + (wait ? ["--wait"] : []) + [batch])
            #expect(r.status != 0)
            #expect(r.stderr.contains("already exists"), "\(r.stderr)")
            #expect(!(try cli.run(["list"]).stdout.contains("batch-")), "the batch's first workflow was not kept")
        }
    }

    @Test func watchPrintsArgosTreeAndExitCodeFollowsThePhase() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: tree}
            spec:
              entrypoint: main
              templates:
              - name: main
                steps:
                - - {name: ok, template: t, arguments: {parameters: [{name: code, value: "0"}]}}
                - - {name: bad, template: t, arguments: {parameters: [{name: code, value: "3"}]}}
              - name: t
                inputs: {parameters: [{name: code}]}
                container: {image: alpine, command: [sh, -c, "exit {{inputs.parameters.code}}"]}
            """
        let file = try Self.write(yaml, "tree.yaml", in: cli)
        let r = try cli.run(["submit", "--watch", file])
        #expect(r.status == 1)
        #expect(r.stdout.contains("Name:                tree\n"))
        #expect(r.stdout.contains("Status:              Failed\n"))
        #expect(r.stdout.contains("STEP"))
        #expect(r.stdout.contains(" ✖ tree "))
        #expect(r.stdout.contains("├───✔ ok "))
        #expect(r.stdout.contains("└───✖ bad "))
        #expect(r.stdout.contains("Error (exit code 3)"))
        let get = try cli.run(["get", "tree", "-o", "json"])
        let wf = try Self.json(get.stdout)
        #expect(Self.phase(wf) == "Failed")
        #expect((wf["metadata"] as? [String: Any])?["name"] as? String == "tree")
        #expect(Self.nodes(wf).count == 5)
        let yamlOut = try cli.run(["get", "tree", "-o", "yaml"])
        #expect(yamlOut.stdout.contains("phase: Failed"))
    }

    @Test func badInputIsRejectedClearlyAndStoredWorkflowsSurvive() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let good = try Self.write(
            Self.hello.replacingOccurrences(of: "generateName: hello-world-", with: "name: kept"), "good.yaml", in: cli)
        #expect(try cli.run(["submit", "--wait", good]).status == 0)

        let malformed = try Self.write(
            "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nspec: [oops\n", "bad.yaml", in: cli)
        let r1 = try cli.run(["submit", "--wait", malformed])
        #expect(r1.status == 1)
        #expect(r1.stderr.contains("bad.yaml:"))
        #expect(r1.stderr.contains("invalid YAML"))

        let unknownTemplate = try Self.write(
            Self.hello.replacingOccurrences(of: "entrypoint: whalesay", with: "entrypoint: nope"), "nope.yaml", in: cli)
        let r2 = try cli.run(["submit", unknownTemplate])
        #expect(r2.status == 1)
        #expect(r2.stderr.contains("nope.yaml:6:3: error: spec.entrypoint: entrypoint template 'nope' not found"))

        let needsParam = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {generateName: p-}
            spec:
              entrypoint: main
              templates:
              - name: main
                inputs: {parameters: [{name: region}]}
                container: {image: alpine, command: [echo, "{{inputs.parameters.region}}"]}
            """
        let r3 = try cli.run(["submit", try Self.write(needsParam, "param.yaml", in: cli)])
        #expect(r3.status == 1)
        #expect(r3.stderr.contains("inputs.parameters.region was not supplied"))
        let r4 = try cli.run([
            "submit", "--wait", "-p", "region=eu-north-1", try Self.write(needsParam, "param.yaml", in: cli),
        ])
        #expect(r4.status == 0, "\(r4.stderr)")
        #expect(try cli.run(["logs", "@latest"]).stdout.contains("eu-north-1"))

        let list = try cli.run(["list", "-o", "name"])
        #expect(list.stdout.contains("kept"))
        #expect(list.stdout.split(separator: "\n").count == 2, "only the two valid workflows were stored")
        let dup = try cli.run(["submit", good])
        #expect(dup.status == 1)
        #expect(dup.stderr.contains("workflows \"kept\" already exists"))
    }

    @Test func lintPrintsFileLineColumnAndExitsOneOnErrors() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let bad = try Self.write(
            Self.hello.replacingOccurrences(of: "command: [cowsay]", with: "command: [cowsay]\n      bogus: 1"),
            "w.yaml", in: cli)
        let warn = try cli.run(["lint", bad])
        #expect(warn.status == 0)
        #expect(
            warn.stdout.contains(
                "w.yaml:12:7: warning: spec.templates[0].container.bogus: unknown field 'bogus' is ignored"))
        let strict = try cli.run(["lint", "--strict", bad])
        #expect(strict.status == 1)
        let clean = try cli.run(["lint", try Self.write(Self.hello, "ok.yaml", in: cli)])
        #expect(clean.stdout.contains("no linting errors found"))
    }

    @Test func secretsReachStepsButNeverOutput() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let credentials = try Self.write("[default]\naws_secret_access_key = s3cr3t-VALUE\n", "credentials", in: cli)
        let create = try cli.run([
            "secret", "create", "generic", "awskey", "--from-file=credentials=\(credentials)",
            "--from-literal=token=t0k3n-VALUE",
        ])
        #expect(create.status == 0, "\(create.stderr)")
        let list = try cli.run(["secret", "list"])
        #expect(list.stdout.contains("awskey"))
        #expect(!list.stdout.contains("VALUE"))
        #expect(try cli.run(["configmap", "create", "settings", "--from-literal=mode=fast"]).status == 0)
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: sec}
            spec:
              entrypoint: main
              volumes:
              - {name: aws, secret: {secretName: awskey}}
              - {name: cfg, configMap: {name: settings}}
              templates:
              - name: main
                container:
                  image: alpine
                  command: [sh, -c]
                  args: ["grep -c aws_secret_access_key /root/.aws/credentials; echo token-${#TOKEN}; cat /etc/cfg/mode; echo; echo $MODE $POD; touch /root/.aws/x 2>/dev/null || echo read-only"]
                  env:
                  - {name: TOKEN, valueFrom: {secretKeyRef: {name: awskey, key: token}}}
                  - {name: MODE, valueFrom: {configMapKeyRef: {name: settings, key: mode}}}
                  - {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
                  volumeMounts:
                  - {name: aws, mountPath: /root/.aws}
                  - {name: cfg, mountPath: /etc/cfg}
            """
        let r = try cli.run(["submit", "--wait", try Self.write(yaml, "sec.yaml", in: cli)])
        #expect(r.status == 0, "\(r.stderr)")
        let logs = try cli.run(["logs", "sec"]).stdout
        #expect(logs.contains("sec: 1\n"))
        #expect(logs.contains("token-11"))
        #expect(logs.contains("sec: fast\n"))
        #expect(logs.contains("fast sec\n"))
        #expect(logs.contains("read-only"))
        for output in [try cli.run(["get", "sec", "-o", "json"]).stdout, logs, try cli.run(["get", "sec"]).stdout] {
            #expect(!output.contains("s3cr3t-VALUE"))
            #expect(!output.contains("t0k3n-VALUE"))
        }
        #expect(!FileManager.default.fileExists(atPath: "/etc/cfg/mode"), "mounts stay inside the step")
        let leftovers = try FileManager.default.subpathsOfDirectory(
            atPath: cli.home.appendingPathComponent("steps").path)
        #expect(!leftovers.contains { $0.contains("secret-volumes") }, "secret files are removed after the step")
        let missing = try cli.run([
            "submit", "--wait",
            try Self.write(
                yaml.replacingOccurrences(of: "secretName: awskey", with: "secretName: nokey").replacingOccurrences(
                    of: "name: sec}", with: "name: sec2}"), "sec2.yaml", in: cli),
        ])
        #expect(missing.status == 1)
        let node = try cli.run(["get", "sec2"]).stdout
        #expect(node.contains("secret 'nokey' not found"))
    }

    @Test func stepsAreIsolatedFromTheHostAndEachOther() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let shared = cli.home.appendingPathComponent("shared")
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: iso}
            spec:
              entrypoint: main
              volumeClaimTemplates:
              - metadata: {name: work}
                spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
              volumes:
              - {name: host, hostPath: {path: \(shared.path), type: DirectoryOrCreate}}
              - {name: scratch, emptyDir: {}}
              templates:
              - name: main
                steps:
                - - {name: a, template: writer, arguments: {parameters: [{name: who, value: a}]}}
                  - {name: b, template: writer, arguments: {parameters: [{name: who, value: b}]}}
                - - {name: check, template: reader}
              - name: writer
                inputs: {parameters: [{name: who}]}
                container:
                  image: alpine
                  command: [sh, -c]
                  args: ["echo {{inputs.parameters.who}} > /tmp/same-name; sleep 0.3; cat /tmp/same-name > /work/{{inputs.parameters.who}}; echo {{inputs.parameters.who}} > /scratch/s; echo {{inputs.parameters.who}} >> /host/log"]
                  volumeMounts: [{name: work, mountPath: /work}, {name: host, mountPath: /host}, {name: scratch, mountPath: /scratch}]
              - name: reader
                container:
                  image: alpine
                  command: [sh, -c]
                  args: ["cat /work/a /work/b; ls /scratch | wc -l; test -e /tmp/same-name || echo fresh-tmp"]
                  volumeMounts: [{name: work, mountPath: /work}, {name: scratch, mountPath: /scratch}]
            """
        let r = try cli.run(["submit", "--wait", try Self.write(yaml, "iso.yaml", in: cli)])
        #expect(r.status == 0, "\(r.stderr)")
        let logs = try cli.run(["logs", "iso"]).stdout
        #expect(logs.contains(": a\n"))
        #expect(logs.contains(": b\n"))
        #expect(logs.contains(": 0\n"), "emptyDir is per step, like a pod's")
        #expect(logs.contains("fresh-tmp"))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/same-name"), "the step's /tmp is private")
        let hostLog = try String(contentsOf: shared.appendingPathComponent("log"), encoding: .utf8)
        #expect(hostLog.split(separator: "\n").sorted() == ["a", "b"])
    }

    @Test func missingProgramIsAClearNodeError() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: noprog}
            spec:
              entrypoint: main
              templates:
              - name: main
                container: {image: example/tool:1.0, command: [no-such-tool-xyz]}
              - name: noentry
                container: {image: example/tool:1.0}
            """
        let file = try Self.write(yaml, "np.yaml", in: cli)
        let r = try cli.run(["submit", "--wait", file])
        #expect(r.status == 1)
        let get = try cli.run(["get", "noprog"]).stdout
        #expect(get.contains("⚠ noprog"))
        #expect(get.contains("exec: no such program: no-such-tool-xyz"))
        let r2 = try cli.run(["submit", "--wait", "--entrypoint", "noentry", "--name", "noentry", file])
        #expect(r2.status == 1)
        #expect(try cli.run(["get", "noentry"]).stdout.contains("image 'example/tool:1.0' has no known entry point"))
    }
}

@Suite("CLI commands", .serialized)
struct CLICommandTests {
    @Test func namespacesListLogsAndDelete() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let file = try CLITests.write(CLITests.hello, "hello.yaml", in: cli)
        #expect(try cli.run(["submit", "--wait", "-n", "ops", "--name", "in-ops", file]).status == 0)
        #expect(try cli.run(["submit", "--wait", "--name", "in-default", file]).status == 0)
        #expect(try cli.run(["list", "-o", "name"]).stdout == "in-default\n")
        #expect(try cli.run(["list", "-n", "ops", "-o", "name"]).stdout == "in-ops\n")
        let all = try cli.run(["list", "-A"]).stdout
        #expect(all.hasPrefix("NAMESPACE  NAME"))
        #expect(all.contains("ops        in-ops"))
        #expect(try cli.run(["list", "--running"]).stdout == "No workflows found\n")
        #expect(try cli.run(["list", "--status", "Succeeded", "-o", "name"]).stdout == "in-default\n")
        #expect(try cli.run(["get", "in-ops"]).status == 1, "namespaces are separate")
        let logs = try cli.run(["logs", "-n", "ops", "in-ops", "--follow"])
        #expect(logs.status == 0)
        #expect(logs.stdout.contains("hello world"))
        let delete = try cli.run(["delete", "in-default"])
        #expect(delete.stdout == "Workflow 'in-default' deleted\n")
        #expect(try cli.run(["list", "-o", "name"]).stdout.isEmpty)
        let missing = try cli.run(["delete", "nope"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("\"nope\" not found"))
    }

    @Test func submitLogStreamsStepOutputAsItRuns() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: streamed}
            spec:
              entrypoint: main
              templates:
              - name: main
                steps:
                - - {name: one, template: say, arguments: {parameters: [{name: m, value: first-line}]}}
                - - {name: two, template: say, arguments: {parameters: [{name: m, value: second-line}]}}
              - name: say
                inputs: {parameters: [{name: m}]}
                container: {image: alpine, command: [sh, -c, "echo {{inputs.parameters.m}}; printf no-newline"]}
            """
        let r = try cli.run(["submit", "--log", try CLITests.write(yaml, "s.yaml", in: cli)])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        let first = try #require(lines.firstIndex { $0.hasSuffix(": first-line") })
        let second = try #require(lines.firstIndex { $0.hasSuffix(": second-line") })
        #expect(first < second)
        #expect(lines.filter { $0.hasSuffix(": no-newline") }.count == 2)
        #expect(lines.last?.hasPrefix("streamed Succeeded at ") == true)
    }

    @Test func versionAndConfigMaps() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        #expect(try cli.run(["version"]).stdout.hasPrefix("argosy: v"))
        #expect(try cli.run(["configmap", "create", "c1", "--from-literal=a=1", "--from-literal=b=2"]).status == 0)
        #expect(try cli.run(["configmap", "list"]).stdout.contains("c1    2"))
        #expect(try cli.run(["configmap", "delete", "c1"]).stdout == "configmap \"c1\" deleted\n")
        let bad = try cli.run(["configmap", "create", "c2", "--from-literal=novalue"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("--from-literal: expected KEY=VALUE"))
        let badConfig = try cli.run(["submit", "--wait", "-p", "x", "examples/hello-world.yaml"])
        #expect(badConfig.status == 1)
        #expect(badConfig.stderr.contains("-p: expected NAME=VALUE"))
    }
}

@Suite("CLI on a terminal", .serialized)
struct CLITerminalTests {
    /// `submit --watch` on a terminal repaints the tree as the workflow progresses (run under `script`, which
    /// gives the command a pseudo-terminal).
    @Test func watchRepaintsTheTreeOnATerminal() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let yaml = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {name: live}
            spec:
              entrypoint: main
              templates:
              - name: main
                steps:
                - - {name: first, template: nap}
                - - {name: second, template: nap}
              - name: nap
                container: {image: alpine, command: [sleep, "0.5"]}
            """
        let file = try CLITests.write(yaml, "live.yaml", in: cli)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        p.arguments = ["-qfec", "\(cli.binary.path) submit --watch \(file)", "/dev/null"]
        p.environment = cli.environment
        let out = Pipe()
        p.standardOutput = out
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        #expect(p.terminationStatus == 0, "\(text)")
        let clears = text.components(separatedBy: "\u{1B}[H\u{1B}[2J").count - 1
        #expect(clears >= 3, "the screen was repainted as nodes progressed")
        #expect(text.contains("● first"), "a frame showed the first step running")
        #expect(text.contains("✔ second"))
    }
}
