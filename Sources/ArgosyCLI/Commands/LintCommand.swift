import ArgosyModel
import ArgumentParser
import Foundation

struct LintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Validate Workflow, WorkflowTemplate, ClusterWorkflowTemplate and CronWorkflow manifests.",
        discussion: "Prints each problem as file:line:col: severity: field: message. Exits 1 on errors.")

    @Argument(help: "Files or folders to lint ('-' reads standard input).") var files: [String]
    @Flag(help: "Treat warnings (unknown or ignored fields) as errors.") var strict = false

    func run() throws {
        let manifests = ManifestFiles(paths: files)
        for e in manifests.fileErrors { print(e) }
        for d in manifests.diagnostics { print(d) }
        let errors = manifests.hasErrors || (strict && !manifests.diagnostics.isEmpty)
        if errors { throw ExitCode(1) }
        if manifests.diagnostics.isEmpty { print("✔ no linting errors found!") }
    }
}
