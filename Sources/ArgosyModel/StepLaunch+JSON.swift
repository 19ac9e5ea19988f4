import Foundation

extension StepLaunch {
    /// The launch as JSON, as `JSONEncoder` with `.secondsSince1970` dates writes it (the synthesized `Decodable`
    /// reads it back), but written directly around the already encoded `container` and `volumes`: the store
    /// saves one launch per step, and the steps of a template mostly share both (see ``StepLaunch/Parts``).
    public func json(container: String, volumes: String) -> String {
        var w = JSONObjectWriter()
        w.string("workflowUID", workflowUID)
        w.string("namespace", namespace)
        w.string("nodeID", nodeID)
        w.string("nodeName", nodeName)
        w.string("podName", podName)
        w.string("templateName", templateName)
        w.json("container", container)
        w.string("scriptSource", scriptSource)
        w.json("volumes", volumes)
        w.object("outputPaths") { paths in
            for (name, path) in outputPaths { paths.entry(name, path) }
        }
        w.date("deadline", deadline)
        return w.end()
    }

    /// Encodes launches' containers and volume lists, keeping the text of the last ones encoded: the launches of
    /// one template's steps differ in names and ids, seldom in their container, and `JSONEncoder` was most of
    /// what a launch cost to store.
    public final class Parts: @unchecked Sendable {
        private let lock = NSLock()
        private var containers: [Container: String] = [:]
        private var volumeLists: [[Volume]: String] = [:]
        /// Distinct values kept of each; past it, all are forgotten (a workflow's templates are far fewer).
        static let limit = 256

        public init() {}

        /// The launch as JSON (see ``StepLaunch/json(container:volumes:)``).
        public func json(_ launch: StepLaunch, encoder: JSONEncoder) throws -> String {
            lock.lock()
            defer { lock.unlock() }
            let container = try cached(launch.container, in: &containers, encoder)
            let volumes = try cached(launch.volumes, in: &volumeLists, encoder)
            return launch.json(container: container, volumes: volumes)
        }

        private func cached<T: Encodable & Hashable>(_ value: T, in kept: inout [T: String], _ encoder: JSONEncoder)
            throws -> String
        {
            if let text = kept[value] { return text }
            let text = String(decoding: try encoder.encode(value), as: UTF8.self)
            if kept.count >= Self.limit { kept = [:] }
            kept[value] = text
            return text
        }
    }
}
