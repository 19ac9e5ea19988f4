import Foundation
import OrderedCollections

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        if let direct = decoder as? JSONValueDecoding {
            self = direct.value
            return
        }
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? c.decode(Int.self) {
            self = .int(i)
        } else if let d = try? c.decode(Double.self) {
            self = .double(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else {
            let o = try c.decode([String: JSONValue].self)
            self = .object(OrderedDictionary(uniqueKeysWithValues: o.sorted { $0.key < $1.key }))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var c = encoder.singleValueContainer()
            try c.encodeNil()
        case .bool(let b):
            var c = encoder.singleValueContainer()
            try c.encode(b)
        case .int(let i):
            var c = encoder.singleValueContainer()
            try c.encode(i)
        case .double(let d):
            var c = encoder.singleValueContainer()
            try c.encode(d)
        case .string(let s):
            var c = encoder.singleValueContainer()
            try c.encode(s)
        case .array(let a):
            var c = encoder.unkeyedContainer()
            for v in a { try c.encode(v) }
        case .object(let o):
            var c = encoder.container(keyedBy: AnyKey.self)
            for (k, v) in o { try c.encode(v, forKey: AnyKey(k)) }
        }
    }

    /// Encodes any `Encodable` into a `JSONValue` (through Foundation's encoder; keys sorted, so output is stable).
    public init<T: Encodable>(encoding value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(Timestamp.format(date))
        }
        let data = try encoder.encode(value)
        self = try JSONValue.parse(String(decoding: data, as: UTF8.self))
    }
}

/// A coding key made from any string or index.
public struct AnyKey: CodingKey, Hashable, Sendable {
    public var stringValue: String
    public var intValue: Int?
    public init(_ s: String) { stringValue = s }
    public init?(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) {
        self.intValue = intValue
        stringValue = String(intValue)
    }
}

/// RFC 3339 timestamps as Kubernetes writes them (`2026-11-28T12:00:00Z`).
public enum Timestamp {
    public static func format(_ date: Date) -> String {
        var t = time_t(Int(saturating: date.timeIntervalSince1970.rounded(.down)))
        var v = tm()
        gmtime_r(&t, &v)
        var out = ""
        out.reserveCapacity(20)
        func digits(_ n: Int32, _ width: Int) {
            let s = String(n)
            if s.count < width { out += String(repeating: "0", count: width - s.count) }
            out += s
        }
        digits(v.tm_year + 1900, 4)
        out += "-"
        digits(v.tm_mon + 1, 2)
        out += "-"
        digits(v.tm_mday, 2)
        out += "T"
        digits(v.tm_hour, 2)
        out += ":"
        digits(v.tm_min, 2)
        out += ":"
        digits(v.tm_sec, 2)
        out += "Z"
        return out
    }

    public static func parse(_ text: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        if let d = f.date(from: text) { return d }
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: text)
    }
}
