import ArgosyModel
import Foundation

extension SprigFunctions {
    /// sprig's list, dict, split, regex and encoding functions.
    static func collections(_ name: String, _ c: CallContext) throws(ExpressionError) -> JSONValue? {
        switch name {
        case "list": return .array(c.args)
        case "first", "last", "rest", "initial", "reverse", "uniq", "compact", "sortAlpha", "toStrings":
            try c.arity(1)
            let items = list(c.args[0])
            switch name {
            case "first": return items.first ?? .null
            case "last": return items.last ?? .null
            case "rest": return .array(Array(items.dropFirst()))
            case "initial": return .array(Array(items.dropLast()))
            case "reverse": return .array(items.reversed())
            case "uniq":
                var out: [JSONValue] = []
                for item in items where !out.contains(where: { ExprInterpreter.equal($0, item) }) { out.append(item) }
                return .array(out)
            case "compact": return .array(items.filter { !$0.isEmptyValue })
            case "sortAlpha": return .array(items.map(strval).sorted().map { .string($0) })
            default: return .array(items.filter { !$0.isNull }.map { .string(strval($0)) })
            }
        case "append", "prepend":
            try c.arity(2)
            let items = list(c.args[0])
            return .array(name == "append" ? items + [c.args[1]] : [c.args[1]] + items)
        case "concat":
            return .array(c.args.flatMap(list))
        case "has":
            try c.arity(2)
            return .bool(list(c.args[1]).contains { ExprInterpreter.equal($0, c.args[0]) })
        case "without":
            try c.arity(1...Int.max)
            let drop = c.args.dropFirst()
            return .array(list(c.args[0]).filter { item in !drop.contains { ExprInterpreter.equal($0, item) } })
        case "slice":
            try c.arity(1...3)
            let items = list(c.args[0])
            let lower = c.args.count > 1 ? min(max(0, toInt64(c.args[1])), items.count) : 0
            let upper = c.args.count > 2 ? min(max(lower, toInt64(c.args[2])), items.count) : items.count
            return .array(Array(items[lower..<upper]))
        case "join":
            try c.arity(2)
            return .string(list(c.args[1]).filter { !$0.isNull }.map(strval).joined(separator: strval(c.args[0])))
        case "split", "splitList", "splitn":
            try c.arity(name == "splitn" ? 3 : 2)
            let limit = name == "splitn" ? toInt64(c.args[1]) : -1
            let parts = Builtins.goSplit(
                strval(c.args.last ?? .null), separator: strval(c.args[0]), limit: limit, keep: false)
            if name == "splitList" { return .array(parts.map { .string($0) }) }
            return .object(pairs: parts.enumerated().map { ("_\($0.offset)", .string($0.element)) })
        case "until":
            try c.arity(1)
            let n = toInt64(c.args[0])
            guard n <= 1_000_000 else { throw c.error("count too large") }
            return .array(n > 0 ? (0..<n).map { .int($0) } : [])
        case "dict":
            var pairs: [(String, JSONValue)] = []
            var i = 0
            while i < c.args.count {
                pairs.append((strval(c.args[i]), i + 1 < c.args.count ? c.args[i + 1] : .string("")))
                i += 2
            }
            return .object(pairs: pairs)
        case "get", "hasKey":
            try c.arity(2)
            let value = c.args[0][strval(c.args[1])]
            return name == "get" ? value ?? .string("") : .bool(value != nil)
        case "keys":
            return .array(c.args.flatMap { ($0.objectValue?.keys).map(Array.init) ?? [] }.map { .string($0) })
        case "values":
            try c.arity(1)
            return .array(c.args[0].objectValue.map { Array($0.values) } ?? [])
        case "pick", "omit":
            try c.arity(1...Int.max)
            let names = Set(c.args.dropFirst().map(strval))
            let entries = try c.entries(0).filter { names.contains($0.key) == (name == "pick") }
            return .object(pairs: entries.map { ($0.key, $0.value) })
        case "b64enc":
            try c.arity(1)
            return .string(Data(strval(c.args[0]).utf8).base64EncodedString())
        case "b64dec":
            try c.arity(1)
            guard let data = Data(base64Encoded: strval(c.args[0])) else { return .string("illegal base64 data") }
            return .string(String(decoding: data, as: UTF8.self))
        case "toJson", "toPrettyJson", "toRawJson":
            try c.arity(1)
            return .string(GoText.json(c.args[0], pretty: name == "toPrettyJson"))
        case "fromJson", "mustFromJson":
            try c.arity(1)
            do {
                return try JSONValue.parse(strval(c.args[0]))
            } catch {
                if name == "fromJson" { return .null }
                throw c.error("invalid JSON: \(error.message)")
            }
        case "regexMatch", "regexFind", "regexFindAll", "regexReplaceAll", "regexReplaceAllLiteral", "regexSplit":
            return try regex(name, c)
        default:
            if let result = try dates(name, c) { return result }
            return try extras(name, c)
        }
    }

    /// A list argument: lists as they are, nil as empty, anything else as a one-element list.
    static func list(_ v: JSONValue) -> [JSONValue] {
        switch v {
        case .array(let a): return a
        case .null: return []
        default: return [v]
        }
    }

    private static func regex(_ name: String, _ c: CallContext) throws(ExpressionError) -> JSONValue {
        try c.arity(name == "regexMatch" || name == "regexFind" ? 2 : 3)
        let pattern = strval(c.args[0])
        let subject = strval(c.args[1])
        let matcher: RegexMatcher
        do {
            matcher = try RegexMatcher(pattern)
        } catch {
            throw c.error("invalid regular expression '\(pattern)'")
        }
        let range = NSRange(subject.startIndex..., in: subject)
        func text(_ r: NSRange) -> String { Range(r, in: subject).map { String(subject[$0]) } ?? "" }
        switch name {
        case "regexMatch": return .bool(matcher.firstMatch(in: subject) != nil)
        case "regexFind": return .string(matcher.firstMatch(in: subject).map { text($0.range) } ?? "")
        case "regexFindAll":
            let limit = toInt64(c.args[2])
            let matches = matcher.expression.matches(in: subject, range: range).map { JSONValue.string(text($0.range)) }
            return .array(limit < 0 ? matches : Array(matches.prefix(limit)))
        case "regexReplaceAll": return .string(matcher.replaceAll(in: subject, with: strval(c.args[2])))
        case "regexReplaceAllLiteral":
            let template = NSRegularExpression.escapedTemplate(for: strval(c.args[2]))
            return .string(
                matcher.expression.stringByReplacingMatches(in: subject, range: range, withTemplate: template))
        default:
            let limit = toInt64(c.args[2])
            var parts: [JSONValue] = []
            var last = subject.startIndex
            for match in matcher.expression.matches(in: subject, range: range) {
                if limit > 0, parts.count == limit - 1 { break }
                guard let r = Range(match.range, in: subject) else { continue }
                parts.append(.string(String(subject[last..<r.lowerBound])))
                last = r.upperBound
            }
            parts.append(.string(String(subject[last...])))
            return .array(limit == 0 ? [] : parts)
        }
    }
}
