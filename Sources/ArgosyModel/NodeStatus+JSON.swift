import Foundation

extension NodeStatus {
    /// The node as JSON, as `JSONEncoder` with `.secondsSince1970` dates writes it (the synthesized `Decodable`
    /// reads it back), but written directly: the store saves a node on every change of it, and going through
    /// `Encodable` was a tenth of the controller's time per step. Values nested deeper than plain outputs
    /// (inputs, parameters, artifacts, a template reference, memoization) still go through `nested`.
    public func json(nested: JSONEncoder) throws -> String {
        var w = JSONObjectWriter()
        func encoded<T: Encodable>(_ name: String, _ value: T?) throws {
            guard let value else { return }
            w.json(name, String(decoding: try nested.encode(value), as: UTF8.self))
        }
        w.string("id", id)
        w.string("name", name)
        w.string("displayName", displayName)
        w.string("type", type.rawValue)
        w.string("templateName", templateName)
        try encoded("templateRef", templateRef)
        w.string("templateScope", templateScope)
        w.string("phase", phase.rawValue)
        w.string("boundaryID", boundaryID)
        w.string("message", message)
        w.date("startedAt", startedAt)
        w.date("finishedAt", finishedAt)
        w.string("progress", progress)
        try encoded("inputs", inputs)
        if let outputs, outputs.parameters == nil, outputs.artifacts == nil {
            w.object("outputs") {
                $0.string("result", outputs.result)
                $0.string("exitCode", outputs.exitCode)
            }
        } else {
            try encoded("outputs", outputs)
        }
        w.strings("children", children)
        w.strings("outboundNodes", outboundNodes)
        w.string("hostNodeName", hostNodeName)
        try encoded("memoizationStatus", memoizationStatus)
        w.string("podName", podName)
        w.date("deadline", deadline)
        return w.end()
    }
}
