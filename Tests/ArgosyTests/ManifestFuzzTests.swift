import ArgosyEngine
import ArgosyModel
import ArgosyTestSupport
import Foundation
import Testing

/// Mutated manifests from our own examples (text and structure), alias bombs, deep nesting, huge numbers and
/// files of thousands of documents, through the parser, lint and a few reconcile passes: nothing crashes, no case
/// takes over 10 s, every refusal says where (a line and column, or a field path).
@Suite("Manifest fuzz", .serialized)
struct ManifestFuzzTests {
    static var examples: [String] {
        let root = CLIRunner.repositoryRoot.appendingPathComponent("examples")
        let files = (FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? [])
            .filter { $0.hasSuffix(".yaml") }.sorted()
        return files.compactMap { try? String(contentsOf: root.appendingPathComponent($0), encoding: .utf8) }
    }

    /// Values that have broken parsers before: numbers past every integer and float range, odd names, depth.
    static let hostileScalars: [JSONValue] = [
        .double(1e19), .double(-1e19), .double(1e308), .int(.max), .int(.min), .double(0.5), .int(-1), .int(0),
        .int(2_147_483_648), .string("1e19"), .string("9223372036854775808"), .string("-5s"), .string("1e400s"),
        .string("9999999999999h"), .string(".."), .string("../../etc/passwd"), .string("' OR 1=1 --"),
        .string("a/b"), .string("\u{0}"), .string("héllo-ü"), .string(String(repeating: "x", count: 300)),
        .string("{{"), .string("{{=1/0}}"), .string("{{workflow.parameters.nope}}"), .bool(true), .null,
        .object([:]), .array([]),
    ]

    static let hostileText = [
        "[", "{", "]", "}", ":", ": ", "- ", "&a ", "*a", "*nope", "\"", "'", "\t", "\u{0}", "!!binary ", "? ",
        "1e400", "9223372036854775808", "-.inf", ".nan", "<<: *a", "|", ">-", "---\n", "...\n", "%YAML 1.1\n",
    ]

    /// A mutation of `value`: a leaf or subtree replaced, a key dropped or added, a list doubled.
    static func mutate(_ value: JSONValue, _ random: inout SeededRandom, depth: Int = 0) -> JSONValue {
        switch value {
        case .object(var o) where !o.isEmpty && random.int(4) != 0:
            let key = o.keys[random.int(o.count)]
            switch random.int(6) {
            case 0: o[key] = nil
            case 1: o["unknownField\(random.int(9))"] = random.pick(hostileScalars)
            case 2: o[key] = random.pick(hostileScalars)
            default: o[key] = mutate(o[key]!, &random, depth: depth + 1)
            }
            return .object(o)
        case .array(var a) where !a.isEmpty && random.int(4) != 0:
            let i = random.int(a.count)
            switch random.int(5) {
            case 0: a.remove(at: i)
            case 1: a.append(contentsOf: a)
            default: a[i] = mutate(a[i], &random, depth: depth + 1)
            }
            return .array(a)
        default:
            return random.pick(hostileScalars)
        }
    }

    /// Numbers and durations where Argo's fields take them: what a random walk rarely reaches.
    static let hostileNumbers: [JSONValue] = [
        .double(1e19), .double(-1e19), .double(1e300), .int(.max), .int(.min), .int(-1), .int(2_147_483_648),
        .double(0.5), .string("9223372036854775807"), .string("1e19"), .string("1e19s"), .string("-1s"),
        .string("9999999999h"), .string("{{=1e19}}"),
    ]
    static let specFields = [
        ["parallelism"], ["activeDeadlineSeconds"], ["priority"], ["ttlStrategy", "secondsAfterCompletion"],
        ["podGC", "deleteDelayDuration"], ["retryStrategy", "limit"], ["retryStrategy", "backoff", "factor"],
    ]
    static let templateFields = [
        ["retryStrategy", "limit"], ["retryStrategy", "backoff", "duration"], ["retryStrategy", "backoff", "factor"],
        ["retryStrategy", "backoff", "maxDuration"], ["activeDeadlineSeconds"], ["timeout"], ["parallelism"],
        ["memoize", "maxAge"],
    ]
    static let loopFields = [["withSequence", "count"], ["withSequence", "start"], ["withSequence", "end"]]

    static func setting(_ value: JSONValue, _ path: ArraySlice<String>, to leaf: JSONValue) -> JSONValue {
        guard let key = path.first else { return leaf }
        var o = value.objectValue ?? [:]
        o[key] = setting(o[key] ?? .object([:]), path.dropFirst(), to: leaf)
        return .object(o)
    }

    /// A hostile number at a numeric field of the spec, a template, or a step or task.
    static func inject(_ value: JSONValue, _ random: inout SeededRandom) -> JSONValue {
        guard case .object(var root) = value, case .object(var spec)? = root["spec"] else { return value }
        let number = random.pick(hostileNumbers)
        var templates = spec["templates"]?.arrayValue ?? []
        switch random.int(3) {
        case 0:
            root["spec"] = setting(.object(spec), random.pick(specFields)[...], to: number)
            return .object(root)
        case 1 where !templates.isEmpty:
            let i = random.int(templates.count)
            templates[i] = setting(templates[i], random.pick(templateFields)[...], to: number)
        default:
            // A loop field on the first step or task found.
            guard let i = templates.firstIndex(where: { $0["steps"] != nil || $0["dag"] != nil }) else { return value }
            var t = templates[i]
            if case .array(var groups)? = t["steps"], case .array(var group)? = groups.first, !group.isEmpty {
                group[0] = setting(group[0], random.pick(loopFields)[...], to: number)
                groups[0] = .array(group)
                t = setting(t, ["steps"], to: .array(groups))
            } else if case .array(var tasks)? = t["dag"]?["tasks"], !tasks.isEmpty {
                tasks[0] = setting(tasks[0], random.pick(loopFields)[...], to: number)
                t = setting(t, ["dag", "tasks"], to: .array(tasks))
            }
            templates[i] = t
        }
        spec["templates"] = .array(templates)
        root["spec"] = .object(spec)
        return .object(root)
    }

    /// A mutation of the text: bytes cut, a line doubled or moved, a hostile token inserted, a number inflated.
    static func mutate(text: String, _ random: inout SeededRandom) -> String {
        var lines = text.components(separatedBy: "\n")
        let i = random.int(lines.count)
        switch random.int(6) {
        case 0:
            var chars = Array(lines[i])
            if !chars.isEmpty {
                let at = random.int(chars.count)
                chars.removeSubrange(at..<min(chars.count, at + 1 + random.int(8)))
            }
            lines[i] = String(chars)
        case 1: lines.insert(lines[i], at: i)
        case 2: lines.swapAt(i, random.int(lines.count))
        case 3:
            var line = lines[i]
            let at = line.index(line.startIndex, offsetBy: random.int(line.count + 1))
            line.insert(contentsOf: random.pick(hostileText), at: at)
            lines[i] = line
        case 4:
            lines[i] = lines[i].replacingOccurrences(
                of: "1", with: random.pick(["1e19", "99999999999999999999", "-1"]))
        default: lines = Array(lines.prefix(i))
        }
        return lines.joined(separator: "\n")
    }

    /// Texts built to exhaust a parser: alias bombs, nesting far past the limit, 5,000 documents, huge loops.
    static var crafted: [(String, String)] {
        var bomb =
            "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: bomb}\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...12 {
            bomb +=
                "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
                + "]\n"
        }
        var merge = "base: &b {x: 1}\n"
        for level in 1...40 {
            merge += "m\(level): &b\(level) {<<: *\(level == 1 ? "b" : "b\(level - 1)"), y\(level): 1}\n"
        }
        let hello = """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {generateName: many-}
            spec:
              entrypoint: a
              templates: [{name: a, container: {image: alpine, command: ["true"]}}]
            """
        let loop = { (field: String) in
            """
            apiVersion: argoproj.io/v1alpha1
            kind: Workflow
            metadata: {generateName: loop-}
            spec:
              entrypoint: main
              templates:
              - name: main
                steps: [[{name: each, template: a, \(field)}]]
              - {name: a, container: {image: alpine, command: ["true"]}}
            """
        }
        return [
            ("alias bomb", bomb),
            ("merge chain", merge),
            ("deep flow", "a: " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)),
            ("deep block", "a:\n" + String(repeating: "- ", count: 100_000) + "x"),
            ("deep json", String(repeating: "{\"a\":", count: 50_000) + "1" + String(repeating: "}", count: 50_000)),
            ("5,000 documents", Array(repeating: hello, count: 5_000).joined(separator: "\n---\n")),
            ("11,000 documents", Array(repeating: "a: 1", count: 11_000).joined(separator: "\n---\n")),
            ("a billion items", loop("withSequence: {count: \"1000000000\"}")),
            ("an overflowing sequence", loop("withSequence: {start: \"9223372036854775807\", count: \"2\"}")),
            (
                "huge numbers",
                hello.replacingOccurrences(of: "entrypoint: a", with: "entrypoint: a\n  activeDeadlineSeconds: 1e400")
            ),
            (
                "huge integers",
                hello.replacingOccurrences(
                    of: "entrypoint: a", with: "entrypoint: a\n  parallelism: 1e19\n  priority: 99999999999999999999")
            ),
            ("empty", ""),
            ("only a comment", "# nothing\n"),
            ("binary", String(decoding: (0..<2_000).map { UInt8(truncatingIfNeeded: $0 &* 7919) }, as: UTF8.self)),
        ]
    }

    /// What a refusal must carry: a line and column, or a field path.
    static func hasPlace(_ error: ArgosyError) -> Bool { error.location != nil }
    static func hasPlace(_ d: Diagnostic) -> Bool { d.location != nil || !d.path.components.isEmpty }

    struct Finding: CustomStringConvertible {
        var name: String
        var problem: String
        var description: String { "\(name): \(problem)" }
    }

    /// Parses, lints and (when it lints clean) runs a few passes of `text`; what went wrong, if anything.
    static func check(_ name: String, _ text: String) -> [Finding] {
        var findings: [Finding] = []
        let started = Date()
        defer {
            let took = Date().timeIntervalSince(started)
            if took > 10 { findings.append(Finding(name: name, problem: "took \(took) s")) }
        }
        let documents: [ManifestDocument]
        do {
            documents = try ManifestDocument.parseAll(text, file: "fuzz.yaml")
        } catch {
            if !hasPlace(error) {
                findings.append(Finding(name: name, problem: "parse error without a place: \(error)"))
            }
            return findings
        }
        var limits = Limits()
        limits.loopItems = 1_000
        limits.nodesPerWorkflow = 1_000
        for doc in documents.prefix(20) {
            let (resource, diagnostics) = ManifestLinter.lint(doc, limits: limits)
            for d in diagnostics where !hasPlace(d) {
                findings.append(Finding(name: name, problem: "finding without a place: \(d)"))
            }
            guard case .workflow? = resource, !diagnostics.contains(where: { $0.severity == .error }) else { continue }
            guard var run = try? EngineHarness(yaml: doc.value.compactJSON, limits: limits) else { continue }
            run.script = { launch in launch.templateName.hasPrefix("a") ? .exit(1) : .exit(0, stdout: "[1,2]") }
            try? run.runToCompletion(maxPasses: 200)
        }
        return findings
    }

    @Test(.timeLimit(.minutes(5)))
    func mutatedManifestsNeverCrashHangOrFailWithoutAPlace() throws {
        let examples = Self.examples
        #expect(examples.count > 30)
        var random = SeededRandom(seed: 20_261_207)
        var findings: [Finding] = []
        var cases = 0
        for (name, text) in Self.crafted {
            findings += Self.check(name, text)
            cases += 1
        }
        for round in 0..<1_500 {
            let base = random.pick(examples)
            findings += Self.check("text mutation \(round)", Self.mutate(text: base, &random))
            cases += 1
            guard let doc = try? ManifestDocument.parseAll(base, file: "x").first else { continue }
            var value = doc.value
            for _ in 0...random.int(3) { value = Self.mutate(value, &random) }
            findings += Self.check("structure mutation \(round)", value.compactJSON)
            var injected = doc.value
            for _ in 0...random.int(2) { injected = Self.inject(injected, &random) }
            findings += Self.check("number injection \(round)", injected.compactJSON)
            cases += 2
        }
        #expect(cases >= 4_500)
        #expect(findings.isEmpty, "\(findings.prefix(20).map(\.description).joined(separator: "\n"))")
    }

    /// The crafted cases are refused for the right reason, with their place.
    @Test func boundsAreReportedWhereTheyAreCrossed() throws {
        let crafted = Dictionary(uniqueKeysWithValues: Self.crafted)
        func refusal(_ name: String) -> String {
            do {
                let docs = try ManifestDocument.parseAll(crafted[name]!, file: "f.yaml")
                return docs.flatMap { ManifestLinter.lint($0).diagnostics }.map(\.description).joined(separator: "\n")
            } catch {
                return error.description
            }
        }
        #expect(refusal("alias bomb").contains("alias bomb"))
        #expect(refusal("deep flow").hasPrefix("f.yaml:1:"))
        #expect(refusal("deep flow").contains("nested more than 200 levels"))
        #expect(refusal("deep block").contains("nested more than 200 levels"))
        #expect(refusal("11,000 documents").contains("more than 10000 documents"))
        #expect(refusal("a billion items").contains("1000000000 items is more than the limit of 100000"))
        #expect(refusal("huge numbers").contains("number '1e400' is out of range"))
        #expect(refusal("huge integers").contains("spec.parallelism: expected an integer, found 1e+19"))
        let many = try ManifestDocument.parseAll(crafted["5,000 documents"]!, file: "f.yaml")
        #expect(many.count == 5_000)
    }
}
