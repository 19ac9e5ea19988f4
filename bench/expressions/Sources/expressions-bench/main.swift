import ArgosyExpressions
import ArgosyModel

// Typical Argo expressions, evaluated parse-once/evaluate-many and parse+evaluate, then `{{…}}` substitution of a
// container template for each of 1,000 loop items against a plain `replacingOccurrences` of the same tags.

let records: JSONValue = .array((0..<20).map { i in .object(["name": .string("r\(i)"), "size": .int(i * 3)]) })
let scope = VariableScope([
    "inputs.parameters.n": "7",
    "inputs.parameters.s": "hello",
    "workflow.name": "nightly-7x2k",
    "steps.list.outputs.result": #"{"items":[{"name":"alpha","size":3},{"name":"beta","size":9}],"total":2}"#,
    "item.records": records,
])

let expressions: [(String, String)] = [
    ("arithmetic", "asInt(inputs.parameters.n) * 2 > 10"),
    ("jsonpath", "jsonpath(steps.list.outputs.result, '$.items[0].name')"),
    ("sprig string", "sprig.upper(inputs.parameters.s) + '-' + workflow.name"),
    ("filter 20", "len(filter(item.records, {#.size > 20 && #.name != 'r9'}))"),
]
let whenCondition = "Succeeded == Succeeded && my-value != other-value && 12 > 3"
let dependsSource = "(fetch && build.Succeeded) || (lint.Failed && !deploy.Skipped)"
let outcomes: [String: TaskOutcome] = [
    "fetch": TaskOutcome(phase: .succeeded), "build": TaskOutcome(phase: .failed),
    "lint": TaskOutcome(phase: .failed), "deploy": TaskOutcome(phase: .succeeded),
]

let measure = Measure()
var rows: [(String, Double, Double)] = []
for (label, source) in expressions {
    let parsed = try Expression(source)
    let evaluateOnly = try measure.rate { consume(try parsed.evaluate(in: scope)) }
    let parseAndEvaluate = try measure.rate { consume(try Expression(source).evaluate(in: scope)) }
    rows.append((label, evaluateOnly, parseAndEvaluate))
}
// `when` has no separate parse step: Argo substitutes the text first, so every evaluation parses.
let when = try measure.rate { consume(try WhenCondition.evaluate(whenCondition)) }
rows.append(("when words", when, when))
let depends = try DependsExpression(dependsSource)
let dependsEvaluate = measure.rate { consume(depends.evaluate { outcomes[$0] ?? TaskOutcome(phase: .omitted) }) }
let dependsBoth = try measure.rate {
    consume(try DependsExpression(dependsSource).evaluate { outcomes[$0] ?? TaskOutcome(phase: .omitted) })
}
rows.append(("depends", dependsEvaluate, dependsBoth))

func cell(_ s: String, _ width: Int) -> String { s + String(repeating: " ", count: max(0, width - s.count)) }
func number(_ d: Double, _ digits: Int = 2) -> String {
    let scale = Double([1, 10, 100, 1000][digits])
    return String((d * scale).rounded() / scale)
}

print("Expressions (best of \(measure.rounds) rounds)")
print(cell("expression", 14) + cell("evals/s (parsed once)", 24) + cell("µs", 8) + cell("parse+eval/s", 15) + "µs")
for (label, once, both) in rows {
    print(
        cell(label, 14) + cell(String(Int(once)), 24) + cell(number(1e6 / once), 8) + cell(String(Int(both)), 15)
            + number(1e6 / both))
}

// A container template with ten tags: eight simple, two expressions.
let template = """
    {"image":"registry.local/{{inputs.parameters.image}}:{{inputs.parameters.tag}}",
    "command":["sh","-c"],"args":["process --name {{item.name}} --size {{item.size}} --run {{workflow.name}}
    --pod {{pod.name}} --out /tmp/{{item.name}}.json --retry {{retries}} --double {{=asInt(item.size) * 2}}
    --label {{=sprig.upper(item.name)}}"],"env":[{"name":"WF","value":"{{workflow.uid}}"}]}
    """
let base = VariableScope([
    "inputs.parameters.image": "tools/processor", "inputs.parameters.tag": "1.4.2", "workflow.name": "nightly-7x2k",
    "workflow.uid": "6c1f3e0a-77d2-4b8e-9a51-0f3c2d9e8b47", "pod.name": "nightly-7x2k-process-1234567890",
    "retries": "0",
])
let items = (0..<1000).map { i in (name: "item-\(i)", size: i % 97) }

let clock = ContinuousClock()
func perItem(_ body: () throws -> Void) rethrows -> Duration {
    var best = Duration.seconds(1000)
    for _ in 0..<5 { best = min(best, try clock.measure(body)) }
    return best
}
let substituted = try perItem {
    for item in items {
        var s = base
        s["item"] = .object(["name": .string(item.name), "size": .int(item.size)])
        s["item.name"] = .string(item.name)
        s["item.size"] = .string(String(item.size))
        consume(try Substitution.substitute(template, in: s, unresolved: .fail))
    }
}
let baseline = perItem {
    for item in items {
        var text = template
        let fixed = [
            ("{{inputs.parameters.image}}", "tools/processor"), ("{{inputs.parameters.tag}}", "1.4.2"),
            ("{{workflow.name}}", "nightly-7x2k"), ("{{pod.name}}", "nightly-7x2k-process-1234567890"),
            ("{{retries}}", "0"), ("{{workflow.uid}}", "6c1f3e0a-77d2-4b8e-9a51-0f3c2d9e8b47"),
            ("{{item.name}}", item.name), ("{{item.size}}", String(item.size)),
            ("{{=asInt(item.size) * 2}}", String(item.size * 2)),
            ("{{=sprig.upper(item.name)}}", item.name.uppercased()),
        ]
        for (tag, value) in fixed { text = text.replacingOccurrences(of: tag, with: value) }
        consume(text)
    }
}
print("")
print("Substitution of a 10-tag container template for 1,000 loop items (best of 5)")
print(cell("method", 34) + cell("total ms", 10) + cell("µs/item", 9) + "ratio")
for (label, d) in [("Substitution.substitute + scope", substituted), ("replacingOccurrences baseline", baseline)] {
    print(
        cell(label, 34) + cell(number(d.seconds * 1000), 10) + cell(number(d.seconds * 1000), 9)
            + number(d.seconds / baseline.seconds) + "x")
}
