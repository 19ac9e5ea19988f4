import ArgosyEngine
import ArgosyModel
import ArgosyStore
import ArgumentParser
import Foundation

/// `argosy cron …`: CronWorkflows, run by the background controller on their schedules.
struct CronCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cron",
        abstract: "Manage CronWorkflows (the background controller runs them on schedule).",
        subcommands: [Create.self, List.self, Get.self, Update.self, Delete.self, Suspend.self, Resume.self, Lint.self])

    static func load(_ files: [String]) throws -> [CronWorkflow] {
        let manifests = ManifestFiles(paths: files)
        if manifests.report() { throw ExitCode(1) }
        return try manifests.loaded.map { item in
            guard case .cronWorkflow(let cron)? = item.resource else {
                throw fail(
                    "\(item.document.file): expected kind CronWorkflow, found \(item.resource?.kind ?? "nothing")")
            }
            return cron
        }
    }

    static func store(_ files: [String], namespace: String, update: Bool) throws {
        let crons = try load(files)
        let context = CLIContext()
        do {
            let store = try context.openStore()
            for var cron in crons {
                let name = cron.metadata.name ?? ""
                try WorkflowPreparation.validateName(name)
                _ = try CronPlanner(cron)
                cron.metadata.namespace = cron.metadata.namespace ?? namespace
                if cron.metadata.creationTimestamp == nil { cron.metadata.creationTimestamp = Date() }
                let manifest = try WorkflowStore.encodeManifest(cron)
                let ns = cron.metadata.namespace ?? namespace
                if update {
                    try store.updateResource(.cronWorkflow, namespace: ns, name: name, manifest: manifest)
                    print("cronworkflow.argoproj.io/\(name) updated")
                } else {
                    try store.createResource(.cronWorkflow, namespace: ns, name: name, manifest: manifest, now: Date())
                    print("cronworkflow.argoproj.io/\(name) created")
                }
            }
            try context.ensureBackgroundController()
        } catch let error as ArgosyError {
            throw fail(error.description)
        }
    }

    static func find(_ store: WorkflowStore, _ name: String, _ namespace: String) throws -> (
        StoredResource, CronWorkflow
    ) {
        guard let r = try store.resource(.cronWorkflow, namespace: namespace, name: name) else {
            throw ArgosyError(.notFound, "cronworkflows.argoproj.io \"\(name)\" not found")
        }
        return (r, try WorkflowStore.decodeManifest(CronWorkflow.self, r.manifest))
    }

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create", abstract: "Store CronWorkflows from files.")
        @OptionGroup var global: LocalOptions
        @Argument var files: [String]
        func run() throws { try CronCommand.store(files, namespace: global.resolvedNamespace, update: false) }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "update", abstract: "Replace stored CronWorkflows.")
        @OptionGroup var global: LocalOptions
        @Argument var files: [String]
        func run() throws { try CronCommand.store(files, namespace: global.resolvedNamespace, update: true) }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List CronWorkflows with their last and next runs.")
        @OptionGroup var global: LocalOptions
        @Flag(name: [.customShort("A"), .customLong("all-namespaces")]) var allNamespaces = false
        @Option(name: [.short, .long]) var output: String?

        func run() throws {
            do {
                let store = try CLIContext().openStore()
                let all = try store.resources(.cronWorkflow, namespace: allNamespaces ? nil : global.resolvedNamespace)
                if output == "name" {
                    for r in all { print(r.name) }
                    return
                }
                if all.isEmpty {
                    print("No cron workflows found")
                    return
                }
                let now = Date()
                var table = TextTable()
                var header = ["NAME", "AGE", "LAST RUN", "NEXT RUN", "SCHEDULES", "TIMEZONE", "SUSPENDED"]
                if allNamespaces { header.insert("NAMESPACE", at: 0) }
                table.add(header)
                for r in all {
                    let cron = try WorkflowStore.decodeManifest(CronWorkflow.self, r.manifest)
                    let state = try store.cronState(CronState.self, namespace: r.namespace, name: r.name)
                    let planner = try? CronPlanner(cron)
                    let next = planner?.schedules.compactMap { $0.next(after: now) }.min()
                    let last = state?.lastScheduledTime.map { Humanize.short(from: $0, to: now) } ?? "N/A"
                    let nextText =
                        cron.spec.suspend == true ? "N/A" : next.map { Humanize.short(from: now, to: $0) } ?? "N/A"
                    let schedules = ((cron.spec.schedules ?? []) + (cron.spec.schedule.map { [$0] } ?? [])).joined(
                        separator: ",")
                    var cells = [
                        r.name, Humanize.short(from: r.createdAt, to: now), last, nextText, schedules,
                        cron.spec.timezone ?? "", String(cron.spec.suspend == true),
                    ]
                    if allNamespaces { cells.insert(r.namespace, at: 0) }
                    table.add(cells)
                }
                print(table.render(), terminator: "")
            } catch let error as ArgosyError {
                throw fail(error.description)
            }
        }
    }

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get", abstract: "Show a CronWorkflow.")
        @OptionGroup var global: LocalOptions
        @Argument var name: String
        @Option(name: [.short, .long]) var output: String?

        func run() throws {
            do {
                let store = try CLIContext().openStore()
                let (resource, cron) = try CronCommand.find(store, name, global.resolvedNamespace)
                let state =
                    try store.cronState(CronState.self, namespace: resource.namespace, name: name) ?? CronState()
                switch output {
                case "json", "yaml":
                    var value = (try? JSONValue(encoding: cron)) ?? .null
                    if case .object(var o) = value {
                        o["status"] = (try? JSONValue(encoding: state)) ?? .null
                        value = .object(o)
                    }
                    print(
                        output == "json" ? value.prettyJSON : YAMLText.render(value),
                        terminator: output == "json" ? "\n" : "")
                default:
                    let now = Date()
                    let next = (try? CronPlanner(cron))?.schedules.compactMap { $0.next(after: now) }.min()
                    func line(_ l: String, _ v: String) {
                        print(l.padding(toLength: 20, withPad: " ", startingAt: 0) + " " + v)
                    }
                    line("Name:", name)
                    line("Namespace:", resource.namespace)
                    line("Created:", Humanize.timestamp(resource.createdAt, now: now))
                    line(
                        "Schedules:",
                        ((cron.spec.schedules ?? []) + (cron.spec.schedule.map { [$0] } ?? [])).joined(separator: ","))
                    line("Suspended:", String(cron.spec.suspend == true))
                    if let tz = cron.spec.timezone { line("Timezone:", tz) }
                    line("ConcurrencyPolicy:", cron.spec.concurrencyPolicy ?? "Allow")
                    if let d = cron.spec.startingDeadlineSeconds { line("StartingDeadlineSeconds:", String(d)) }
                    if let last = state.lastScheduledTime {
                        line("LastScheduledTime:", Humanize.timestamp(last, now: now))
                    }
                    if let next, cron.spec.suspend != true {
                        line("NextScheduledTime:", Humanize.timestamp(next, now: now))
                    }
                    let active = try store.cronRuns(namespace: resource.namespace, cron: name).filter {
                        $0.phase?.isFinished != true
                    }
                    if !active.isEmpty { line("Active Workflows:", active.map(\.name).joined(separator: ", ")) }
                    line("Succeeded:", String(state.succeeded))
                    line("Failed:", String(state.failed))
                }
            } catch let error as ArgosyError {
                throw fail(error.description)
            }
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "delete", abstract: "Delete CronWorkflows (their runs stay).")
        @OptionGroup var global: LocalOptions
        @Argument var names: [String]

        func run() throws {
            do {
                let store = try CLIContext().openStore()
                for name in names {
                    guard try store.deleteResource(.cronWorkflow, namespace: global.resolvedNamespace, name: name)
                    else {
                        throw ArgosyError(.notFound, "cronworkflows.argoproj.io \"\(name)\" not found")
                    }
                    try store.deleteCronState(namespace: global.resolvedNamespace, name: name)
                    print("CronWorkflow '\(name)' deleted")
                }
            } catch let error as ArgosyError {
                throw fail(error.description)
            }
        }
    }

    static func setSuspended(_ names: [String], _ namespace: String, _ suspended: Bool) throws {
        do {
            let context = CLIContext()
            let store = try context.openStore()
            for name in names {
                var (_, cron) = try find(store, name, namespace)
                cron.spec.suspend = suspended ? true : nil
                try store.updateResource(
                    .cronWorkflow, namespace: namespace, name: name, manifest: try WorkflowStore.encodeManifest(cron))
                print("CronWorkflow '\(name)' \(suspended ? "suspended" : "resumed")")
            }
            if !suspended { try context.ensureBackgroundController() }
        } catch let error as ArgosyError {
            throw fail(error.description)
        }
    }

    struct Suspend: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "suspend", abstract: "Stop scheduling CronWorkflows.")
        @OptionGroup var global: LocalOptions
        @Argument var names: [String]
        func run() throws { try CronCommand.setSuspended(names, global.resolvedNamespace, true) }
    }

    struct Resume: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "resume", abstract: "Schedule suspended CronWorkflows again.")
        @OptionGroup var global: LocalOptions
        @Argument var names: [String]
        func run() throws { try CronCommand.setSuspended(names, global.resolvedNamespace, false) }
    }

    struct Lint: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "lint", abstract: "Lint CronWorkflow files.")
        @Argument var files: [String]
        func run() throws {
            for cron in try CronCommand.load(files) {
                do { _ = try CronPlanner(cron) } catch { throw fail(error.description) }
            }
            print("✔ no linting errors found!")
        }
    }
}
