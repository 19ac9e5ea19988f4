/// An enhanced `depends` expression: task names (may contain '-' and digits), optional `.Succeeded`,
/// `.Failed`, `.Errored`, `.Skipped`, `.Omitted`, `.Daemoned`, `.AnySucceeded`, `.AllFailed`; `&&`, `||`, `!`, parentheses.
///
/// A bare name `A` means `(A.Succeeded || A.Skipped || A.Daemoned)`, widened by the task's `continueOn`
/// (see ``TaskOutcome``). `!` binds tightest, then `&&`, then `||`.
public struct DependsExpression: Sendable, CustomStringConvertible {
    /// A task result that can follow a name.
    enum Result: String, Sendable, CaseIterable {
        case succeeded = "Succeeded", failed = "Failed", errored = "Errored", skipped = "Skipped"
        case omitted = "Omitted", daemoned = "Daemoned", anySucceeded = "AnySucceeded", allFailed = "AllFailed"
    }

    indirect enum Node: Sendable {
        case task(String, Result?)
        case not(Node)
        case and(Node, Node)
        case or(Node, Node)
    }

    /// The text this expression was parsed from.
    public let source: String
    let root: Node

    /// Parses `source`. Throws an ``ExpressionError`` with the position of a bad token or an unknown task result.
    public init(_ source: String) throws(ExpressionError) {
        self.source = source
        var parser = DependsParser(source: source)
        root = try parser.parse()
    }

    /// The `depends` equivalent of the older `dependencies: [A, B]` list: `A && B`.
    public init(dependencies: [String]) throws(ExpressionError) {
        try self.init(dependencies.joined(separator: " && "))
    }

    /// Task names referenced, in first-seen order.
    public var taskNames: [String] {
        var names: [String] = []
        func walk(_ node: Node) {
            switch node {
            case .task(let name, _): if !names.contains(name) { names.append(name) }
            case .not(let n): walk(n)
            case .and(let l, let r), .or(let l, let r):
                walk(l)
                walk(r)
            }
        }
        walk(root)
        return names
    }

    /// Task names referenced with `.AnySucceeded` or `.AllFailed`, which must be loops (for lint).
    public var loopTaskNames: [String] {
        var names: [String] = []
        func walk(_ node: Node) {
            switch node {
            case .task(let name, let result):
                if result == .anySucceeded || result == .allFailed, !names.contains(name) { names.append(name) }
            case .not(let n): walk(n)
            case .and(let l, let r), .or(let l, let r):
                walk(l)
                walk(r)
            }
        }
        walk(root)
        return names
    }

    /// Evaluates given each referenced task's result.
    public func evaluate(_ result: (String) -> TaskOutcome) -> Bool {
        func eval(_ node: Node) -> Bool {
            switch node {
            case .task(let name, nil): return result(name).satisfiesBareReference
            case .task(let name, let r?): return result(name).has(r)
            case .not(let n): return !eval(n)
            case .and(let l, let r): return eval(l) && eval(r)
            case .or(let l, let r): return eval(l) || eval(r)
            }
        }
        return eval(root)
    }

    /// The expression fully parenthesised, bare names expanded: `((A.Succeeded || A.Skipped || A.Daemoned) && B.Failed)`.
    public var description: String {
        func show(_ node: Node) -> String {
            switch node {
            case .task(let name, nil): return "(\(name).Succeeded || \(name).Skipped || \(name).Daemoned)"
            case .task(let name, let r?): return "\(name).\(r.rawValue)"
            case .not(let n): return "!\(show(n))"
            case .and(let l, let r): return "(\(show(l)) && \(show(r)))"
            case .or(let l, let r): return "(\(show(l)) || \(show(r)))"
            }
        }
        return show(root)
    }
}
