import ArgosyController
import ArgosyEngine
import ArgosyModel
import ArgosyStore
import ArgumentParser
import Foundation

/// Applies a change to named workflows and makes sure a controller acts on it.
struct WorkflowControl {
    let context = CLIContext()
    let namespace: String

    /// Calls `change` for each workflow and prints what it returns.
    func apply(_ names: [String], _ change: (WorkflowOperations, StoredWorkflow) throws -> String) throws {
        do {
            let store = try context.openStore()
            let operations = context.operations(store)
            for name in names {
                let wf = try context.findWorkflow(store, name, namespace: namespace)
                print(try change(operations, wf))
            }
            try context.ensureBackgroundController()
        } catch let error as ArgosyError {
            throw fail(error.description)
        }
    }
}

struct SuspendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suspend", abstract: "Suspend workflows: running steps finish, no new step starts.")
    @OptionGroup var global: GlobalOptions
    @Argument var names: [String]

    func run() throws {
        if let remote = global.remote {
            do { try remote.control("suspend", global.resolvedNamespace, names) } catch let error as ArgosyError {
                throw fail(error.description)
            }
            return
        }
        try WorkflowControl(namespace: global.resolvedNamespace).apply(names) { operations, wf in
            try operations.suspend(wf)
            return "workflow \(wf.workflow.name) suspended"
        }
    }
}

struct ResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume", abstract: "Resume suspended workflows and their suspend steps.")
    @OptionGroup var global: GlobalOptions
    @Argument var names: [String]
    @Option(
        name: .customLong("node-field-selector"),
        help: "Resume only the suspend nodes this selects, e.g. displayName=approve.")
    var nodeFieldSelector: String?

    func run() throws {
        if let selector = nodeFieldSelector {
            do { try NodeFieldSelector.validate(selector) } catch {
                throw fail("--node-field-selector: \(error.message)")
            }
        }
        if let remote = global.remote {
            do {
                let body: JSONValue = nodeFieldSelector.map { ["nodeFieldSelector": .string($0)] } ?? [:]
                try remote.control("resume", global.resolvedNamespace, names, body: body)
            } catch let error as ArgosyError {
                throw fail(error.description)
            }
            return
        }
        try WorkflowControl(namespace: global.resolvedNamespace).apply(names) { operations, wf in
            try operations.resume(wf, nodeFieldSelector: nodeFieldSelector)
            return "workflow \(wf.workflow.name) resumed"
        }
    }
}

struct StopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "Stop workflows: kill running steps, then run exit handlers.")
    @OptionGroup var global: GlobalOptions
    @Argument var names: [String]

    func run() throws {
        if let remote = global.remote {
            do { try remote.control("stop", global.resolvedNamespace, names) } catch let error as ArgosyError {
                throw fail(error.description)
            }
            return
        }
        try WorkflowControl(namespace: global.resolvedNamespace).apply(names) { operations, wf in
            try operations.stop(wf)
            return "workflow \(wf.workflow.name) stopped"
        }
    }
}

struct TerminateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "terminate", abstract: "Terminate workflows: kill running steps, skip exit handlers.")
    @OptionGroup var global: GlobalOptions
    @Argument var names: [String]

    func run() throws {
        if let remote = global.remote {
            do { try remote.control("terminate", global.resolvedNamespace, names) } catch let error as ArgosyError {
                throw fail(error.description)
            }
            return
        }
        try WorkflowControl(namespace: global.resolvedNamespace).apply(names) { operations, wf in
            try operations.terminate(wf)
            return "workflow \(wf.workflow.name) terminated"
        }
    }
}

struct RetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry", abstract: "Run the failed steps of a finished workflow again, keeping what succeeded.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var run: RunOptions
    @Argument var names: [String]

    func run() async throws {
        let context = CLIContext()
        if let remote = global.remote {
            do {
                // The server answers once the retry is applied, so following starts from the new run.
                try remote.control("retry", global.resolvedNamespace, names)
                if run.waits, try !remote.follow(names, namespace: global.resolvedNamespace, options: run) {
                    throw ExitCode(1)
                }
            } catch let error as ArgosyError {
                throw fail(error.description)
            }
            return
        }
        var uids: [String] = []
        var retried: [String] = []
        do {
            let store = try context.openStore()
            let operations = context.operations(store)
            for name in names {
                let wf = try context.findWorkflow(store, name, namespace: global.resolvedNamespace)
                try operations.retry(wf)
                uids.append(wf.uid)
                retried.append(wf.workflow.name)
            }
        } catch let error as ArgosyError {
            throw fail(error.description)
        }
        let runner = WorkflowRunner(context: context, options: run)
        if run.waits {
            if try await !runner.run(uids: uids) { throw ExitCode(1) }
        } else {
            try context.ensureBackgroundController()
            for name in retried { print("workflow \(name) retried") }
        }
    }
}

struct ResubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resubmit", abstract: "Submit a new workflow with the same spec as an earlier one.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var run: RunOptions
    @Argument var names: [String]
    @Option(name: [.short, .customLong("parameter")], help: "Override a parameter, NAME=VALUE (repeatable).")
    var parameters: [String] = []

    func run() async throws {
        let context = CLIContext()
        if let remote = global.remote {
            do {
                let body: JSONValue = ["parameters": .array(parameters.map { .string($0) })]
                if try !remote.resubmit(global.resolvedNamespace, names, body: body, options: run) { throw ExitCode(1) }
            } catch let error as ArgosyError {
                throw fail(error.description)
            }
            return
        }
        var workflows: [Workflow] = []
        do {
            let store = try context.openStore()
            let operations = context.operations(store)
            var options = context.preparationOptions(namespace: global.resolvedNamespace)
            options.parameters = try SubmitCommand.parseParameters(parameters, file: nil)
            for name in names {
                let old = try context.findWorkflow(store, name, namespace: global.resolvedNamespace)
                workflows.append(try operations.resubmission(of: old.workflow, options: options, now: Date()))
            }
        } catch let error as ArgosyError {
            throw fail(error.description)
        }
        let generated = Set(workflows.compactMap(\.metadata.uid))
        if try await !WorkflowRunner(context: context, options: run).start(workflows, generated: generated) {
            throw ExitCode(1)
        }
    }
}
