import ArgosyModel
import ArgumentParser
import Foundation

struct GetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Show a workflow and its node tree.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Workflow names, or @latest.") var names: [String]
    @Option(name: [.short, .long], help: "Output: json, yaml, wide, name or short.") var output: String?

    func run() throws {
        let context = CLIContext()
        if let remote = global.remote {
            do {
                let views = try names.map { try remote.workflow(global.resolvedNamespace, $0) }
                print(
                    WorkflowOutput.format(views, as: output ?? ""),
                    terminator: output == nil || output == "wide" ? "" : "\n")
                return
            } catch let error as ArgosyError {
                throw fail(error.description)
            }
        }
        do {
            let store = try context.openStore()
            var views: [WorkflowView] = []
            for name in names {
                views.append(WorkflowView(try context.findWorkflow(store, name, namespace: global.resolvedNamespace)))
            }
            print(
                WorkflowOutput.format(views, as: output ?? ""),
                terminator: output == nil || output == "wide" ? "" : "\n")
        } catch let error as ArgosyError {
            throw fail(error.description)
        }
    }
}
