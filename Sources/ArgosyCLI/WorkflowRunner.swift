import ArgosyController
import ArgosyEngine
import ArgosyModel
import ArgosyStore
import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle

/// Starts workflows and, when asked, runs them in this process until they finish, showing progress.
struct WorkflowRunner {
    let context: CLIContext
    let options: RunOptions

    /// Stores new workflows and runs (or hands off) them. Returns true when every one succeeded (or, when
    /// not waiting, was submitted).
    /// Workflows whose uid is in `generated` got their names from `generateName`: a name that is taken is
    /// generated again, as Kubernetes clients do; an explicit name that is taken is an error.
    func start(_ workflows: [Workflow], generated: Set<String> = []) async throws -> Bool {
        let store = try context.openStore()
        func create(_ wf: Workflow, _ body: (Workflow) throws(ArgosyError) -> Void) throws(ArgosyError) -> Workflow {
            var wf = wf
            for attempt in 1...8 {
                do {
                    try body(wf)
                    return wf
                } catch  where error.code == .alreadyExists && generated.contains(wf.metadata.uid ?? "") && attempt < 8
                {
                    wf = WorkflowPreparation.renamed(wf)
                }
            }
            return wf
        }
        // The workflows of one submit are stored together, in one transaction (one fsync, not one each): all of
        // them, or none when one cannot be.
        guard options.waits else {
            let created = try store.inTransaction { () throws(ArgosyError) -> [Workflow] in
                var created: [Workflow] = []
                for wf in workflows { created.append(try create(wf) { w throws(ArgosyError) in try store.create(w) }) }
                return created
            }
            try context.ensureBackgroundController()
            for wf in created { printSubmitted(wf, store: store) }
            return true
        }
        let controller = WorkflowController(
            store: store, options: try context.controllerOptions(),
            scope: .only(Set(workflows.compactMap(\.metadata.uid))))
        try store.inTransaction { () throws(ArgosyError) in
            for wf in workflows { _ = try create(wf) { w throws(ArgosyError) in _ = try controller.submit(w) } }
        }
        return try await follow(controller, store: store, uids: workflows.compactMap(\.metadata.uid))
    }

    /// Runs existing workflows (after `retry` or `resume`) in this process until they finish.
    func run(uids: [String]) async throws -> Bool {
        let store = try context.openStore()
        let controller = WorkflowController(
            store: store, options: try context.controllerOptions(), scope: .only(Set(uids)))
        return try await follow(controller, store: store, uids: uids)
    }

    private func follow(_ controller: WorkflowController, store: WorkflowStore, uids: [String]) async throws -> Bool {
        let board = WatchBoard()
        let follower = options.log ? LogFollower(home: context.home) : nil
        let interactive = isatty(STDOUT_FILENO) != 0
        let watch = options.watch && options.output == nil
        if follower != nil || (watch && interactive) {
            controller.observer = { wf, state in if board.isWanted { board.update(WorkflowView(wf, state)) } }
        }
        let display = Task {
            var seen = -1
            var latest: [String: WorkflowView] = [:]
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 100_000_000)
                let (version, views) = board.take()
                if let follower {
                    for (uid, view) in views {
                        follower.printNew(uid: uid, nodes: Array(view.nodes.values), flushPartial: false)
                    }
                }
                if watch, interactive, version != seen {
                    seen = version
                    latest.merge(views) { _, new in new }
                    let text = uids.compactMap { latest[$0] }.map { WorkflowPrinter().render($0) }.joined(
                        separator: "\n")
                    FileHandle.standardOutput.write(Data(("\u{1B}[H\u{1B}[2J" + text).utf8))
                }
            }
        }
        try await ServiceGroup.runUntilSignalled(controller)
        let interrupted = controller.wasStopped
        display.cancel()
        _ = await display.result
        // Deleted meanwhile (by another command): nothing is left to report but that.
        let deleted = uids.filter { uid in (try? store.specVersion(uid: uid)).flatMap { $0 } == nil }
        if !deleted.isEmpty {
            let what =
                deleted.count == 1
                ? "a workflow this command ran was" : "\(deleted.count) workflows this command ran were"
            FileHandle.standardError.write(Data("argosy: \(what) deleted; its running steps were killed\n".utf8))
        }

        // The plain report needs each workflow's phase only: its nodes (10,000 for a large loop) are not loaded.
        if follower == nil, options.output == nil, !watch, !interrupted {
            let outcomes = try uids.compactMap { uid throws(ArgosyError) in try store.outcome(uid: uid) }
            for o in outcomes {
                print("\(o.name) \(o.phase?.rawValue ?? "Unknown") at \(o.finishedAt.map(Timestamp.format) ?? "")")
            }
            return outcomes.count == uids.count && outcomes.allSatisfy { $0.phase == .succeeded }
        }
        var views: [WorkflowView] = []
        for uid in uids { if let stored = try store.get(uid: uid) { views.append(WorkflowView(stored)) } }
        if let follower {
            for v in views {
                follower.printNew(uid: v.workflow.metadata.uid ?? "", nodes: Array(v.nodes.values), flushPartial: true)
            }
        }
        if interrupted {
            try context.ensureBackgroundController()
            FileHandle.standardError.write(
                Data("argosy: stopped following; the workflow goes on in the background controller\n".utf8))
            throw ExitCode(130)
        }
        if let output = options.output {
            print(WorkflowOutput.format(views, as: output))
        } else if watch {
            if interactive { FileHandle.standardOutput.write(Data("\u{1B}[H\u{1B}[2J".utf8)) }
            print(views.map { WorkflowPrinter().render($0) }.joined(separator: "\n"))
        } else {
            for v in views {
                print("\(v.name) \(v.phase?.rawValue ?? "Unknown") at \(v.finishedAt.map(Timestamp.format) ?? "")")
            }
        }
        return views.count == uids.count && views.allSatisfy { $0.phase == .succeeded }
    }

    func printSubmitted(_ wf: Workflow, store: WorkflowStore) {
        guard let stored = try? store.get(uid: wf.metadata.uid ?? "") else { return }
        if let output = options.output {
            print(WorkflowOutput.format([WorkflowView(stored)], as: output))
        } else {
            print(WorkflowPrinter(showsOrphans: false).render(WorkflowView(stored)), terminator: "")
        }
    }
}

extension ServiceGroup {
    /// Runs the controller in a service group of its own until its work is done, or until SIGTERM or SIGINT shut
    /// it down gracefully (its pass and commit finish, its leases are released).
    static func runUntilSignalled(_ controller: WorkflowController) async throws {
        var logger = Logger(label: "argosy")
        logger.logLevel = .warning
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: controller, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// `-o name|json|yaml|wide` for workflows.
enum WorkflowOutput {
    static func format(_ views: [WorkflowView], as output: String) -> String {
        switch output {
        case "name": return views.map(\.name).joined(separator: "\n")
        case "json":
            return views.count == 1
                ? views[0].argoJSON().prettyJSON : JSONValue.array(views.map { $0.argoJSON() }).prettyJSON
        case "yaml":
            return views.map { YAMLText.render($0.argoJSON()) }.joined(separator: "---\n")
        case "wide": return views.map { WorkflowPrinter(wide: true).render($0) }.joined(separator: "\n")
        default: return views.map { WorkflowPrinter().render($0) }.joined(separator: "\n")
        }
    }
}
