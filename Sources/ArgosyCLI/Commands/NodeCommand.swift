import ArgosyEngine
import ArgosyModel
import ArgosyStore
import ArgumentParser
import Foundation

/// `argosy node set`: Argo's `argo node set`, for suspend steps that wait for a human's answer.
struct NodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node", abstract: "Act on one node of a workflow.", subcommands: [Set.self])

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Give running suspend nodes supplied output values, a message, or a phase (Succeeded, Failed).")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        @Option(name: .customLong("node-field-selector"), help: "Which nodes, e.g. displayName=approve.")
        var nodeFieldSelector: String
        @Option(name: .customLong("output-parameter"), help: "NAME=VALUE for a valueFrom.supplied output (repeatable).")
        var outputParameters: [String] = []
        @Option(help: "Set the node's phase: Succeeded or Failed.")
        var phase: String?
        @Option(help: "Set the node's message.")
        var message: String?

        func run() throws {
            var update = NodeUpdate(selector: nodeFieldSelector, message: message)
            if let phase {
                guard let p = NodePhase(rawValue: phase) else { throw fail("--phase: unknown phase '\(phase)'") }
                update.phase = p
            }
            for pair in outputParameters {
                guard let eq = pair.firstIndex(of: "=") else {
                    throw fail("--output-parameter: expected NAME=VALUE, found '\(pair)'")
                }
                update.outputParameters[String(pair[..<eq])] = String(pair[pair.index(after: eq)...])
            }
            if let remote = global.remote {
                // Argo's WorkflowSetRequest carries the outputs as the JSON text of an object.
                let outputs =
                    update.outputParameters.isEmpty
                    ? nil : String(decoding: try JSONEncoder().encode(update.outputParameters), as: UTF8.self)
                let request = SetRequest(
                    nodeFieldSelector: update.selector, phase: phase, message: message, outputParameters: outputs)
                do {
                    _ = try remote.call(
                        "PUT",
                        "/api/v1/workflows/\(RemoteServer.path(global.resolvedNamespace))/\(RemoteServer.path(name))/set",
                        body: try JSONValue(encoding: request))
                } catch let error as ArgosyError {
                    throw fail(error.description)
                }
                print("workflow \(name) values set")
                return
            }
            try WorkflowControl(namespace: global.resolvedNamespace).apply([name]) { operations, wf in
                try operations.setNodes(wf, update)
                return "workflow \(wf.workflow.name) values set"
            }
        }
    }

    struct SetRequest: Encodable {
        var nodeFieldSelector: String
        var phase: String?
        var message: String?
        var outputParameters: String?
    }
}
