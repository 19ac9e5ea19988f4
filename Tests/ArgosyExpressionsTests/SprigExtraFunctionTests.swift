import ArgosyExpressions
import ArgosyModel
import Testing

@Suite struct SprigExtraFunctionTests {
    static func eval(_ source: String) throws -> JSONValue {
        try Expression(source).evaluate(in: VariableScope(["inputs.parameters.name": "My Step-Name"]))
    }

    static let cases: [(String, JSONValue)] = [
        ("sprig.camelcase('http_server')", "HttpServer"), ("sprig.camelcase('some-words here')", "SomeWordsHere"),
        ("sprig.camelcase('already')", "Already"), ("sprig.snakecase('FirstName')", "first_name"),
        ("sprig.snakecase('HTTPServer')", "http_server"), ("sprig.snakecase('my-param.name')", "my_param_name"),
        ("sprig.snakecase(inputs.parameters.name)", "my_step_name"), ("sprig.kebabcase('FirstName')", "first-name"),
        ("sprig.kebabcase('userID')", "user-id"), ("sprig.kebabcase('snake_case_words')", "snake-case-words"),
        ("sprig.sha256sum('hello')", "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
        ("sprig.sha256sum('')", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("sprig.sha256sum(repeat('a', 100))", "2816597888e4a0d3a36b82b83316ab32680eb8f00f8cd3b904d681246d285a0e"),
        ("sprig.sha1sum('hello')", "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"),
        ("sprig.adler32sum('hello')", "103547413"),
        ("sprig.b32enc('hello')", "NBSWY3DP"), ("sprig.b32enc('hi')", "NBUQ===="), ("sprig.b32enc('')", ""),
        ("sprig.b32dec('NBUQ====')", "hi"), ("sprig.b32dec(sprig.b32enc('round trip!'))", "round trip!"),
        ("sprig.b32dec('!!')", "illegal base32 data"),
        ("sprig.semver('v1.2.3-beta.1+build.5').Major()", 1), ("sprig.semver('v1.2.3-beta.1+build.5').Minor", 2),
        ("sprig.semver('v1.2.3-beta.1+build.5').Prerelease()", "beta.1"),
        ("sprig.semver('v1.2.3-beta.1+build.5').Metadata()", "build.5"), ("sprig.semver('1.2').Patch()", 0),
        ("sprig.semver('2').Original()", "2"),
        ("sprig.semverCompare('>=1.2.0', '1.3.0')", true), ("sprig.semverCompare('^1.2.0', '2.0.0')", false),
        ("sprig.semverCompare('^1.2.0', '1.9.9')", true), ("sprig.semverCompare('^0.2.3', '0.3.0')", false),
        ("sprig.semverCompare('^0.0.3', '0.0.3')", true), ("sprig.semverCompare('~1.2.3', '1.2.9')", true),
        ("sprig.semverCompare('~1.2.3', '1.3.0')", false), ("sprig.semverCompare('~1', '1.9.0')", true),
        ("sprig.semverCompare('1.2.x', '1.2.7')", true), ("sprig.semverCompare('1.2.x', '1.3.0')", false),
        ("sprig.semverCompare('1.2', '1.2.4')", true), ("sprig.semverCompare('>1.2.3, <2', '1.9.0')", true),
        ("sprig.semverCompare('>1.2.3 <2', '2.0.0')", false), ("sprig.semverCompare('<1 || >=3', '3.1.0')", true),
        ("sprig.semverCompare('<1 || >=3', '2.0.0')", false), ("sprig.semverCompare('1.0 - 1.4', '1.4.9')", true),
        ("sprig.semverCompare('1.0 - 1.4', '1.5.0')", false), ("sprig.semverCompare('>=1.0.0', '1.1.0-rc.1')", false),
        ("sprig.semverCompare('>=1.1.0-rc.0', '1.1.0-rc.1')", true),
        ("sprig.semverCompare('>=1.1.0-rc.2', '1.1.0-rc.10')", true), ("sprig.semverCompare('*', '0.0.1')", true),
        ("sprig.semverCompare('!=1.2.3', '1.2.4')", true), ("sprig.semverCompare('>= 1.2.3', 'v1.2.3')", true),
        ("sprig.semverCompare('>1.x', '2.0.0')", true), ("sprig.semverCompare('>1.x', '1.9.0')", false),
        ("sprig.semverCompare('<=1.2', '1.2.9')", true), ("sprig.semverCompare('=1.2.3', '1.2.3+meta')", true),
    ]

    @Test(arguments: cases)
    func evaluatesSprigExtras(_ source: String, _ expected: JSONValue) throws {
        #expect(try Self.eval(source) == expected)
    }

    static let failures: [(String, String)] = [
        ("sprig.semver('x.y')", "invalid semantic version"), ("sprig.semver('1.2.3.4')", "invalid semantic version"),
        ("sprig.semverCompare('>>1', '1.0.0')", "improper constraint"),
        ("sprig.semverCompare('>1', 'nope')", "invalid semantic version"), ("sprig.randAlpha(-1)", "bad length"),
        ("sprig.uuidv4(1)", "invalid number of arguments"),
    ]

    @Test(arguments: failures)
    func extraErrorsAreReported(_ source: String, _ fragment: String) {
        let error = #expect(throws: ExpressionError.self) { try Self.eval(source) }
        #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "")")
    }

    static let randomShapes: [(String, String)] = [
        ("sprig.randAlphaNum(32)", "^[A-Za-z0-9]{32}$"), ("sprig.randAlpha(16)", "^[A-Za-z]{16}$"),
        ("sprig.randNumeric(8)", "^[0-9]{8}$"), ("sprig.randAscii(20)", "^[ -~]{20}$"), ("sprig.randAlphaNum(0)", "^$"),
        ("sprig.uuidv4()", "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"),
    ]

    @Test(arguments: randomShapes)
    func randomValuesHaveTheirShape(_ source: String, _ pattern: String) throws {
        let value = try #require(try Self.eval(source).stringValue)
        #expect(value.wholeMatch(of: try Regex(pattern)) != nil, "\(value)")
    }

    @Test func randomValuesDiffer() throws {
        #expect(try Self.eval("sprig.randAlphaNum(32)") != Self.eval("sprig.randAlphaNum(32)"))
        #expect(try Self.eval("sprig.uuidv4()") != Self.eval("sprig.uuidv4()"))
    }
}
