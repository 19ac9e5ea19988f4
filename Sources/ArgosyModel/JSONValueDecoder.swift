import Foundation
import OrderedCollections

/// Decodes `Decodable` types straight from a ``JSONValue``, recording which object keys the type read.
///
/// Keys a type never asks for are the manifest's unknown fields: ``unknownFields`` lists them by path so
/// `argosy lint` can name each one. Scalars are read leniently, as Kubernetes reads YAML: a number or a
/// boolean decodes into a string field as its text, and `"3"` decodes into an integer field.
public struct JSONValueDecoder {
    public init() {}

    /// Decodes `type`, returning the value and the paths of the object keys it did not read.
    public func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> (
        value: T, unknownFields: [FieldPath]
    ) {
        let tracker = KeyTracker()
        let decoder = JSONValueDecoding(value: value, path: FieldPath(), tracker: tracker)
        let result = try T(from: decoder)
        return (result, tracker.unknownFields(in: value))
    }
}

/// A path into a document: `spec.templates[0].container.image`.
public struct FieldPath: Hashable, Sendable, CustomStringConvertible, Comparable {
    public enum Component: Hashable, Sendable {
        case key(String)
        case index(Int)
    }

    public var components: [Component]

    public init(_ components: [Component] = []) { self.components = components }

    public init(codingPath: [any CodingKey]) {
        components = codingPath.map { key in
            if let i = key.intValue, key.stringValue == String(i) || key.stringValue.hasPrefix("Index ") {
                return .index(i)
            }
            return .key(key.stringValue)
        }
    }

    public func appending(_ c: Component) -> FieldPath { FieldPath(components + [c]) }
    public func appending(_ key: String) -> FieldPath { appending(.key(key)) }
    public func appending(_ index: Int) -> FieldPath { appending(.index(index)) }

    public var description: String {
        var out = ""
        for c in components {
            switch c {
            case .key(let k):
                if !out.isEmpty { out += "." }
                out += k
            case .index(let i): out += "[\(i)]"
            }
        }
        return out
    }

    public static func < (a: FieldPath, b: FieldPath) -> Bool { a.description < b.description }
}

final class KeyTracker {
    /// Objects read through a keyed container, and the keys asked of each.
    var readKeys: [FieldPath: Set<String>] = [:]

    func unknownFields(in root: JSONValue) -> [FieldPath] {
        var out: [FieldPath] = []
        walk(root, path: FieldPath(), into: &out)
        return out
    }

    private func walk(_ value: JSONValue, path: FieldPath, into out: inout [FieldPath]) {
        switch value {
        case .object(let o):
            guard let known = readKeys[path] else { return }
            for (k, v) in o {
                if known.contains(k) {
                    walk(v, path: path.appending(k), into: &out)
                } else {
                    out.append(path.appending(k))
                }
            }
        case .array(let a):
            for (i, v) in a.enumerated() { walk(v, path: path.appending(i), into: &out) }
        default: return
        }
    }
}

struct JSONValueDecoding: Decoder {
    let value: JSONValue
    let path: FieldPath
    let tracker: KeyTracker
    var codingPath: [any CodingKey] {
        path.components.map { c in
            switch c {
            case .key(let k): AnyKey(k)
            case .index(let i): AnyKey(intValue: i)!
            }
        }
    }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let o) = value else {
            throw DecodingError.typeMismatch(
                [String: JSONValue].self,
                .init(codingPath: codingPath, debugDescription: "expected an object, found \(value.kindName)"))
        }
        if tracker.readKeys[path] == nil { tracker.readKeys[path] = [] }
        return KeyedDecodingContainer(KeyedReader<Key>(object: o, path: path, tracker: tracker))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let a) = value else {
            throw DecodingError.typeMismatch(
                [JSONValue].self,
                .init(codingPath: codingPath, debugDescription: "expected a list, found \(value.kindName)"))
        }
        return UnkeyedReader(array: a, path: path, tracker: tracker)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleReader(value: value, path: path, tracker: tracker)
    }
}

extension JSONValue {
    /// A word for the kind of value, for error messages.
    public var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int, .double: "a number"
        case .string: "a string"
        case .array: "a list"
        case .object: "an object"
        }
    }
}

private struct KeyedReader<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let object: OrderedDictionary<String, JSONValue>
    let path: FieldPath
    let tracker: KeyTracker
    var codingPath: [any CodingKey] { JSONValueDecoding(value: .null, path: path, tracker: tracker).codingPath }
    var allKeys: [Key] { object.keys.compactMap { Key(stringValue: $0) } }

    func mark(_ key: Key) { tracker.readKeys[path, default: []].insert(key.stringValue) }

    func contains(_ key: Key) -> Bool {
        mark(key)
        return object[key.stringValue] != nil
    }

    func child(_ key: Key) throws -> JSONValueDecoding {
        mark(key)
        guard let v = object[key.stringValue] else {
            throw DecodingError.keyNotFound(
                key, .init(codingPath: codingPath, debugDescription: "missing required field '\(key.stringValue)'"))
        }
        return JSONValueDecoding(value: v, path: path.appending(key.stringValue), tracker: tracker)
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        mark(key)
        return object[key.stringValue]?.isNull ?? true
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let d = try child(key)
        return try SingleReader(value: d.value, path: d.path, tracker: tracker).decode(type)
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        mark(key)
        guard let v = object[key.stringValue], !v.isNull else { return nil }
        return try SingleReader(value: v, path: path.appending(key.stringValue), tracker: tracker).decode(type)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try child(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try child(key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        JSONValueDecoding(value: .object(object), path: path, tracker: tracker)
    }
    func superDecoder(forKey key: Key) throws -> any Decoder { try child(key) }
}

private struct UnkeyedReader: UnkeyedDecodingContainer {
    let array: [JSONValue]
    let path: FieldPath
    let tracker: KeyTracker
    var currentIndex = 0
    var codingPath: [any CodingKey] { JSONValueDecoding(value: .null, path: path, tracker: tracker).codingPath }
    var count: Int? { array.count }
    var isAtEnd: Bool { currentIndex >= array.count }

    mutating func next() throws -> JSONValueDecoding {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(
                JSONValue.self, .init(codingPath: codingPath, debugDescription: "list ended early"))
        }
        defer { currentIndex += 1 }
        return JSONValueDecoding(value: array[currentIndex], path: path.appending(currentIndex), tracker: tracker)
    }

    mutating func decodeNil() throws -> Bool {
        if !isAtEnd, array[currentIndex].isNull {
            currentIndex += 1
            return true
        }
        return false
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let d = try next()
        return try SingleReader(value: d.value, path: d.path, tracker: tracker).decode(type)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try next().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next().unkeyedContainer() }
    mutating func superDecoder() throws -> any Decoder { try next() }
}

private struct SingleReader: SingleValueDecodingContainer {
    let value: JSONValue
    let path: FieldPath
    let tracker: KeyTracker
    var codingPath: [any CodingKey] { JSONValueDecoding(value: .null, path: path, tracker: tracker).codingPath }

    func mismatch<T>(_ type: T.Type, _ expected: String) -> DecodingError {
        // A number is shown as it is (a fraction, or one out of range, is why it did not fit).
        let found = value.doubleValue != nil ? value.compactJSON : value.kindName
        return .typeMismatch(
            type, .init(codingPath: codingPath, debugDescription: "expected \(expected), found \(found)"))
    }

    func decodeNil() -> Bool { value.isNull }

    func decode(_ type: Bool.Type) throws -> Bool {
        switch value {
        case .bool(let b): return b
        case .string("true"): return true
        case .string("false"): return false
        default: throw mismatch(type, "a boolean")
        }
    }

    func decode(_ type: String.Type) throws -> String {
        switch value {
        case .string(let s): return s
        case .int, .double, .bool: return value.compactJSON
        default: throw mismatch(type, "a string")
        }
    }

    func decode(_ type: Double.Type) throws -> Double {
        switch value {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .string(let s): if let d = Double(s) { return d }
        default: break
        }
        throw mismatch(type, "a number")
    }

    func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }

    func decode(_ type: Int.Type) throws -> Int {
        switch value {
        case .int(let i): return i
        case .double(let d): if d == d.rounded(), abs(d) < 1e18 { return Int(d) }
        case .string(let s): if let i = Int(s.trimmingCharacters(in: .whitespaces)) { return i }
        default: break
        }
        throw mismatch(type, "an integer")
    }

    func decode(_ type: Int8.Type) throws -> Int8 { try narrow(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try narrow(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try narrow(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try narrow(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try narrow(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try narrow(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try narrow(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try narrow(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try narrow(type) }

    func narrow<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        guard let v = T(exactly: try decode(Int.self)) else { throw mismatch(type, "an integer in range") }
        return v
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        switch type {
        case is String.Type: return try decode(String.self) as! T
        case is Int.Type: return try decode(Int.self) as! T
        case is Bool.Type: return try decode(Bool.self) as! T
        case is Double.Type: return try decode(Double.self) as! T
        case is JSONValue.Type: return value as! T
        case is Date.Type:
            guard case .string(let s) = value, let d = Timestamp.parse(s) else { throw mismatch(type, "a timestamp") }
            return d as! T
        default:
            return try T(from: JSONValueDecoding(value: value, path: path, tracker: tracker))
        }
    }
}
