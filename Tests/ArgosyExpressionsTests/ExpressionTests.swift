import ArgosyExpressions
import ArgosyModel
import Testing

@Suite struct ExpressionTests {
    static let scope = VariableScope([
        "inputs.parameters.x": "5",
        "inputs.parameters.name": "argo",
        "inputs.parameters.my-param": "dash",
        "steps.a-b.outputs.result": "ab",
        "steps.gen.outputs.result": #"[{"n":1},{"n":2},{"n":3}]"#,
        "tasks.A.outputs.parameters.x": "42",
        "tasks.A.outputs.parameters.absent": nil,
        "workflow.name": "wf",
        "items": [["x": 1, "name": "a"], ["x": 2, "name": "b"], ["x": 3, "name": "c"]],
        "nums": [3, 1, 2],
        "obj": ["k": "v", "n": 1],
        "item": ["a": ["b": 1]],
        "empty": "",
        "nothing": nil,
    ])

    static func eval(_ source: String) throws -> JSONValue {
        try Expression(source).evaluate(in: scope)
    }

    static let literals: [(String, JSONValue)] = [
        ("1", 1), ("-7", -7), ("1_000", 1000), ("0x1F", 31), ("0b101", 5), ("0o17", 15), ("1.5", 1.5), ("1e3", 1000.0),
        (".5", 0.5), ("'single'", "single"), ("\"double\"", "double"), ("'a\\nb'", "a\nb"), ("'\\u00e9'", "é"),
        ("`raw\\n`", "raw\\n"), ("true", true), ("false", false), ("nil", nil), ("[1, 'a', true]", [1, "a", true]),
        ("[]", []), ("[1, 2,]", [1, 2]), ("{a: 1, 'b-c': 2, 3: 'x'}", ["a": 1, "b-c": 2, "3": "x"]),
        ("{('k' + 'ey'): 1}", ["key": 1]), ("{}", [:]), ("1 // comment", 1), ("/* c */ 2", 2),
    ]

    static let arithmetic: [(String, JSONValue)] = [
        ("1 + 2", 3), ("1 + 2 * 3", 7), ("(1 + 2) * 3", 9), ("7 - 2 - 1", 4), ("7 / 2", 3.5), ("6 / 3", 2.0),
        ("7 % 3", 1), ("-7 % 3", -1), ("2 ** 3", 8.0), ("2 ^ 3 ^ 2", 512.0), ("1.5 + 1", 2.5), ("-2 ** 2", -4.0),
        ("-(1 + 2)", -3), ("+3", 3), ("'a' + 'b'", "ab"), ("[1] + [2]", [1, 2]), ("1 / 0 > 100", true),
        ("9223372036854775807 + 1", .int(Int.min)),
    ]

    static let comparisons: [(String, JSONValue)] = [
        ("1 == 1", true), ("1 == 1.0", true), ("1 != 2", true), ("'a' == 'a'", true), ("'1' == 1", false),
        ("nil == nil", true), ("[1, 2] == [1, 2]", true), ("{a: 1} == {a: 1.0}", true), ("1 < 2", true),
        ("2 <= 2", true), ("3 > 2.5", true), ("'abc' < 'abd'", true), ("'b' >= 'a'", true), ("1 < 2 < 3", true),
        ("3 > 2 > 2", false), ("not true", false), ("!false", true), ("not (1 == 2)", true), ("!true == false", true),
        ("true and false", false), ("true && true", true), ("false or true", true), ("false || false", false),
        ("false and (1 / 'x')", false), ("true or (1 / 'x')", true), ("1 in [1, 2]", true), ("3 in [1, 2]", false),
        ("3 not in [1, 2]", true), ("'k' in obj", true), ("'z' in obj", false), ("'x' in inputs.parameters", true),
        ("'y' in inputs.parameters", false), ("'hello' contains 'ell'", true), ("'hello' startsWith 'he'", true),
        ("'hello' endsWith 'lo'", true), ("'hello' not contains 'z'", true),
        ("'abc123' matches '^[a-z]+[0-9]+$'", true),
        ("'abc' matches 'b'", true), ("'abc' not matches 'z'", true), ("1..3", [1, 2, 3]), ("3..1", []),
        ("true ? 'y' : 'n'", "y"), ("1 > 2 ? 'y' : 'n'", "n"), ("false ? 1 : true ? 2 : 3", 2), ("nil ?: 'd'", "d"),
        ("'v' ?: 'd'", "v"), ("nil ?? 'd'", "d"), ("'' ?? 'd'", ""), ("nothing ?? 1", 1),
    ]

    static let variables: [(String, JSONValue)] = [
        ("inputs.parameters.x", "5"), ("inputs.parameters['my-param']", "dash"), ("inputs['parameters'].name", "argo"),
        ("steps['a-b'].outputs.result", "ab"), ("tasks.A.outputs.parameters.x", "42"),
        ("tasks.A.outputs.parameters.absent ?? 'dflt'", "dflt"),
        ("tasks.A.outputs.parameters.missing ?? 'dflt'", "dflt"),
        ("tasks.B.outputs.parameters.x ?? 'none'", "none"), ("tasks.A.outputs.parameters.missing", nil),
        ("obj.missing", nil), ("obj?.missing?.deeper", nil), ("nothing?.field", nil), ("nothing?.a.b.c", nil),
        ("item.a.b", 1), ("item['a']['b']", 1), ("items[0].name", "a"), ("items[-1].x", 3), ("nums[1:]", [1, 2]),
        ("nums[:2]", [3, 1]), ("nums[:]", [3, 1, 2]), ("'hello'[1:3]", "el"), ("'hello'[0]", "h"),
        ("inputs.parameters", (["x": "5", "name": "argo", "my-param": "dash"] as JSONValue).sortedForTest),
        ("workflow", ["name": "wf"]), ("len(inputs.parameters)", 3), ("let y = 2; y * 3", 6),
        ("let a = 1; let b = a + 1; a + b", 3), ("1; 2", 2),
    ]

    static let closures: [(String, JSONValue)] = [
        ("filter([1, 2, 3], {# > 1})", [2, 3]), ("filter([1, 2, 3], # > 1)", [2, 3]),
        ("map([1, 2], {# * 2})", [2, 4]), ("map(items, .name)", ["a", "b", "c"]), ("map(items, #.x)", [1, 2, 3]),
        ("filter(items, {#.x > 1})", [["x": 2, "name": "b"], ["x": 3, "name": "c"]]), ("map(nums, #index)", [0, 1, 2]),
        ("all([1, 2], {# > 0})", true), ("all([1, -2], {# > 0})", false), ("any([1, -2], {# < 0})", true),
        ("none([1, 2], {# < 0})", true), ("one([1, 2], {# > 1})", true), ("one([2, 2], {# > 1})", false),
        ("count([1, 2, 3], {# >= 2})", 2), ("count([true, false, true])", 2), ("sum([1, 2, 3])", 6),
        ("sum(items, {#.x})", 6), ("sum([1, 2.5])", 3.5), ("find(items, {#.x == 2}).name", "b"),
        ("find(items, {#.x == 9})", nil), ("findIndex(nums, {# == 2})", 2), ("findLast([1, 2, 3], {# < 3})", 2),
        ("findLastIndex([1, 2, 3], {# < 3})", 1),
        ("groupBy([1, 2, 3], {# % 2 == 0})", ["false": [1, 3], "true": [2]]),
        ("sortBy(items, {#.x}, 'desc')[0].name", "c"), ("sortBy(['bb', 'a'], {len(#)})", ["a", "bb"]),
        ("reduce([1, 2, 3], {#acc + #})", 6), ("reduce([1, 2, 3], {#acc + #}, 10)", 16),
        ("map(filter(items, .x > 1), .name)", ["b", "c"]), ("[1, 2] | map(# + 1)", [2, 3]),
        ("map(fromJSON(steps.gen.outputs.result), #.n)", [1, 2, 3]),
        ("filter(map([1, 2, 3], {{v: #}}), .v != 2)", [["v": 1], ["v": 3]]),
    ]

    @Test(arguments: literals + arithmetic)
    func evaluatesLiteralsAndArithmetic(_ source: String, _ expected: JSONValue) throws {
        #expect(try Self.eval(source) == expected)
    }

    @Test(arguments: comparisons)
    func evaluatesComparisonsAndLogic(_ source: String, _ expected: JSONValue) throws {
        #expect(try Self.eval(source) == expected)
    }

    @Test(arguments: variables)
    func resolvesVariablesFromTheFlatScope(_ source: String, _ expected: JSONValue) throws {
        #expect(try Self.eval(source).sortedForTest == expected)
    }

    @Test(arguments: closures)
    func evaluatesClosures(_ source: String, _ expected: JSONValue) throws {
        #expect(try Self.eval(source) == expected)
    }

    static let errors: [(String, Int, String)] = [
        ("1 +", 3, "unexpected end"), ("(1 + 2", 6, "expected ')'"), ("[1, 2", 5, "expected ','"),
        ("'abc", 0, "unterminated string"), ("1 $ 2", 2, "unexpected token"), ("a.", 2, "expected a name"),
        ("unknownVar + 1", 0, "unknown name unknownVar"), ("1 + 'a'", 2, "mismatched types int and string"),
        ("'a' < 1", 4, "mismatched types string and int"), ("!1", 0, "invalid operation: !"),
        ("1 && true", 2, "mismatched types int and bool"), ("1 % 0", 2, "integer divide by zero"),
        ("nums[5]", 4, "index out of range"), ("nothing.field", 8, "cannot fetch field from nil"),
        ("obj[0]", 3, "cannot fetch 0"), ("nope(1)", 0, "unknown function nope"), ("len(1)", 0, "len: argument 1"),
        ("int('x')", 0, "int(x)"), ("'a' matches '('", 12, "invalid regular expression"),
        ("1 ? 2 : 3", 0, "non-bool expression"), ("not 1 == 2", 0, "invalid operation: not"),
        ("filter(1, # > 0)", 7, "cannot iterate"),
        ("all([1], {#})", 9, "must return a bool"), ("sprig.nope(1)", 6, "unknown function sprig.nope"),
        ("a ?? b + 1", 7, "cannot be mixed"), ("", 0, "expected an expression"), ("1 2", 2, "unexpected token"),
        ("fromJSON('{')", 0, "invalid JSON"), ("{a 1}", 3, "expected ':'"), ("1..10000000", 1, "too large"),
        ("upper(1)", 0, "must be a string"),
    ]

    @Test(arguments: errors)
    func reportsErrorsWithPosition(_ source: String, _ position: Int, _ fragment: String) {
        let error = #expect(throws: ExpressionError.self) { try Self.eval(source) }
        #expect(error?.position == position, "\(error?.description ?? "")")
        #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "")")
    }

    @Test func unknownNameCarriesTheName() {
        let error = #expect(throws: ExpressionError.self) { try Self.eval("inputs.parameters.x + missing") }
        #expect(error?.code == .unknownName)
        #expect(error?.name == "missing")
    }

    @Test func referencedNamesFollowArgoRules() throws {
        let e = try Expression("item.a + inputs.parameters['x'] + (tasks.a.outputs.result ?? 'd') + len(obj?.k)")
        #expect(e.referencedNames == ["item.a", "inputs.parameters.x", "tasks", "obj"])
    }

    @Test func evaluateConditionRequiresABool() throws {
        #expect(try Expression("1 < 2").evaluateCondition(in: Self.scope))
        #expect(throws: ExpressionError.self) { try Expression("1 + 2").evaluateCondition(in: Self.scope) }
    }

    @Test func deepNestingIsRejectedNotCrashing() {
        let source = String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000)
        #expect(throws: ExpressionError.self) { try Expression(source) }
    }

    @Test func scopeSubscriptKeepsNamespacesInStep() throws {
        var scope = VariableScope()
        scope["tasks.A.outputs.result"] = "one"
        let e = try Expression("tasks.A.outputs.result")
        #expect(try e.evaluate(in: scope) == "one")
        scope["tasks.A.outputs.result"] = nil
        #expect(throws: ExpressionError.self) { try e.evaluate(in: scope) }
        scope.values = ["tasks.B": "x"]
        #expect(try Expression("tasks.B").evaluate(in: scope) == "x")
    }
}

extension JSONValue {
    /// Objects with keys sorted, so namespaces built from an unordered scope compare stably.
    var sortedForTest: JSONValue {
        switch self {
        case .object(let o):
            return .object(.init(uniqueKeysWithValues: o.keys.sorted().map { ($0, (o[$0] ?? .null).sortedForTest) }))
        case .array(let a): return .array(a.map(\.sortedForTest))
        default: return self
        }
    }
}
