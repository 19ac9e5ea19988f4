import Foundation

extension NodeStatus {
    /// The node as JSON, as `JSONEncoder` with `.secondsSince1970` dates writes it (the synthesized `Decodable`
    /// reads it back), but written directly: the store saves a node on every change of it, and going through
    /// `Encodable` was a tenth of the controller's time per step. Values nested deeper than plain outputs
    /// (inputs, parameters, artifacts, a template reference, memoization) still go through `nested`.
    public func json(nested: JSONEncoder) throws -> String {
        var out = "{"
        var first = true
        func key(_ name: String) {
            out += first ? "\"" : ",\""
            out += name
            out += "\":"
            first = false
        }
        func string(_ name: String, _ value: String?) {
            guard let value else { return }
            key(name)
            JSONValue.writeQuoted(value, to: &out)
        }
        func date(_ name: String, _ value: Date?) {
            guard let value else { return }
            key(name)
            out += "\(value.timeIntervalSince1970)"
        }
        func strings(_ name: String, _ values: [String]?) {
            guard let values else { return }
            key(name)
            out += "["
            for (i, v) in values.enumerated() {
                if i > 0 { out += "," }
                JSONValue.writeQuoted(v, to: &out)
            }
            out += "]"
        }
        func encoded<T: Encodable>(_ name: String, _ value: T?) throws {
            guard let value else { return }
            key(name)
            out += String(decoding: try nested.encode(value), as: UTF8.self)
        }
        string("id", id)
        string("name", name)
        string("displayName", displayName)
        string("type", type.rawValue)
        string("templateName", templateName)
        try encoded("templateRef", templateRef)
        string("templateScope", templateScope)
        string("phase", phase.rawValue)
        string("boundaryID", boundaryID)
        string("message", message)
        date("startedAt", startedAt)
        date("finishedAt", finishedAt)
        string("progress", progress)
        try encoded("inputs", inputs)
        if let outputs, outputs.parameters == nil, outputs.artifacts == nil {
            key("outputs")
            out += "{"
            first = true
            string("result", outputs.result)
            string("exitCode", outputs.exitCode)
            out += "}"
            first = false
        } else {
            try encoded("outputs", outputs)
        }
        strings("children", children)
        strings("outboundNodes", outboundNodes)
        string("hostNodeName", hostNodeName)
        try encoded("memoizationStatus", memoizationStatus)
        string("podName", podName)
        date("deadline", deadline)
        out += "}"
        return out
    }
}
