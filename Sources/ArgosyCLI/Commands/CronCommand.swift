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

    static func store(_ files: [String], global: GlobalOptions, update: Bool) throws {
        let crons = try load(files)
        do {
            let source = try ResourceSource(global)
            for var cron in crons {
                let name = cron.metadata.name ?? ""
                try WorkflowPreparation.validateName(name)
                _ = try CronPlanner(cron)
                let ns = cron.metadata.namespace ?? global.resolvedNamespace
                cron.metadata.namespace = ns
                if cron.metadata.creationTimestamp == nil { cron.metadata.creationTimestamp = Date() }
                try source.save(.cronWorkflow, cron, name: name, namespace: ns, update: update)
                print("cronworkflow.argoproj.io/\(name) \(update ? "updated" : "created")")
            }
            try source.ensureScheduler()
        } catch let error as ArgosyError {
            throw fail(error.description)
        }
    }

    /// A CronWorkflow in its API form: the manifest and Argo's `status`.
    struct Document {
        var cron: CronWorkflow
        var json: JSONValue
        var status: JSONValue { json["status"] ?? .null }
        var name: String { cron.metadata.name ?? "" }
        var namespace: String { cron.metadata.namespace ?? "" }
        var lastScheduledTime: Date? { status["lastScheduledTime"]?.stringValue.flatMap(Timestamp.parse) }
        var schedules: String {
            ((cron.spec.schedules ?? []) + (cron.spec.schedule.map { [$0] } ?? [])).joined(separator: ",")
        }

        init(_ json: JSONValue) throws {
            self.json = json
            cron = try JSONValueDecoder().decode(CronWorkflow.self, from: json).0
        }

        /// The next time a schedule fires (none while suspended).
        func next(after now: Date) -> Date? {
            if cron.spec.suspend == true { return nil }
            return (try? CronPlanner(cron))?.schedules.compactMap { $0.next(after: now) }.min()
        }
    }

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create", abstract: "Store CronWorkflows from files.")
        @OptionGroup var global: GlobalOptions
        @Argument var files: [String]
        func run() throws { try CronCommand.store(files, global: global, update: false) }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "update", abstract: "Replace stored CronWorkflows.")
        @OptionGroup var global: GlobalOptions
        @Argument var files: [String]
        func run() throws { try CronCommand.store(files, global: global, update: true) }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List CronWorkflows with their last and next runs.")
        @OptionGroup var global: GlobalOptions
        @Flag(name: [.customShort("A"), .customLong("all-namespaces")]) var allNamespaces = false
        @Option(name: [.short, .long]) var output: String?

        func run() throws {
            do {
                let all = try ResourceSource(global).list(
                    .cronWorkflow, namespace: allNamespaces ? nil : global.resolvedNamespace
                ).map(CronCommand.Document.init)
                if output == "name" {
                    for c in all { print(c.name) }
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
                for c in all {
                    var cells = [
                        c.name, Humanize.short(from: c.cron.metadata.creationTimestamp, to: now, now: now),
                        c.lastScheduledTime.map { Humanize.short(from: $0, to: now) } ?? "N/A",
                        c.next(after: now).map { Humanize.short(from: now, to: $0) } ?? "N/A", c.schedules,
                        c.cron.spec.timezone ?? "", String(c.cron.spec.suspend == true),
                    ]
                    if allNamespaces { cells.insert(c.namespace, at: 0) }
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
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        @Option(name: [.short, .long]) var output: String?

        func run() throws {
            do {
                let c = try CronCommand.Document(
                    try ResourceSource(global).get(.cronWorkflow, namespace: global.resolvedNamespace, name: name))
                switch output {
                case "json": print(c.json.prettyJSON)
                case "yaml": print(YAMLText.render(c.json), terminator: "")
                default:
                    let now = Date()
                    let spec = c.cron.spec
                    func line(_ l: String, _ v: String) {
                        print(l.padding(toLength: 20, withPad: " ", startingAt: 0) + " " + v)
                    }
                    line("Name:", name)
                    line("Namespace:", c.namespace)
                    if let created = c.cron.metadata.creationTimestamp {
                        line("Created:", Humanize.timestamp(created, now: now))
                    }
                    line("Schedules:", c.schedules)
                    line("Suspended:", String(spec.suspend == true))
                    if let tz = spec.timezone { line("Timezone:", tz) }
                    line("ConcurrencyPolicy:", spec.concurrencyPolicy ?? "Allow")
                    if let d = spec.startingDeadlineSeconds { line("StartingDeadlineSeconds:", String(d)) }
                    if let last = c.lastScheduledTime { line("LastScheduledTime:", Humanize.timestamp(last, now: now)) }
                    if let next = c.next(after: now) { line("NextScheduledTime:", Humanize.timestamp(next, now: now)) }
                    let active = (c.status["active"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
                    if !active.isEmpty { line("Active Workflows:", active.joined(separator: ", ")) }
                    line("Succeeded:", String(Int(c.status["succeeded"]?.doubleValue ?? 0)))
                    line("Failed:", String(Int(c.status["failed"]?.doubleValue ?? 0)))
                }
            } catch let error as ArgosyError {
                throw fail(error.description)
            }
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "delete", abstract: "Delete CronWorkflows (their runs stay).")
        @OptionGroup var global: GlobalOptions
        @Argument var names: [String]

        func run() throws {
            do {
                let source = try ResourceSource(global)
                for name in names {
                    try source.delete(.cronWorkflow, namespace: global.resolvedNamespace, name: name)
                    print("CronWorkflow '\(name)' deleted")
                }
            } catch let error as ArgosyError {
                throw fail(error.description)
            }
        }
    }

    static func setSuspended(_ names: [String], _ global: GlobalOptions, _ suspended: Bool) throws {
        do {
            let source = try ResourceSource(global)
            for name in names {
                try source.setSuspended(name, namespace: global.resolvedNamespace, suspended)
                print("CronWorkflow '\(name)' \(suspended ? "suspended" : "resumed")")
            }
        } catch let error as ArgosyError {
            throw fail(error.description)
        }
    }

    struct Suspend: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "suspend", abstract: "Stop scheduling CronWorkflows.")
        @OptionGroup var global: GlobalOptions
        @Argument var names: [String]
        func run() throws { try CronCommand.setSuspended(names, global, true) }
    }

    struct Resume: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "resume", abstract: "Schedule suspended CronWorkflows again.")
        @OptionGroup var global: GlobalOptions
        @Argument var names: [String]
        func run() throws { try CronCommand.setSuspended(names, global, false) }
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
