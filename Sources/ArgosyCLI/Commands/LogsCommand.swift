import ArgosyModel
import ArgosyStore
import ArgumentParser
import Foundation

struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "Print a workflow's step logs, each line prefixed by its pod name.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The workflow name, or @latest.") var workflow: String
    @Argument(help: "Only this pod (pod name, node id or step name).") var pod: String?
    @Flag(name: [.short, .long], help: "Follow the logs until the workflow finishes.") var follow = false
    @Option(name: [.short, .long], help: "Container name (only 'main' exists locally).") var container = "main"
    @Flag(name: .customLong("no-color"), help: "Accepted for compatibility; output is never coloured.") var noColor =
        false

    func run() async throws {
        let context = CLIContext()
        if container != "main" {
            throw fail("--container \(container): local steps have one container, 'main'")
        }
        if let remote = global.remote {
            do {
                try remote.printLogs(global.resolvedNamespace, workflow, pod: pod, follow: follow)
                return
            } catch let error as ArgosyError {
                throw fail(error.description)
            }
        }
        do {
            let store = try context.openStore()
            var stored = try context.findWorkflow(store, workflow, namespace: global.resolvedNamespace)
            let follower = LogFollower(home: context.home, podFilter: pod)
            while true {
                let done = stored.phase?.isFinished == true
                follower.printNew(uid: stored.uid, nodes: stored.nodes, flushPartial: done || !follow)
                if !follow || done { return }
                try await Task.sleep(nanoseconds: 200_000_000)
                guard let next = try store.get(uid: stored.uid) else { return }
                stored = next
            }
        } catch let error as ArgosyError {
            throw fail(error.description)
        }
    }
}
