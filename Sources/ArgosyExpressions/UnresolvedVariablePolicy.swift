/// What to do with a `{{name}}` tag whose name is not in the scope.
///
/// The same policy governs `{{=expr}}` tags that cannot be evaluated yet: `.keep` leaves them as written,
/// `.fail` throws, and `.strict` throws only when the missing name starts with one of the given prefixes.
public enum UnresolvedVariablePolicy: Sendable, Hashable {
    /// Throw an ``ExpressionError`` naming the tag.
    case fail
    /// Leave the tag exactly as written, for a later pass.
    case keep
    /// Argo's "strict prefixes": a tag whose name is one of these prefixes or starts with one followed by a dot
    /// (`"tasks"` matches `tasks.A.outputs.result`) must resolve; other unknown tags are kept. Output artifacts
    /// (`….outputs.artifacts.…`) are always kept, since artifact resolution handles them (and `optional: true`).
    case strict(prefixes: [String])

    /// Whether a missing `name` must be reported rather than kept.
    func mustResolve(_ name: String) -> Bool {
        switch self {
        case .fail: return true
        case .keep: return false
        case .strict(let prefixes):
            if name.contains(".outputs.artifacts.") { return false }
            return prefixes.contains { name == $0 || name.hasPrefix($0 + ".") }
        }
    }
}
