import ArgosyExpressions
import Testing

@Suite struct DependsExpressionTests {
    typealias Phase = TaskOutcome.Phase

    static let outcomes: [String: TaskOutcome] = [
        "A": TaskOutcome(phase: .succeeded),
        "B": TaskOutcome(phase: .failed),
        "C": TaskOutcome(phase: .skipped),
        "task-2": TaskOutcome(phase: .errored),
        "task3": TaskOutcome(phase: .omitted),
        "d": TaskOutcome(phase: .daemoned),
        "loop-any": TaskOutcome(phase: .failed, childPhases: [.failed, .succeeded]),
        "loop-all": TaskOutcome(phase: .failed, childPhases: [.failed, .failed]),
        "loop-none": TaskOutcome(phase: .succeeded, childPhases: []),
        "cont": TaskOutcome(phase: .failed, continueOnFailed: true, continueOnError: false),
        "cont-err": TaskOutcome(phase: .errored, continueOnFailed: true, continueOnError: false),
        "cont-err2": TaskOutcome(phase: .errored, continueOnFailed: false, continueOnError: true),
    ]

    static func evaluate(_ source: String) throws -> Bool {
        try DependsExpression(source).evaluate { outcomes[$0] ?? TaskOutcome(phase: .omitted) }
    }

    static let cases: [(String, Bool)] = [
        ("A", true), ("B", false), ("C", true), ("d", true), ("task-2", false), ("task3", false),
        ("A.Succeeded", true), ("A.Failed", false), ("B.Failed", true), ("C.Skipped", true), ("task-2.Errored", true),
        ("task3.Omitted", true), ("d.Daemoned", true), ("A.Daemoned", false), ("A && B", false), ("A || B", true),
        ("!B", true), ("!A", false), ("A && !B.Succeeded", true), ("(A || B) && C", true), ("A || B && task3", true),
        ("(A || B) && task3", false), ("!(A && B)", true), ("!!A", true), ("task || task-2.Errored", true),
        ("(task-2.Succeeded || task-2.Skipped) && !task3.Failed", false), ("loop-any.AnySucceeded", true),
        ("loop-all.AnySucceeded", false), ("loop-all.AllFailed", true), ("loop-any.AllFailed", false),
        ("loop-none.AllFailed", false), ("A.AnySucceeded", false), ("cont", true), ("cont-err", false),
        ("cont-err2", true), ("  A   &&(C)  ", true), ("A&&C", true),
    ]

    @Test(arguments: cases)
    func evaluatesEnhancedDepends(_ source: String, _ expected: Bool) throws {
        #expect(try Self.evaluate(source) == expected)
    }

    @Test func listsTaskNamesInFirstSeenOrder() throws {
        let depends = try DependsExpression("(task-2.Succeeded || B) && !task-2.Failed && loop-any.AnySucceeded && A")
        #expect(depends.taskNames == ["task-2", "B", "loop-any", "A"])
        #expect(depends.loopTaskNames == ["loop-any"])
    }

    @Test func bareNameExpandsAsArgoDocuments() throws {
        #expect(
            try DependsExpression("task || task-2.Failed").description
                == "((task.Succeeded || task.Skipped || task.Daemoned) || task-2.Failed)")
    }

    @Test func dependenciesListMeansAllSucceeded() throws {
        let depends = try DependsExpression(dependencies: ["A", "C"])
        #expect(depends.evaluate { Self.outcomes[$0] ?? TaskOutcome(phase: .failed) })
        #expect(
            try !DependsExpression(dependencies: ["A", "B"]).evaluate {
                Self.outcomes[$0] ?? TaskOutcome(phase: .failed)
            })
    }

    static let errors: [(String, Int, String)] = [
        ("", 0, "empty depends"), ("A.Bogus", 2, "task result 'Bogus' for task 'A' is invalid"),
        ("A &&", 4, "expected a task name"),
        ("(A || B", 7, "expected ')'"), ("A B", 2, "unexpected 'B'"), ("A & B", 2, "unexpected '&'"),
        ("-A", 0, "expected a task name"),
        ("A.succeeded", 2, "is invalid"),
    ]

    @Test(arguments: errors)
    func rejectsBadExpressions(_ source: String, _ position: Int, _ fragment: String) {
        let error = #expect(throws: ExpressionError.self) { try DependsExpression(source) }
        #expect(error?.position == position, "\(error?.description ?? "")")
        #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "")")
    }
}
