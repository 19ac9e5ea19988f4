import Foundation
import OrderedCollections
import Yams

/// One YAML or JSON document of a manifest file, with the source position of every field.
public struct ManifestDocument: Sendable {
    public var value: JSONValue
    public var file: String
    /// Where each field's key (or list item) starts in the file.
    public var locations: [FieldPath: SourceLocation]

    public init(value: JSONValue, file: String, locations: [FieldPath: SourceLocation] = [:]) {
        self.value = value
        self.file = file
        self.locations = locations
    }

    /// The location of `path`, or of its nearest ancestor that has one.
    public func location(of path: FieldPath) -> SourceLocation? {
        var p = path
        while true {
            if let l = locations[p] { return l }
            if p.components.isEmpty { return nil }
            p.components.removeLast()
        }
    }

    /// The most documents one file or request may hold.
    public static let maxDocuments = 10_000
    /// The deepest nesting of lists and mappings a document may have.
    public static let maxDepth = 200

    /// Parses every document in `text` (YAML 1.1 scalars as Kubernetes reads them; JSON is YAML too).
    /// Empty documents are skipped. Throws an ``ArgosyError`` with the line and column of a syntax error, and
    /// refuses documents that nest deeper than ``maxDepth``, files of more than ``maxDocuments`` documents and
    /// aliases that would expand to far more values than the text holds (a "billion laughs" bomb).
    public static func parseAll(_ text: String, file: String) throws(ArgosyError) -> [ManifestDocument] {
        if let at = NestingScan.firstTooDeep(text, limit: maxDepth) {
            throw ArgosyError(
                .invalid, "document nested more than \(maxDepth) levels deep",
                at: SourceLocation(file: file, line: at.line, column: at.column))
        }
        do {
            var documents: [ManifestDocument] = []
            var nodes = try Yams.compose_all(yaml: text, .basic)
            // Without aliases a document has at most about one value per character of its text.
            var budget = 2 * text.utf8.count + 1_000
            var count = 0
            while let node = nodes.next() {
                count += 1
                var builder = Builder(file: file, budget: budget)
                if count > maxDocuments {
                    throw ArgosyError(
                        .invalid, "more than \(maxDocuments) documents in one file", at: builder.place(node))
                }
                // Findings about the document as a whole point at its start.
                builder.record(FieldPath(), node.mark)
                let value = try builder.convert(node, path: FieldPath())
                budget = builder.budget
                if value.isNull { continue }
                documents.append(ManifestDocument(value: value, file: file, locations: builder.locations))
            }
            if let error = nodes.error { throw error }
            return documents
        } catch let error as ArgosyError {
            throw error
        } catch let error as YamlError {
            throw Self.describe(error, file: file)
        } catch {
            throw ArgosyError(.invalid, "cannot parse: \(error)", at: SourceLocation(file: file, line: 1, column: 1))
        }
    }

    private static func describe(_ error: YamlError, file: String) -> ArgosyError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _):
            let what = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
            return ArgosyError(
                .invalid, "invalid YAML: \(what)", at: SourceLocation(file: file, line: mark.line, column: mark.column))
        default:
            return ArgosyError(.invalid, "invalid YAML: \(error)", at: SourceLocation(file: file, line: 1, column: 1))
        }
    }

    private struct Builder {
        let file: String
        /// Values left to make: aliases repeat what they name, and past this the document is refused.
        var budget: Int
        var locations: [FieldPath: SourceLocation] = [:]
        var depth = 0

        init(file: String, budget: Int) {
            self.file = file
            self.budget = budget
        }

        mutating func record(_ path: FieldPath, _ mark: Mark?) {
            guard let mark else { return }
            locations[path] = SourceLocation(file: file, line: mark.line, column: mark.column)
        }

        func place(_ node: Node) -> SourceLocation? {
            node.mark.map { SourceLocation(file: file, line: $0.line, column: $0.column) }
        }

        mutating func convert(_ node: Node, path: FieldPath) throws -> JSONValue {
            depth += 1
            defer { depth -= 1 }
            if depth > ManifestDocument.maxDepth {
                throw ArgosyError(.invalid, "\(path): document nested too deeply", at: place(node))
            }
            budget -= 1
            if budget < 0 {
                throw ArgosyError(
                    .invalid, "\(path): YAML aliases expand to far more values than the text holds (an alias bomb?)",
                    at: place(node))
            }
            switch node {
            case .scalar(let scalar):
                let value = Self.resolve(scalar)
                if case .double(let d) = value, !d.isFinite {
                    throw ArgosyError(.invalid, "\(path): number '\(scalar.string)' is out of range", at: place(node))
                }
                return value
            case .sequence(let seq):
                var out: [JSONValue] = []
                out.reserveCapacity(seq.count)
                for (i, item) in seq.enumerated() {
                    let p = path.appending(i)
                    record(p, item.mark)
                    out.append(try convert(item, path: p))
                }
                return .array(out)
            case .mapping(let mapping):
                var out = OrderedDictionary<String, JSONValue>()
                for (k, v) in mapping {
                    if k.string == "<<" {
                        // A merge key: fold the referenced mapping(s) in without overriding explicit keys.
                        let merged = try convert(v, path: path)
                        for m in (merged.arrayValue ?? [merged]) {
                            for (mk, mv) in m.objectValue ?? [:] where out[mk] == nil { out[mk] = mv }
                        }
                        continue
                    }
                    let key: String
                    switch Self.resolve(k.scalar ?? Node.Scalar("")) {
                    case .string(let s): key = s
                    case let other: key = other.compactJSON
                    }
                    let p = path.appending(key)
                    record(p, k.mark)
                    if out[key] != nil {
                        let at = k.mark.map { SourceLocation(file: file, line: $0.line, column: $0.column) }
                        throw ArgosyError(.invalid, "\(p): duplicate key '\(key)'", at: at)
                    }
                    out[key] = try convert(v, path: p)
                }
                return .object(out)
            case .alias(let alias):
                throw ArgosyError(.invalid, "\(path): unresolved YAML alias '\(alias.anchor)'")
            }
        }

        /// Resolves a scalar the way Kubernetes' YAML reader (YAML 1.1) does.
        static func resolve(_ scalar: Node.Scalar) -> JSONValue {
            let s = scalar.string
            switch scalar.tag.description {
            case "tag:yaml.org,2002:int": if let i = parseInt(s) { return .int(i) }
            case "tag:yaml.org,2002:float": if let d = parseFloat(s) ?? Double(s) { return .double(d) }
            case "tag:yaml.org,2002:bool": if let b = parseBool(s) { return .bool(b) }
            case "tag:yaml.org,2002:null": return .null
            default: break
            }
            guard scalar.style == .plain else { return .string(s) }
            switch s {
            case "", "~", "null", "Null", "NULL": return .null
            default: break
            }
            if let b = parseBool(s) { return .bool(b) }
            if let i = parseInt(s) { return .int(i) }
            if let d = parseFloat(s) { return .double(d) }
            return .string(s)
        }

        /// YAML 1.1 booleans as Kubernetes reads them, except the single letters y/n, which stay strings
        /// (see docs/compatibility.md).
        static func parseBool(_ s: String) -> Bool? {
            switch s {
            case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON": true
            case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF": false
            default: nil
            }
        }

        static func parseInt(_ s: String) -> Int? {
            // Most scalars are words: they cannot be numbers.
            guard let c = s.utf8.first, (c >= 0x30 && c <= 0x39) || c == 0x2B || c == 0x2D else { return nil }
            var t = Substring(s.contains("_") ? s.replacingOccurrences(of: "_", with: "") : s)
            var sign = 1
            if t.hasPrefix("-") {
                sign = -1
                t = t.dropFirst()
            } else if t.hasPrefix("+") {
                t = t.dropFirst()
            }
            guard let first = t.first, first.isNumber else { return nil }
            if t.hasPrefix("0x") { return Int(t.dropFirst(2), radix: 16).map { $0 * sign } }
            if t.hasPrefix("0o") { return Int(t.dropFirst(2), radix: 8).map { $0 * sign } }
            if t.count > 1, t.hasPrefix("0"), t.allSatisfy({ $0 >= "0" && $0 <= "7" }) {
                return Int(t.dropFirst(), radix: 8).map { $0 * sign }
            }
            guard t.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return Int(t).map { $0 * sign }
        }

        static func parseFloat(_ s: String) -> Double? {
            switch s {
            case ".inf", ".Inf", ".INF", "+.inf": return .infinity
            case "-.inf", "-.Inf", "-.INF": return -.infinity
            case ".nan", ".NaN", ".NAN": return .nan
            default: break
            }
            guard s.utf8.contains(where: { $0 >= 0x30 && $0 <= 0x39 }),
                s.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ".eE+-_".utf8.contains($0) }),
                s.first.map({ $0.isNumber || $0 == "-" || $0 == "+" || $0 == "." }) ?? false
            else { return nil }
            return Double(s.contains("_") ? s.replacingOccurrences(of: "_", with: "") : s)
        }
    }
}
