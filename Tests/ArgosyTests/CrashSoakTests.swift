import ArgosyTestSupport
import Foundation
import Testing

/// `argosy server` killed with SIGKILL three times, at moments a seed picks, while 60 workflows of every shape
/// run: each restart adopts what the dead one held once its leases lapse. Every workflow ends in the phase it
/// should, and a log that every step appends to through a hostPath volume shows that each step ran exactly once
/// (a retried step once per attempt).
@Suite("Crash soak", .serialized)
struct CrashSoakTests {
    /// A workflow of the soak, and what its step log must hold at the end.
    struct Case {
        var name: String
        var manifest: String
        var phase: String
        /// Each line the log must hold, with how often.
        var lines: [String: Int]
    }

    /// The container every step runs: append its id to the workflow's log, then work a little.
    static func mark(_ wf: String, _ id: String, sleep: Double) -> String {
        #"{"image": "alpine", "command": ["sh", "-c", "echo \#(id) >> /marks/\#(wf).log; sleep \#(sleep)"], "volumeMounts": [{"name": "marks", "mountPath": "/marks"}]}"#
    }

    static func cases(seed: UInt64, marks: String) -> [Case] {
        var random = SeededRandom(seed: seed)
        var out: [Case] = []
        func sleep() -> Double { Double(random.int(5...40)) / 100 }
        for i in 0..<60 {
            let wf = "soak-\(i)"
            let volumes = #""volumes": [{"name": "marks", "hostPath": {"path": "\#(marks)"}}]"#
            var templates: [String] = []
            var entry = ""
            var lines: [String: Int] = [:]
            var phase = "Succeeded"
            switch i % 4 {
            case 0:  // a chain of steps
                let n = random.int(2...4)
                let groups = (0..<n).map { s in "[{\"name\": \"s\(s)\", \"template\": \"s\(s)\"}]" }
                templates.append(#"{"name": "main", "steps": [\#(groups.joined(separator: ","))]}"#)
                for s in 0..<n {
                    let container = mark(wf, "s\(s)", sleep: sleep())
                    templates.append(#"{"name": "s\#(s)", "container": \#(container)}"#)
                    lines["s\(s)"] = 1
                }
                entry = "main"
            case 1:  // a diamond DAG
                let tasks = [("a", ""), ("b", "a"), ("c", "a"), ("d", "b,c")].map { name, deps in
                    let list = deps.split(separator: ",").map { "\"\($0)\"" }.joined(separator: ",")
                    return #"{"name": "\#(name)", "template": "\#(name)", "dependencies": [\#(list)]}"#
                }
                templates.append(#"{"name": "main", "dag": {"tasks": [\#(tasks.joined(separator: ","))]}}"#)
                for name in ["a", "b", "c", "d"] {
                    templates.append(#"{"name": "\#(name)", "container": \#(mark(wf, name, sleep: sleep()))}"#)
                    lines[name] = 1
                }
                entry = "main"
            case 2:  // a loop, then one more step
                let n = random.int(3...8)
                let items = (0..<n).map { "\"i\($0)\"" }.joined(separator: ",")
                templates.append(
                    #"{"name": "main", "steps": [[{"name": "each", "template": "item", "arguments": {"parameters": [{"name": "x", "value": "{{item}}"}]}, "withItems": [\#(items)]}], [{"name": "after", "template": "after"}]]}"#
                )
                templates.append(
                    #"{"name": "item", "inputs": {"parameters": [{"name": "x"}]}, "container": \#(mark(wf, "item-{{inputs.parameters.x}}", sleep: sleep()))}"#
                )
                templates.append(#"{"name": "after", "container": \#(mark(wf, "after", sleep: sleep()))}"#)
                for k in 0..<n { lines["item-i\(k)"] = 1 }
                lines["after"] = 1
                entry = "main"
            default:  // a step that fails its first attempts; retried up to 3 times
                let failures = random.int(0...4)
                let counter = "/marks/\(wf).count"
                let script =
                    "n=$(cat \(counter) 2>/dev/null || echo 0); n=$((n+1)); echo $n > \(counter); echo flaky >> /marks/\(wf).log; sleep \(sleep()); [ $n -gt \(failures) ]"
                templates.append(
                    #"{"name": "main", "retryStrategy": {"limit": 3}, "container": {"image": "alpine", "command": ["sh", "-c", "\#(script)"], "volumeMounts": [{"name": "marks", "mountPath": "/marks"}]}}"#
                )
                entry = "main"
                lines["flaky"] = min(failures + 1, 4)
                phase = failures <= 3 ? "Succeeded" : "Failed"
            }
            let manifest =
                #"{"workflow": {"metadata": {"name": "\#(wf)"}, "spec": {"entrypoint": "\#(entry)", \#(volumes), "templates": [\#(templates.joined(separator: ","))]}}}"#
            out.append(Case(name: wf, manifest: manifest, phase: phase, lines: lines))
        }
        return out
    }

    /// The phases of the namespace's workflows, by name, as the server lists them.
    static func phases(_ base: String) throws -> [String: String] {
        let (status, body) = try ServerTests.request(
            "GET", "\(base)/api/v1/workflows/default?fields=items.metadata.name,items.status.phase")
        guard status == 200, let list = try? CLITests.json(body), let items = list["items"] as? [[String: Any]] else {
            return [:]
        }
        var out: [String: String] = [:]
        for item in items {
            guard let name = (item["metadata"] as? [String: Any])?["name"] as? String else { continue }
            out[name] = (item["status"] as? [String: Any])?["phase"] as? String ?? ""
        }
        return out
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func workflowsSurviveThreeKillsOfTheServer(seed: UInt64) throws {
        var cli = try CLIRunner()
        defer { cli.cleanUp() }
        cli.environment["ARGOSY_LEASE_SECONDS"] = "2"
        let marks = cli.home.appendingPathComponent("marks")
        try FileManager.default.createDirectory(at: marks, withIntermediateDirectories: true)
        let cases = Self.cases(seed: seed, marks: marks.path)
        var random = SeededRandom(seed: seed &* 7919)

        var (server, base) = try ServerTests.start(cli)
        defer {
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
        }
        for c in cases {
            let (status, body) = try ServerTests.request("POST", "\(base)/api/v1/workflows/default", c.manifest)
            #expect(status == 200, "\(c.name): \(body)")
        }
        for round in 0..<3 {
            // Somewhere in the next two and a half seconds of work: between commits, launches and exits.
            usleep(UInt32(random.int(200...2_500)) * 1000)
            kill(server.processIdentifier, SIGKILL)
            server.waitUntilExit()
            (server, base) = try ServerTests.start(cli)
            _ = round
        }
        var last: [String: String] = [:]
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            last = try Self.phases(base)
            if last.count == cases.count, last.values.allSatisfy({ ["Succeeded", "Failed", "Error"].contains($0) }) {
                break
            }
            usleep(300_000)
        }
        for c in cases {
            #expect(last[c.name] == c.phase, "seed \(seed): \(c.name) ended \(last[c.name] ?? "nowhere")")
            let text = (try? String(contentsOf: marks.appendingPathComponent("\(c.name).log"), encoding: .utf8)) ?? ""
            var seen: [String: Int] = [:]
            for line in text.split(separator: "\n") { seen[String(line), default: 0] += 1 }
            #expect(seen == c.lines, "seed \(seed): \(c.name) ran \(seen), expected \(c.lines)")
        }
    }
}
