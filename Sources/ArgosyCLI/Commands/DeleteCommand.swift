import ArgosyController
import ArgosyModel
import ArgosyStore
import ArgumentParser
import Foundation

struct DeleteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete workflows and their step files.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Workflow names, or @latest.") var names: [String] = []
    @Flag(help: "Delete every workflow in the namespace.") var all = false
    @Flag(help: "Delete completed workflows.") var completed = false
    @Flag(
        name: [.customShort("A"), .customLong("all-namespaces")], help: "With --all or --completed: every namespace.")
    var allNamespaces = false

    func run() throws {
        let context = CLIContext()
        if let remote = global.remote {
            do {
                for name in names {
                    _ = try remote.call(
                        "DELETE",
                        "/api/v1/workflows/\(RemoteServer.path(global.resolvedNamespace))/\(RemoteServer.path(name))")
                    print("Workflow '\(name)' deleted")
                }
                return
            } catch let error as ArgosyError {
                throw fail(error.description)
            }
        }
        do {
            let store = try context.openStore()
            let operations = context.operations(store)
            var targets: [StoredWorkflow] = []
            if all || completed {
                for r in try store.list(namespace: allNamespaces ? nil : global.resolvedNamespace)
                where all || r.phase?.isFinished == true {
                    if let wf = try store.get(uid: r.uid) { targets.append(wf) }
                }
            } else {
                if names.isEmpty { throw ArgosyError(.invalid, "name a workflow, or use --all or --completed") }
                for name in names {
                    targets.append(try context.findWorkflow(store, name, namespace: global.resolvedNamespace))
                }
            }
            for wf in targets {
                try operations.delete(wf)
                print("Workflow '\(wf.workflow.name)' deleted")
            }
        } catch let error as ArgosyError {
            throw fail(error.description)
        }
    }
}
