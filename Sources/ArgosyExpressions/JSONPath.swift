import ArgosyModel

/// A practical JSONPath, as Argo's `jsonpath(json, path)` uses it: `$.a.b`, `$['a-b']`, `$.a[0]`, `$.a[-1]`,
/// `$.a[*].b`, `$..b`, `$.a[0,2]`, `$.a[1:3]`, `$.a[?(@.x > 1)]` (filters are expr-lang with `@` for the element).
///
/// A definite path (names and single indexes only) yields the value itself and fails when it is missing; any other
/// path yields the list of matches, possibly empty.
struct JSONPath {
    indirect enum Segment {
        case names([String])
        case wildcard
        case indexes([Int])
        case slice(Int?, Int?, Int)
        case filter(ExprNode, source: String)
        case recursive(Segment)
    }

    let segments: [Segment]
    let context: CallContext

    init(_ path: String, context: CallContext) throws(ExpressionError) {
        self.context = context
        var text = path.trimmingWhitespace()
        if !text.hasPrefix("$") { text = text.hasPrefix(".") || text.hasPrefix("[") ? "$" + text : "$." + text }
        var parser = JSONPathParser(chars: Array(text.dropFirst()), context: context, path: path)
        segments = try parser.parseSegments()
    }

    var isDefinite: Bool {
        segments.allSatisfy { segment in
            switch segment {
            case .names(let n): return n.count == 1
            case .indexes(let i): return i.count == 1
            default: return false
            }
        }
    }

    func evaluate(on document: JSONValue) throws(ExpressionError) -> JSONValue {
        var current = [document]
        let definite = isDefinite
        for segment in segments {
            var next: [JSONValue] = []
            for value in current { try apply(segment, to: value, root: document, definite: definite, into: &next) }
            current = next
        }
        if definite { return current.first ?? .null }
        return .array(current)
    }

    private func apply(
        _ segment: Segment, to value: JSONValue, root: JSONValue, definite: Bool, into out: inout [JSONValue]
    ) throws(ExpressionError) {
        switch segment {
        case .names(let names):
            for name in names {
                if let v = value[name] {
                    out.append(v)
                } else if definite {
                    throw context.error("key '\(name)' not found")
                }
            }
        case .wildcard:
            if case .array(let a) = value { out += a }
            if case .object(let o) = value { out += o.values }
        case .indexes(let indexes):
            guard case .array(let a) = value else {
                if definite { throw context.error("cannot index \(ExprInterpreter.typeName(value))") }
                return
            }
            for i in indexes {
                let at = i < 0 ? a.count + i : i
                if a.indices.contains(at) {
                    out.append(a[at])
                } else if definite {
                    throw context.error("index \(i) out of range (length \(a.count))")
                }
            }
        case .slice(let from, let to, let step):
            guard case .array(let a) = value, step > 0 else { return }
            func clamp(_ i: Int) -> Int { min(max(i < 0 ? a.count + i : i, 0), a.count) }
            let lower = clamp(from ?? 0)
            let upper = clamp(to ?? a.count)
            if lower < upper { out += stride(from: lower, to: upper, by: step).map { a[$0] } }
        case .filter(let body, let source):
            let items: [JSONValue] = value.arrayValue ?? value.objectValue.map { Array($0.values) } ?? []
            for (i, item) in items.enumerated() {
                var interpreter = ExprInterpreter(source: source, scope: VariableScope())
                interpreter.locals["$"] = root
                interpreter.frames = [ExprInterpreter.Frame(element: item, index: i)]
                if (try? interpreter.eval(body)) == .bool(true) { out.append(item) }
            }
        case .recursive(let inner):
            var stack = [value]
            while let node = stack.popLast() {
                var found: [JSONValue] = []
                try apply(inner, to: node, root: root, definite: false, into: &found)
                out += found
                if case .array(let a) = node { stack += a.reversed() }
                if case .object(let o) = node { stack += o.values.reversed() }
            }
        }
    }
}

/// Reads the segments of a JSONPath after its leading `$`.
struct JSONPathParser {
    let chars: [Character]
    let context: CallContext
    let path: String
    var index = 0

    init(chars: [Character], context: CallContext, path: String) {
        self.chars = chars
        self.context = context
        self.path = path
    }

    func error(_ message: String) -> ExpressionError { context.error("jsonpath '\(path)': \(message)", code: .syntax) }

    mutating func parseSegments() throws(ExpressionError) -> [JSONPath.Segment] {
        var segments: [JSONPath.Segment] = []
        while index < chars.count {
            if chars[index] == ".", index + 1 < chars.count, chars[index + 1] == "." {
                index += 2
                let inner = index < chars.count && chars[index] == "[" ? try bracket() : try dotted()
                segments.append(.recursive(inner))
            } else if chars[index] == "." {
                index += 1
                segments.append(try dotted())
            } else if chars[index] == "[" {
                segments.append(try bracket())
            } else {
                throw error("unexpected '\(chars[index])' at \(index + 1)")
            }
        }
        return segments
    }

    private mutating func dotted() throws(ExpressionError) -> JSONPath.Segment {
        let start = index
        while index < chars.count, chars[index] != ".", chars[index] != "[" { index += 1 }
        let name = String(chars[start..<index])
        guard !name.isEmpty else { throw error("expected a name at \(start + 1)") }
        return name == "*" ? .wildcard : .names([name])
    }

    private mutating func bracket() throws(ExpressionError) -> JSONPath.Segment {
        let start = index + 1
        var depth = 0
        var quote: Character? = nil
        var end = start
        while end < chars.count {
            let c = chars[end]
            if let q = quote {
                if c == "\\" { end += 1 } else if c == q { quote = nil }
            } else if c == "'" || c == "\"" {
                quote = c
            } else if c == "(" || c == "[" {
                depth += 1
            } else if c == ")" || c == "]" {
                if c == "]", depth == 0 { break }
                depth -= 1
            }
            end += 1
        }
        guard end < chars.count else { throw error("missing ']'") }
        let body = String(chars[start..<end]).trimmingWhitespace()
        index = end + 1
        if body == "*" { return .wildcard }
        if body.hasPrefix("?") {
            var expression = body.dropFirst().trimmingWhitespace()
            if expression.hasPrefix("("), expression.hasSuffix(")") {
                expression = String(expression.dropFirst().dropLast())
            }
            do throws(ExpressionError) {
                return .filter(try ExprParser.parseClosureBody(expression), source: expression)
            } catch {
                throw self.error("bad filter: \(error.message)")
            }
        }
        let parts = splitTopLevel(body)
        if parts.allSatisfy({ $0.hasPrefix("'") || $0.hasPrefix("\"") }) {
            return .names(parts.map { String($0.dropFirst().dropLast()) })
        }
        if body.contains(":") {
            let bounds = body.split(separator: ":", omittingEmptySubsequences: false).map { $0.trimmingWhitespace() }
            guard bounds.count <= 3 else { throw error("bad slice '\(body)'") }
            func bound(_ i: Int) throws(ExpressionError) -> Int? {
                guard i < bounds.count, !bounds[i].isEmpty else { return nil }
                guard let v = Int(bounds[i]) else { throw error("bad slice bound '\(bounds[i])'") }
                return v
            }
            return .slice(try bound(0), try bound(1), try bound(2) ?? 1)
        }
        var indexes: [Int] = []
        for part in parts {
            guard let i = Int(part) else { throw error("bad index '\(part)'") }
            indexes.append(i)
        }
        return .indexes(indexes)
    }

    private func splitTopLevel(_ body: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var quote: Character? = nil
        for c in body {
            if let q = quote {
                if c == q { quote = nil }
                current.append(c)
            } else if c == "'" || c == "\"" {
                quote = c
                current.append(c)
            } else if c == "," {
                parts.append(current.trimmingWhitespace())
                current = ""
            } else {
                current.append(c)
            }
        }
        parts.append(current.trimmingWhitespace())
        return parts
    }
}
