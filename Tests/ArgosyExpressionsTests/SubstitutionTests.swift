import ArgosyExpressions
import ArgosyModel
import Testing

@Suite struct SubstitutionTests {
    static let scope = VariableScope([
        "inputs.parameters.msg": "hello",
        "inputs.parameters.my-param": "dash",
        "inputs.parameters.count": "3",
        "inputs.parameters.json": #"{"a":{"b":[1,2]}}"#,
        "steps.flip.outputs.result": "heads",
        "steps.a-b.outputs.result": "ab",
        "tasks.A.outputs.parameters.x": "42",
        "tasks.skipped.outputs.parameters.x": nil,
        "item": ["a": ["b": 1], "name": "obj", "list": [10, 20]],
        "item.name": "flat-name",
        "workflow.name": "wf-1",
        "workflow.parameters.p": "v",
        "retries": "2",
        "quote": "it's \"quoted\" <b>",
        "number": 7,
        "flag": true,
    ])

    static let cases: [(String, String)] = [
        ("{{inputs.parameters.msg}}", "hello"),
        ("say {{inputs.parameters.msg}} twice {{inputs.parameters.msg}}", "say hello twice hello"),
        ("{{ inputs.parameters.msg }}", "hello"),
        ("{{\tinputs.parameters.msg\n}}", "hello"),
        ("{{inputs.parameters.my-param}}", "dash"),
        ("{{steps.flip.outputs.result}}", "heads"),
        ("{{tasks.A.outputs.parameters.x}}", "42"),
        ("{{workflow.name}}-{{retries}}", "wf-1-2"),
        ("{{item.name}}", "flat-name"),
        ("{{item}}", #"{"a":{"b":1},"name":"obj","list":[10,20]}"#),
        ("{{item.a}}", #"{"b":1}"#),
        ("{{item.a.b}}", "1"),
        ("{{item.list.1}}", "20"),
        ("{{quote}}", "it's \"quoted\" <b>"),
        ("{{number}}", "7"),
        ("{{flag}}", "true"),
        ("no tags at all", "no tags at all"),
        ("", ""),
        ("{ {single} }", "{ {single} }"),
        ("{{=inputs.parameters.msg}}", "hello"),
        ("{{= inputs.parameters.msg + '!' }}", "hello!"),
        ("{{=asInt(inputs.parameters.count) * 2}}", "6"),
        ("{{=inputs.parameters['my-param']}}", "dash"),
        ("{{=steps['a-b'].outputs.result}}", "ab"),
        ("{{=toJson({test: 1})}}", #"{"test":1}"#),
        ("{{=toJson({a: {b: 1}})}}", #"{"a":{"b":1}}"#),
        ("{{=[1, 2]}}", "[1,2]"),
        ("{{={'b': 1, 'a': 2}}}", #"{"a":2,"b":1}"#),
        ("{{=true == false}}", "false"),
        ("{{=1 + \n1}}", "2"),
        ("{{=10 / 4}}", "2.5"),
        ("{{=10 / 5}}", "2"),
        ("{{='}}'}}", "}}"),
        ("{{=\"'\"}}", "'"),
        ("{{=item.a.b + 1}}", "2"),
        ("{{=item.name}}", "flat-name"),
        ("{{=jsonpath(inputs.parameters.json, '$.a.b[1]')}}", "2"),
        ("{{=tasks.skipped.outputs.parameters.x ?? 'fallback'}}", "fallback"),
        ("{{=sprig.upper(workflow.parameters.p)}}", "V"),
        ("a {{=string(number)}} b", "a 7 b"),
        ("{{=quote}}", "it's \"quoted\" <b>"),
        ("{{=toJson(quote)}}", #""it's \"quoted\" \u003cb\u003e""#),
    ]

    @Test(arguments: cases)
    func substitutesTags(_ input: String, _ expected: String) throws {
        #expect(try Substitution.substitute(input, in: Self.scope, unresolved: .fail) == expected)
    }

    static let keptCases: [String] = [
        "{{inputs.parameters.missing}}",
        "{{ spaced.missing }}",
        "{{ .Values.image }}",
        "{{=missingName + 1}}",
        "{{=asInt(item2)}}",
        "prefix {{unknown}} suffix",
        "{{}}",
    ]

    @Test(arguments: keptCases)
    func keepPolicyLeavesUnknownTagsAsWritten(_ input: String) throws {
        #expect(try Substitution.substitute(input, in: Self.scope, unresolved: .keep) == input)
    }

    @Test(arguments: keptCases)
    func failPolicyRejectsUnknownTags(_ input: String) {
        #expect(throws: ExpressionError.self) {
            try Substitution.substitute(input, in: Self.scope, unresolved: .fail)
        }
    }

    @Test func failureNamesTheTagAndItsPosition() {
        let error = #expect(throws: ExpressionError.self) {
            try Substitution.substitute("echo {{inputs.parameters.nope}}", in: Self.scope, unresolved: .fail)
        }
        #expect(error?.position == 5)
        #expect(error?.message.contains("{{inputs.parameters.nope}}") == true)
        #expect(error?.code == .unresolvedVariable)
        #expect(error?.name == "inputs.parameters.nope")
    }

    @Test func keepStillResolvesKnownTags() throws {
        let text = "{{inputs.parameters.msg}} {{later.thing}} {{=inputs.parameters.msg}}"
        #expect(try Substitution.substitute(text, in: Self.scope, unresolved: .keep) == "hello {{later.thing}} hello")
    }

    @Test func strictPrefixesFailOnlyForThosePrefixes() throws {
        let policy = UnresolvedVariablePolicy.strict(prefixes: ["tasks", "inputs"])
        #expect(try Substitution.substitute("{{other.x}}", in: Self.scope, unresolved: policy) == "{{other.x}}")
        #expect(throws: ExpressionError.self) {
            try Substitution.substitute("{{tasks.B.outputs.result}}", in: Self.scope, unresolved: policy)
        }
        #expect(
            try Substitution.substitute("{{tasks.B.outputs.artifacts.art}}", in: Self.scope, unresolved: policy)
                == "{{tasks.B.outputs.artifacts.art}}")
        #expect(try Substitution.substitute("{{tasksX.y}}", in: Self.scope, unresolved: policy) == "{{tasksX.y}}")
    }

    @Test func absentOptionalFailsWhateverThePolicy() {
        for policy in [UnresolvedVariablePolicy.keep, .fail] {
            let error = #expect(throws: ExpressionError.self) {
                try Substitution.substitute(
                    "{{tasks.skipped.outputs.parameters.x}}", in: Self.scope, unresolved: policy)
            }
            #expect(error?.code == .absentValue)
        }
    }

    @Test func walksAShorterPrefixWhenTheLongestCannotBeWalked() throws {
        let scope = VariableScope(["item": ["a": ["b": 1]], "item.a": #"{"b":1}"#])
        #expect(try Substitution.substitute("{{item.a.b}}", in: scope, unresolved: .fail) == "1")
        #expect(try Substitution.substitute("{{item.a}}", in: scope, unresolved: .fail) == #"{"b":1}"#)
    }

    @Test func nestedTagResolvesInnerNameFirst() throws {
        let scope = VariableScope(["inner": "suffix", "outer-suffix": "final"])
        let once = try Substitution.substitute("{{outer-{{inner}}}}", in: scope, unresolved: .keep)
        #expect(once == "{{outer-suffix}}")
        #expect(try Substitution.substitute(once, in: scope, unresolved: .fail) == "final")
    }

    @Test func unterminatedTagIsKeptOrRejected() throws {
        #expect(try Substitution.substitute("a {{b", in: Self.scope, unresolved: .keep) == "a {{b")
        let error = #expect(throws: ExpressionError.self) {
            try Substitution.substitute("a {{b", in: Self.scope, unresolved: .fail)
        }
        #expect(error?.position == 2)
    }

    @Test func expressionErrorPositionPointsIntoTheText() {
        let error = #expect(throws: ExpressionError.self) {
            try Substitution.substitute("ab {{=1 +}}", in: Self.scope, unresolved: .fail)
        }
        #expect(error?.position == 9)
        #expect(error?.code == .syntax)
    }

    @Test func nilExpressionResultFailsUnderFail() {
        #expect(throws: ExpressionError.self) {
            try Substitution.substitute("{{=nil}}", in: Self.scope, unresolved: .fail)
        }
    }

    @Test func nonASCIITextKeepsCharacterPositions() throws {
        #expect(
            try Substitution.substitute("héllo {{workflow.name}} ✔", in: Self.scope, unresolved: .fail)
                == "héllo wf-1 ✔")
        let error = #expect(throws: ExpressionError.self) {
            try Substitution.substitute("é✔ {{nope}}", in: Self.scope, unresolved: .fail)
        }
        #expect(error?.position == 3)
    }

    @Test func referencedNamesListsSimpleTagsOnce() {
        let text = "{{a.b}} {{ c }} {{=d + 1}} {{a.b}} {{x-{{inner}}}}"
        #expect(Substitution.referencedNames(in: text) == ["a.b", "c", "inner"])
        #expect(Substitution.expressionTags(in: text) == ["d + 1"])
    }
}
