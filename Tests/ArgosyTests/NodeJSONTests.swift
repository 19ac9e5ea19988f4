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

/// One string quoter serves the store, `-o json` and the expressions' `toJson`: Go's `encoding/json` escapes.
@Suite("JSON strings")
struct JSONStringTests {
    @Test func stringsAreEscapedAsGoEscapesThem() {
        let cases: [(String, String)] = [
            ("plain-name.1", #""plain-name.1""#),
            ("a\u{8}b\u{C}c\n\r\t", #""a\bb\fc\n\r\t""#),
            ("<a & b>", #""\u003ca \u0026 b\u003e""#),
            ("\u{1}\u{1F}\"\\", #""\u0001\u001f\"\\""#),
            ("line\u{2028}para\u{2029}", #""line\u2028para\u2029""#),
            ("é ✓ — 日本", #""é ✓ — 日本""#),
        ]
        for (value, expected) in cases {
            #expect(JSONValue.string(value).compactJSON == expected)
        }
    }
}

/// The store writes launches with `StepLaunch.Parts` and reads them with the synthesized `Decodable`.
@Suite("Launch JSON")
struct LaunchJSONTests {
    static var launches: [StepLaunch] {
        let plain = StepLaunch(
            workflowUID: "uid-1", namespace: "argo", nodeID: "wf-1", nodeName: "wf[0].a", podName: "wf-noop-1",
            templateName: "noop", container: Container(image: "alpine", command: ["true"]), scriptSource: nil,
            volumes: [], outputPaths: [:], deadline: nil)
        var full = plain
        full.nodeID = "wf-2"
        full.nodeName = "wf.b(0:\"x\")"
        full.container.args = ["-c", "echo \"hi\"\n\té ✓ \u{1}"]
        full.container.env = [EnvVar(name: "A", value: "1")]
        full.container.workingDir = "/work"
        full.container.volumeMounts = try? JSONDecoder().decode(
            [VolumeMount].self, from: Data(#"[{"name": "data", "mountPath": "/data", "readOnly": true}]"#.utf8))
        full.scriptSource = "#!/bin/sh\necho \"$1\" \\ done\n"
        var scratch = Volume(name: "scratch", claimName: "none")
        scratch.persistentVolumeClaim = nil
        scratch.emptyDir = .object([:])
        full.volumes = [Volume(name: "data", claimName: "claim-1"), scratch]
        full.outputPaths = ["out": "/tmp/out \"1\"", "second": "/tmp/2", "odd \"name\"": "/tmp/3"]
        full.deadline = Date(timeIntervalSince1970: 1_764_361_234.123_456_7)
        var sameContainer = plain
        sameContainer.nodeID = "wf-3"
        sameContainer.podName = "wf-noop-3"
        return [plain, full, sameContainer, plain]
    }

    @Test func handWrittenJSONReadsBackAsTheSameLaunch() throws {
        #expect(Self.launches[1].container.volumeMounts?.count == 1)
        let parts = StepLaunch.Parts()
        for launch in Self.launches {
            let text = try parts.json(launch, encoder: NodeJSONTests.encoder())
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .secondsSince1970
            #expect(try decoder.decode(StepLaunch.self, from: Data(text.utf8)) == launch, "\(text)")
            let foundation = String(decoding: try NodeJSONTests.encoder().encode(launch), as: UTF8.self)
            #expect(try NodeJSONTests.sorted(text) == NodeJSONTests.sorted(foundation), "\(text)\n\(foundation)")
        }
    }
}
