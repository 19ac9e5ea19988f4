import ArgosyModel
import ArgosyTestSupport
import Foundation
import Testing

/// Every workflow in examples/ runs end to end and ends as its annotations say.
@Suite("Examples", .serialized)
struct ExamplesTests {
    struct Example: CustomStringConvertible, Sendable {
        var file: String
        var phase: String
        var log: String?
        var resumeAfter: Double?
        var templates: [String] = []
        var configMaps: [String] = []
        var description: String { file }
    }

    static var examples: [Example] {
        let dir = CLIRunner.repositoryRoot.appendingPathComponent("examples")
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter {
            $0.hasSuffix(".yaml")
        }.sorted()
        return files.compactMap { name in
            guard let text = try? String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8),
                let doc = try? ManifestDocument.parseAll(text, file: name).first,
                let annotations = doc.value["metadata"]?["annotations"]
            else { return Example(file: name, phase: "(missing argosy.io/expected-phase)") }
            return Example(
                file: name,
                phase: annotations["argosy.io/expected-phase"]?.stringValue ?? "(missing argosy.io/expected-phase)",
                log: annotations["argosy.io/expected-log"]?.stringValue,
                resumeAfter: annotations["argosy.io/resume-after-seconds"]?.stringValue.flatMap(Double.init),
                templates: annotations["argosy.io/requires-templates"]?.stringValue?.split(separator: ",")
                    .map { $0.trimmingCharacters(in: .whitespaces) } ?? [],
                configMaps: annotations["argosy.io/requires-configmaps"]?.stringValue?.split(separator: ",")
                    .map { $0.trimmingCharacters(in: .whitespaces) } ?? [])
        }
    }

    @Test func everyExampleFileOfEveryKindLints() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let lint = try cli.run(["lint", "examples"])
        #expect(lint.status == 0, "\(lint.stdout)")
        #expect(lint.stdout.contains("no linting errors found"), "\(lint.stdout)")
    }

    /// Each CronWorkflow example is stored and its workflow run once at once (`submit --from cronwf/NAME`).
    @Test func cronExamplesRunOnDemand() throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let dir = CLIRunner.repositoryRoot.appendingPathComponent("examples/cron")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".yaml") }
            .sorted()
        #expect(!files.isEmpty)
        for file in files {
            let created = try cli.run(["cron", "create", "examples/cron/\(file)"])
            #expect(created.status == 0, "\(created.stderr)")
            let name =
                created.stdout.split(separator: "/").last.map { $0.split(separator: " ").first.map(String.init) ?? "" }
                ?? ""
            let run = try cli.run(["submit", "--wait", "--from", "cronwf/\(name)"])
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        }
    }

    @Test func thereAreExamplesForEveryFeature() {
        #expect(Self.examples.count >= 30)
    }

    @Test(arguments: examples)
    func exampleEndsInItsExpectedPhase(_ example: Example) throws {
        let cli = try CLIRunner()
        defer { cli.cleanUp() }
        let path = "examples/\(example.file)"
        for spec in example.configMaps {
            // NAME:KEY=VALUE
            let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
            let made = try cli.run([
                "configmap", "create", parts[0], "--from-literal=\(parts.count > 1 ? parts[1] : "")",
            ])
            #expect(made.status == 0, "\(made.stderr)")
        }
        for template in example.templates {
            let stored = try cli.run(["template", "create", "examples/\(template)"])
            #expect(stored.status == 0, "\(stored.stderr)")
        }
        let lint = try cli.run(["lint", path])
        #expect(lint.status == 0, "\(lint.stdout)")
        #expect(!lint.stdout.contains("error:"))
        if let delay = example.resumeAfter {
            let submit = try cli.run(["submit", path, "-o", "name"])
            #expect(submit.status == 0, "\(submit.stderr)")
            let name = submit.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            Thread.sleep(forTimeInterval: delay)
            var resumed = try cli.run(["resume", name])
            // The suspend node may not exist yet on a slow machine: try again briefly.
            for _ in 0..<20 where resumed.status != 0 {
                Thread.sleep(forTimeInterval: 0.25)
                resumed = try cli.run(["resume", name])
            }
            #expect(resumed.status == 0, "\(resumed.stderr)")
            _ = try cli.waitFinished(name, timeout: 60)
        } else {
            let submit = try cli.run(["submit", "--wait", path], timeout: 90)
            #expect(submit.status == (example.phase == "Succeeded" ? 0 : 1), "\(submit.stdout)\(submit.stderr)")
        }
        let wf = try CLITests.json(try cli.run(["get", "@latest", "-o", "json"]).stdout)
        let tree = try cli.run(["get", "@latest"]).stdout
        #expect(CLITests.phase(wf) == example.phase, "\(tree)")
        if let pattern = example.log {
            let logs = try cli.run(["logs", "@latest"]).stdout
            let regex = try Regex(pattern)
            #expect(logs.contains(regex), "log does not match /\(pattern)/:\n\(logs)")
        }
    }
}
