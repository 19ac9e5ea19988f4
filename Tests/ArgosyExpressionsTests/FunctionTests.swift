import ArgosyExpressions
import ArgosyModel
import Testing

@Suite struct FunctionTests {
    static let scope = VariableScope([
        "inputs.parameters.n": "12",
        "inputs.parameters.f": "2.5",
        "inputs.parameters.s": "  padded  ",
        "inputs.parameters.json": #"{"employees":[{"name":"Baris","age":43},{"name":"Mo","age":42}],"a-b":{"c":1}}"#,
        "obj": ["b": 2, "a": 1],
        "list": ["x", "y"],
    ])

    static func eval(_ source: String) throws -> JSONValue {
        try Expression(source).evaluate(in: scope)
    }

    static let builtins: [(String, JSONValue)] = [
        ("len('héllo')", 5), ("len([1, 2])", 2), ("len(obj)", 2), ("type(1)", "int"), ("type(1.5)", "float"),
        ("type('s')", "string"), ("type([])", "array"), ("type({})", "map"), ("type(nil)", "nil"),
        ("string(1)", "1"), ("string(1.5)", "1.5"), ("string(1000000.0)", "1e+06"), ("string(true)", "true"),
        ("string([1, 'a'])", "[1 a]"), ("string(obj)", "map[a:1 b:2]"), ("string(nil)", "<nil>"),
        ("int('42')", 42), ("int(3.9)", 3), ("int(-3.9)", -3), ("float('2.5')", 2.5), ("float(2)", 2.0),
        ("asInt(inputs.parameters.n) + 1", 13), ("asFloat(inputs.parameters.f) * 2", 5.0),
        ("abs(-3)", 3), ("abs(-2.5)", 2.5), ("ceil(1.2)", 2.0), ("floor(1.8)", 1.0), ("round(2.5)", 3.0),
        ("upper('abc')", "ABC"), ("lower('ABC')", "abc"), ("trim(inputs.parameters.s)", "padded"),
        ("trim('xxhixx', 'x')", "hi"), ("trimPrefix('prefix-x', 'prefix-')", "x"), ("trimSuffix('x.txt', '.txt')", "x"),
        ("split('a,b,c', ',')", ["a", "b", "c"]), ("split('a,b,c', ',', 2)", ["a", "b,c"]),
        ("split('abc', '')", ["a", "b", "c"]),
        ("splitAfter('a,b', ',')", ["a,", "b"]), ("replace('aaa', 'a', 'b')", "bbb"),
        ("replace('aaa', 'a', 'b', 2)", "bba"),
        ("repeat('ab', 3)", "ababab"), ("join(['a', 'b'], '-')", "a-b"), ("join(list)", "xy"),
        ("indexOf('hello', 'l')", 2),
        ("lastIndexOf('hello', 'l')", 3), ("indexOf('hello', 'z')", -1), ("hasPrefix('hello', 'he')", true),
        ("hasSuffix('hello', 'x')", false), ("keys(obj)", ["b", "a"]), ("values(obj)", [2, 1]),
        ("toPairs({a: 1})", [["a", 1]]), ("fromPairs([['a', 1]])", ["a": 1]), ("first([1, 2])", 1), ("last([1, 2])", 2),
        ("first([])", nil), ("get(obj, 'a')", 1), ("get([1, 2], 5)", nil), ("take([1, 2, 3], 2)", [1, 2]),
        ("reverse([1, 2, 3])", [3, 2, 1]), ("uniq([1, 2, 1, 1.0])", [1, 2]), ("concat([1], [2, 3])", [1, 2, 3]),
        ("flatten([1, [2, [3]]])", [1, 2, 3]), ("sort([3, 1, 2])", [1, 2, 3]),
        ("sort(['b', 'a'], 'desc')", ["b", "a"]),
        ("max(1, 5, 3)", 5), ("min([4, 2, 8])", 2), ("max(1, 2.5)", 2.5), ("mean([1, 2, 3, 4])", 2.5),
        ("median([3, 1, 2])", 2.0), ("toJSON({b: 1, a: [1]})", "{\n  \"a\": [\n    1\n  ],\n  \"b\": 1\n}"),
        ("toJson({b: 1, a: [1]})", #"{"a":[1],"b":1}"#), ("toJson('x<y')", #""x\u003cy""#), ("toJson(1.0)", "1"),
        ("toJson(0.000001)", "0.000001"), ("toJson(1e21)", "1e+21"), ("toJson(1e-7)", "1e-7"),
        ("fromJSON('{\"a\": [1, 2]}').a[1]", 2), ("toBase64('hi there')", "aGkgdGhlcmU="),
        ("fromBase64('aGkgdGhlcmU=')", "hi there"), ("string(123456.0)", "123456"),
        ("string(1234567.0)", "1.234567e+06"),
        ("string(0.0001)", "0.0001"), ("string(0.00001)", "1e-05"), ("string(-2.5)", "-2.5"),
        ("toJson(123456789.0)", "123456789"),
        ("toJson(-0.5)", "-0.5"), ("toJson([1.25, 3])", "[1.25,3]"), ("string(1 / 3)", "0.3333333333333333"),
    ]

    static let argoFunctions: [(String, JSONValue)] = [
        ("jsonpath(inputs.parameters.json, '$.employees[*].name')", ["Baris", "Mo"]),
        ("jsonpath(inputs.parameters.json, '$.employees[0].age')", 43),
        ("jsonpath(inputs.parameters.json, '$.employees[-1].name')", "Mo"),
        ("jsonpath(inputs.parameters.json, \"$['a-b'].c\")", 1),
        ("jsonpath(inputs.parameters.json, '$..name')", ["Baris", "Mo"]),
        ("jsonpath(inputs.parameters.json, '$.employees[?(@.age > 42)].name')", ["Baris"]),
        ("jsonpath(inputs.parameters.json, '$.employees[0:1].name')", ["Baris"]),
        ("jsonpath(inputs.parameters.json, '$.employees[0,1].age')", [43, 42]),
        ("jsonpath(inputs.parameters.json, '$.employees[*].missing')", []),
        ("jsonpath('[1, 2, 3]', '$[*]')", [1, 2, 3]), ("jsonpath('{\"a\": 1}', 'a')", 1),
        ("jsonpath(fromJSON('{\"a\": {\"b\": true}}'), '$.a.b')", true),
        ("toJson(jsonpath(inputs.parameters.json, '$.employees[0]'))", #"{"age":43,"name":"Baris"}"#),
    ]

    static let sprig: [(String, JSONValue)] = [
        ("sprig.trim(inputs.parameters.s)", "padded"), ("sprig.upper('a')", "A"), ("sprig.lower('A')", "a"),
        ("sprig.replace('-', '_', 'a-b-c')", "a_b_c"), ("sprig.contains('ell', 'hello')", true),
        ("sprig.hasPrefix('he', 'hello')", true), ("sprig.hasSuffix('lo', 'hello')", true),
        ("sprig.default('d', '')", "d"), ("sprig.default('d', 'v')", "v"), ("sprig.default('d', 0)", "d"),
        ("sprig.empty('')", true), ("sprig.empty([1])", false), ("sprig.coalesce('', nil, 'x', 'y')", "x"),
        ("sprig.join(',', ['a', 1])", "a,1"), ("sprig.split(',', 'a,b')", ["_0": "a", "_1": "b"]),
        ("sprig.splitList(',', 'a,b')", ["a", "b"]), ("sprig.list(1, 'a')", [1, "a"]), ("sprig.first([1, 2])", 1),
        ("sprig.last([1, 2])", 2), ("sprig.add(1, '2', 3.9)", 6), ("sprig.sub(5, 2)", 3), ("sprig.mul(2, 3, 4)", 24),
        ("sprig.div(7, 2)", 3), ("sprig.mod(7, 2)", 1), ("sprig.add1(1)", 2), ("sprig.int('12')", 12),
        ("sprig.int('nope')", 0), ("sprig.atoi('7')", 7), ("sprig.float64('1.5')", 1.5), ("sprig.toString(12)", "12"),
        ("sprig.quote('a\"b', 1)", "\"a\\\"b\" \"1\""), ("sprig.squote('a')", "'a'"), ("sprig.b64enc('hi')", "aGk="),
        ("sprig.b64dec('aGk=')", "hi"), ("sprig.regexMatch('^[0-9]+$', '123')", true),
        ("sprig.regexReplaceAll('a(x*)b', '-ab-axxb-', '${1}W')", "-W-xxW-"),
        ("sprig.regexFind('[0-9]+', 'ab12cd34')", "12"),
        ("sprig.regexFindAll('[0-9]+', 'ab12cd34', -1)", ["12", "34"]),
        ("sprig.toJson({b: 1, a: 2})", #"{"a":2,"b":1}"#), ("sprig.fromJson('{\"a\": 1}').a", 1),
        ("sprig.fromJson('nope')", nil), ("sprig.title('hello world')", "Hello World"),
        ("sprig.substr(1, 3, 'hello')", "el"), ("sprig.trunc(3, 'hello')", "hel"), ("sprig.repeat(2, 'ab')", "abab"),
        ("sprig.nospace('a b c')", "abc"), ("sprig.ternary('y', 'n', true)", "y"), ("sprig.has(2, [1, 2])", true),
        ("sprig.dict('a', 1).a", 1), ("sprig.hasKey({a: 1}, 'a')", true), ("sprig.get({a: 1}, 'z')", ""),
        ("sprig.uniq([1, 1, 2])", [1, 2]), ("sprig.without([1, 2, 3], 2)", [1, 3]), ("sprig.until(3)", [0, 1, 2]),
        ("sprig.max(1, 9, 3)", 9), ("sprig.min(4, 2)", 2), ("sprig.addf(1, 1.5)", 2.5),
        ("sprig.indent(2, 'a\nb')", "  a\n  b"),
        ("sprig.cat('a', nil, 'b')", "a b"), ("sprig.trimAll('$', '$5.00$')", "5.00"),
        ("sprig.sortAlpha(['b', 'a'])", ["a", "b"]),
    ]

    @Test(arguments: builtins)
    func evaluatesBuiltinFunctions(_ source: String, _ expected: JSONValue) throws {
        #expect(try Self.eval(source) == expected)
    }

    @Test(arguments: argoFunctions)
    func evaluatesArgoFunctions(_ source: String, _ expected: JSONValue) throws {
        #expect(try Self.eval(source) == expected)
    }

    @Test(arguments: sprig)
    func evaluatesSprigFunctions(_ source: String, _ expected: JSONValue) throws {
        #expect(try Self.eval(source) == expected)
    }

    static let failures: [(String, String)] = [
        ("jsonpath('{\"a\": 1}', '$.b')", "key 'b' not found"), ("jsonpath('not json', '$')", "invalid JSON"),
        ("jsonpath('[1]', '$[5]')", "out of range"), ("jsonpath('{}', '$.a[')", "missing ']'"),
        ("sprig.div(1, 0)", "divide by zero"), ("fromBase64('!!')", "illegal base64"), ("asInt('1.5')", "int(1.5)"),
        ("float('x')", "float(x)"), ("repeat('a', -1)", "non-negative"), ("join([1], ',')", "must be strings"),
        ("sort([1, 'a'])", "numbers or all strings"), ("sprig.ternary(1, 2, 'x')", "must be a bool"),
        ("len()", "invalid number of arguments"), ("sprig.mustFromJson('{')", "invalid JSON"),
    ]

    @Test(arguments: failures)
    func functionErrorsAreReported(_ source: String, _ fragment: String) {
        let error = #expect(throws: ExpressionError.self) { try Self.eval(source) }
        #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "")")
    }
}
