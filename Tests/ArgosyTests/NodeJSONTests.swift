import ArgosyModel
import Foundation
import Testing

/// The store writes node bodies with `NodeStatus.json(nested:)` and reads them with the synthesized `Decodable`.
@Suite("Node JSON")
struct NodeJSONTests {
    static func decoded(_ text: String) throws -> NodeStatus {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return try decoder.decode(NodeStatus.self, from: Data(text.utf8))
    }

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        return encoder
    }

    /// The JSON text with its keys sorted, to compare values whatever the order their keys were written in.
    static func sorted(_ text: String) throws -> String {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return String(
            decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    static var nodes: [NodeStatus] {
        let bare = NodeStatus(id: "wf-123", name: "wf[0].a", displayName: "a", type: .pod, phase: .pending)
        var pod = bare
        pod.templateName = "noop"
        pod.boundaryID = "wf"
        pod.startedAt = Date(timeIntervalSince1970: 1_764_361_234.123_456_7)
        pod.finishedAt = Date(timeIntervalSince1970: 1_764_361_235)
        pod.phase = .succeeded
        pod.progress = "1/1"
        pod.podName = "wf-noop-123"
        pod.outputs = Outputs(result: "line \"one\"\n\ttab <b> & \u{1} é ✓", exitCode: "0")
        pod.hostNodeName = "localhost"
        var group = bare
        group.type = .dag
        group.message = "child 'x' failed: \\ exit code 1"
        group.children = ["wf-1", "wf-2"]
        group.outboundNodes = []
        group.templateRef = TemplateRef(name: "lib", template: "t", clusterScope: true)
        group.templateScope = "namespaced/lib"
        group.inputs = Inputs(parameters: [Parameter(name: "p", value: "{\"a\": [1, 2]}")])
        group.outputs = Outputs(parameters: [Parameter(name: "out", value: "v")], result: "r")
        group.memoizationStatus = MemoizationStatus(hit: true, key: "k", cacheName: "c")
        group.deadline = Date(timeIntervalSince1970: 0.5)
        var emptyOutputs = bare
        emptyOutputs.outputs = Outputs()
        return [bare, pod, group, emptyOutputs]
    }

    @Test func handWrittenJSONReadsBackAsTheSameNode() throws {
        for node in Self.nodes {
            let text = try node.json(nested: Self.encoder())
            #expect(try Self.decoded(text) == node, "\(text)")
            // The same JSON value as Foundation's encoder writes.
            let foundation = String(decoding: try Self.encoder().encode(node), as: UTF8.self)
            #expect(try Self.sorted(text) == Self.sorted(foundation), "\(text)\n\(foundation)")
        }
    }
}
