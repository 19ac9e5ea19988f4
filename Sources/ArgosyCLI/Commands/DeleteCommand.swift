import ArgosyModel
import ArgosyRuntime
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
            var targets: [(uid: String, name: String, running: Bool)] = []
            if all || completed {
                for r in try store.list(namespace: allNamespaces ? nil : global.resolvedNamespace)
                where all || r.phase?.isFinished == true {
                    targets.append((r.uid, r.name, r.phase?.isFinished != true))
                }
            } else {
                if names.isEmpty { throw ArgosyError(.invalid, "name a workflow, or use --all or --completed") }
                for name in names {
                    let wf = try context.findWorkflow(store, name, namespace: global.resolvedNamespace)
                    targets.append((wf.uid, wf.workflow.name, wf.phase?.isFinished != true))
                }
            }
            for t in targets {
                if t.running {
                    // Stop its steps first: the controller that runs it sees the workflow vanish.
                    try store.updateManifest(uid: t.uid) { $0.spec.shutdown = "Terminate" }
                }
                try store.delete(uid: t.uid)
                try? FileManager.default.removeItem(at: StepDirectory.folder(home: context.home, workflowUID: t.uid))
                print("Workflow '\(t.name)' deleted")
            }
        } catch let error as ArgosyError {
            throw fail(error.description)
        }
    }
}
