import Foundation

/// Writes one JSON object field by field, as `JSONEncoder` with `.secondsSince1970` dates writes it (absent
/// optionals left out), for the values the store writes on every step (`NodeStatus.json`, `StepLaunch.json`),
/// where going through `Encodable` was a good share of the controller's time.
struct JSONObjectWriter {
    private(set) var text = "{"
    private var empty = true

    /// Starts a field named by a property (a plain name, written as it is).
    mutating func key(_ name: String) {
        text += empty ? "\"" : ",\""
        text += name
        text += "\":"
        empty = false
    }

    /// One entry of a map: its key is the user's, quoted as any string.
    mutating func entry(_ key: String, _ value: String) {
        if !empty { text += "," }
        JSONValue.writeQuoted(key, to: &text)
        text += ":"
        JSONValue.writeQuoted(value, to: &text)
        empty = false
    }

    mutating func string(_ name: String, _ value: String?) {
        guard let value else { return }
        key(name)
        JSONValue.writeQuoted(value, to: &text)
    }

    mutating func date(_ name: String, _ value: Date?) {
        guard let value else { return }
        key(name)
        text += "\(value.timeIntervalSince1970)"
    }

    mutating func strings(_ name: String, _ values: [String]?) {
        guard let values else { return }
        key(name)
        text += "["
        for (i, v) in values.enumerated() {
            if i > 0 { text += "," }
            JSONValue.writeQuoted(v, to: &text)
        }
        text += "]"
    }

    /// A value given as JSON text already.
    mutating func json(_ name: String, _ value: String) {
        key(name)
        text += value
    }

    /// A nested object, written by `body`.
    mutating func object(_ name: String, _ body: (inout JSONObjectWriter) throws -> Void) rethrows {
        var nested = JSONObjectWriter()
        try body(&nested)
        json(name, nested.end())
    }

    func end() -> String { text + "}" }
}
