import ArgosyModel
import Foundation

/// Argo's `{{…}}` template replacement.
///
/// Behaviour follows Argo's `util/template`: a tag runs from `{{` to the first following `}}`; a tag whose text starts
/// with `=` is an expression. Differences, chosen for what a user expects:
/// - The end of an expression tag skips `}}` inside string literals and balanced braces, so
///   `{{=toJson({a: {b: 1}})}}` works (Argo cuts it at the first `}}` and fails).
/// - Text is substituted as is, not as JSON-escaped text: values are inserted raw, not JSON-string-escaped.
/// - Expression results that are objects or lists are inserted as Go's `json.Marshal` writes them (keys sorted).
public enum Substitution {
    /// Replaces every `{{ name }}` (whitespace inside braces allowed) and `{{=expr}}` tag in `text`.
    /// Simple tags look the full name up in scope.values and insert value.parameterString.
    /// `{{=expr}}` evaluates with `Expression` and inserts the result as Argo does (strings raw, other values as JSON).
    /// Unknown simple names: .fail throws ExpressionError naming the tag, .keep leaves the tag as written.
    ///
    /// A name missing from `values` falls back to walking into an object or list held by a dotted prefix
    /// (`{{item.a.b}}` with `item = {"a":{"b":1}}`). A null value is an absent optional (a skipped node's output
    /// with no default) and throws whatever the policy, as in Argo. A nested tag such as `{{outer-{{inner}}}}`
    /// resolves its inner name in one pass, leaving `{{outer-value}}` for the next.
    public static func substitute(
        _ text: String, in scope: VariableScope, unresolved: UnresolvedVariablePolicy
    ) throws(ExpressionError) -> String {
        let bytes = Array(text.utf8)
        guard bytes.count >= 4, text.contains("{{") else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var literalStart = 0
        var i = 0
        while i + 1 < bytes.count {
            guard bytes[i] == openBrace, bytes[i + 1] == openBrace else {
                i += 1
                continue
            }
            let contentStart = i + 2
            let isExpression = contentStart < bytes.count && bytes[contentStart] == equals
            let end =
                isExpression
                ? (TagScanner.expressionEnd(bytes, from: contentStart + 1)
                    ?? TagScanner.closing(bytes, from: contentStart))
                : TagScanner.closing(bytes, from: contentStart)
            guard let end else {
                if unresolved == .keep { break }
                throw ExpressionError(
                    expression: text, position: characterOffset(bytes, i), message: "unterminated tag: missing '}}'",
                    code: .syntax)
            }
            out.append(contentsOf: bytes[literalStart..<i])
            let tag = String(decoding: bytes[contentStart..<end], as: UTF8.self)
            let tagText = String(decoding: bytes[i..<end + 2], as: UTF8.self)
            if isExpression {
                try replaceExpression(
                    String(tag.dropFirst()), tagText: tagText, scope: scope, policy: unresolved, into: &out,
                    text: text, tagOffset: { characterOffset(bytes, i) })
            } else {
                try replaceSimple(
                    tag, tagText: tagText, scope: scope, policy: unresolved, into: &out, text: text,
                    tagOffset: { characterOffset(bytes, i) })
            }
            i = end + 2
            literalStart = i
        }
        out.append(contentsOf: bytes[literalStart...])
        return String(decoding: out, as: UTF8.self)
    }

    /// The variable names referenced by simple tags in text (for lint and dependency checks).
    ///
    /// Names are trimmed, listed once each in first-seen order; expression tags are not included (see
    /// ``Expression/referencedNames``). For a nested tag `{{a-{{b}}}}` the inner name `b` is listed.
    public static func referencedNames(in text: String) -> [String] {
        var names: [String] = []
        var seen: Set<String> = []
        for tag in TagScanner.tags(in: text) where !tag.isExpression {
            var name = tag.content.trimmingWhitespace()
            if let nested = tag.content.range(of: "{{", options: .backwards), nested.lowerBound > tag.content.startIndex
            {
                name = String(tag.content[nested.upperBound...])
            }
            if seen.insert(name).inserted { names.append(name) }
        }
        return names
    }

    /// The expression sources of every `{{=…}}` tag in `text`, in order.
    public static func expressionTags(in text: String) -> [String] {
        TagScanner.tags(in: text).filter(\.isExpression).map { String($0.content.dropFirst()) }
    }

    private static func replaceSimple(
        _ tag: String, tagText: String, scope: VariableScope, policy: UnresolvedVariablePolicy,
        into out: inout [UInt8], text: String, tagOffset: () -> Int
    ) throws(ExpressionError) {
        let name = tag.trimmingWhitespace()
        if let value = scope.lookupFlat(name) {
            if value.isNull {
                throw ExpressionError(
                    expression: text, position: tagOffset(),
                    message:
                        "unable to substitute \(tagText): '\(name)' is an absent optional (skipped or omitted node "
                        + "output with no default)", code: .absentValue, name: name)
            }
            out.append(contentsOf: value.parameterString.utf8)
            return
        }
        // Argo resolves the innermost tag of `{{outer-{{inner}}}}` and leaves the rest for a later pass.
        if let nested = tag.range(of: "{{", options: .backwards), nested.lowerBound > tag.startIndex {
            let inner = String(tag[nested.upperBound...])
            if let value = scope.values[inner] {
                if value.isNull {
                    throw ExpressionError(
                        expression: text, position: tagOffset(),
                        message: "unable to substitute nested tag \(tagText): '\(inner)' is an absent optional",
                        code: .absentValue, name: inner)
                }
                out.append(contentsOf: ("{{" + tag[..<nested.lowerBound] + value.parameterString).utf8)
                return
            }
        }
        if policy.mustResolve(name) {
            throw ExpressionError(
                expression: text, position: tagOffset(), message: "failed to resolve \(tagText)",
                code: .unresolvedVariable, name: name)
        }
        out.append(contentsOf: tagText.utf8)
    }

    private static func replaceExpression(
        _ source: String, tagText: String, scope: VariableScope, policy: UnresolvedVariablePolicy,
        into out: inout [UInt8], text: String, tagOffset: () -> Int
    ) throws(ExpressionError) {
        let result: JSONValue
        do {
            result = try Expression(source).evaluate(in: scope)
        } catch {
            let mustReport: Bool
            switch policy {
            case .fail: mustReport = true
            case .keep: mustReport = false
            case .strict:
                mustReport = error.code != .unknownName || policy.mustResolve(error.name ?? "")
            }
            if !mustReport {
                out.append(contentsOf: tagText.utf8)
                return
            }
            throw error.rebased(into: text, at: tagOffset() + 3)
        }
        switch result {
        case .null:
            if policy == .keep {
                out.append(contentsOf: tagText.utf8)
                return
            }
            throw ExpressionError(
                expression: text, position: tagOffset(), message: "expression \(tagText) evaluated to nil",
                code: .absentValue)
        case .string(let s):
            out.append(contentsOf: s.utf8)
        case .double(let d) where !d.isFinite:
            throw ExpressionError(
                expression: text, position: tagOffset(),
                message: "expression \(tagText) evaluated to \(GoText.float(d, json: false)), which has no JSON form",
                code: .evaluation)
        default:
            out.append(contentsOf: GoText.json(result).utf8)
        }
    }

    private static let openBrace = UInt8(ascii: "{")
    private static let equals = UInt8(ascii: "=")

    private static func characterOffset(_ bytes: [UInt8], _ byteIndex: Int) -> Int {
        String(decoding: bytes[..<byteIndex], as: UTF8.self).count
    }
}
