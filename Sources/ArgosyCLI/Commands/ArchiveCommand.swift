import ArgosyController
import ArgosyEngine
import ArgosyModel
import ArgosyStore
import ArgumentParser
import Foundation

/// `argosy archive …`: finished workflows kept after `ttlStrategy` deleted them.
struct ArchiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive", abstract: "Archived workflows (finished workflows removed by ttlStrategy).",
        subcommands: [List.self, Get.self, Delete.self, Resubmit.self, Retry.self])

    static func find(_ store: WorkflowStore, _ id: String, _ namespace: String) throws -> ArchivedWorkflow {
        guard let a = try store.archived(id: id, namespace: namespace) else {
            throw ArgosyError(.notFound, "archived workflow \"\(id)\" not found")
        }
        return a
    }

    static func view(_ a: ArchivedWorkflow) -> WorkflowView {
        var view = WorkflowView(a.workflow, RunState())
        view.phase = a.phase
        view.startedAt = a.startedAt
        view.finishedAt = a.finishedAt
        view.message = a.workflow.status?.message
        view.progress = a.workflow.status?.progress
        view.nodes = a.workflow.status?.nodes ?? [:]
        view.leaseExpires = .distantFuture
        return view
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List archived workflows.")
        @OptionGroup var global: GlobalOptions
        @Flag(name: [.customShort("A"), .customLong("all-namespaces")]) var allNamespaces = false
        @Option(name: [.short, .long]) var output: String?

        func run() throws {
            do {
                let namespace = allNamespaces ? nil : global.resolvedNamespace
                let all =
                    if let remote = global.remote {
                        try remote.archived(namespace)
                    } else {
                        try CLIContext().openStore().archived(namespace: namespace).map(ArchiveCommand.view)
                    }
                if output == "name" {
                    for v in all { print(v.name) }
                    return
                }
                if all.isEmpty {
                    print("No archived workflows found")
                    return
                }
                var table = TextTable()
                table.add(["NAMESPACE", "NAME", "STATUS", "AGE", "DURATION", "UID"])
                let now = Date()
                for v in all {
                    table.add([
                        v.workflow.namespace, v.name, v.phase?.rawValue ?? "",
                        Humanize.short(from: v.workflow.metadata.creationTimestamp, to: now, now: now),
                        Humanize.short(from: v.startedAt, to: v.finishedAt, now: now), v.workflow.metadata.uid ?? "",
                    ])
                }
                print(table.render(), terminator: "")
            } catch let error as ArgosyError {
                throw fail(error.description)
            }
        }
    }

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "get", abstract: "Show an archived workflow (by uid or name).")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        @Option(name: [.short, .long]) var output: String?

        func run() throws {
            do {
                let view =
                    if let remote = global.remote {
                        try remote.archivedWorkflow(id, global.resolvedNamespace)
                    } else {
                        ArchiveCommand.view(
                            try ArchiveCommand.find(try CLIContext().openStore(), id, global.resolvedNamespace))
                    }
                print(WorkflowOutput.format([view], as: output ?? ""), terminator: output == nil ? "" : "\n")
            } catch let error as ArgosyError {
                throw fail(error.description)
            }
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete archived workflows.")
        @OptionGroup var global: GlobalOptions
        @Argument var ids: [String]

        func run() throws {
            do {
                if let remote = global.remote {
                    for id in ids {
                        let uid = try remote.archivedWorkflow(id, global.resolvedNamespace).workflow.metadata.uid ?? id
                        _ = try remote.call("DELETE", "/api/v1/archived-workflows/\(RemoteServer.path(uid))")
                        print("Archived workflow '\(uid)' deleted")
                    }
                    return
                }
                let store = try CLIContext().openStore()
                for id in ids {
                    let a = try ArchiveCommand.find(store, id, global.resolvedNamespace)
                    try store.deleteArchived(uid: a.uid)
                    print("Archived workflow '\(a.uid)' deleted")
                }
            } catch let error as ArgosyError {
                throw fail(error.description)
            }
        }
    }

    struct Resubmit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "resubmit", abstract: "Submit a new workflow like an archived one.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var run: RunOptions
        @Argument var id: String

        func run() async throws {
            let context = CLIContext()
            if let remote = global.remote {
                if try !remote.archiveAction("resubmit", id, global.resolvedNamespace, options: run) {
                    throw ExitCode(1)
                }
                return
            }
            let wf: Workflow
            do {
                let store = try context.openStore()
                let a = try ArchiveCommand.find(store, id, global.resolvedNamespace)
                let options = context.preparationOptions(namespace: a.namespace)
                wf = try context.operations(store).resubmission(of: a.workflow, options: options, now: Date())
            } catch let error as ArgosyError {
                throw fail(error.description)
            }
            let generated: Set<String> = [wf.metadata.uid ?? ""]
            if try await !WorkflowRunner(context: context, options: run).start([wf], generated: generated) {
                throw ExitCode(1)
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "retry",
            abstract: "Bring an archived Failed or Error workflow back and run its failed steps again.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var run: RunOptions
        @Argument var id: String

        func run() async throws {
            let context = CLIContext()
            if let remote = global.remote {
                if try !remote.archiveAction("retry", id, global.resolvedNamespace, options: run) { throw ExitCode(1) }
                return
            }
            let uid: String
            do {
                let store = try context.openStore()
                let a = try ArchiveCommand.find(store, id, global.resolvedNamespace)
                guard a.phase == .failed || a.phase == .error else {
                    throw ArgosyError(
                        .failedPrecondition, "cannot retry \(a.name): only Failed or Error workflows can be retried")
                }
                try store.restore(a)
                try store.updateManifest(uid: a.uid) {
                    $0.spec.shutdown = nil
                    $0.spec.ttlStrategy = nil
                }
                try store.addRequest(uid: a.uid, kind: "retry")
                uid = a.uid
            } catch let error as ArgosyError {
                throw fail(error.description)
            }
            let runner = WorkflowRunner(context: context, options: run)
            if run.waits {
                if try await !runner.run(uids: [uid]) { throw ExitCode(1) }
            } else {
                try context.ensureBackgroundController()
                print("workflow \(id) retried")
            }
        }
    }
}
