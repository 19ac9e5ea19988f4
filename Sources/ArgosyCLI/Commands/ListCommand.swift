import ArgosyModel
import ArgosyStore
import ArgumentParser
import Foundation

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List workflows, newest first.")

    @OptionGroup var global: GlobalOptions
    @Flag(name: [.customShort("A"), .customLong("all-namespaces")], help: "List workflows of every namespace.")
    var allNamespaces = false
    @Option(help: "Only these phases (comma-separated: Pending, Running, Succeeded, Failed, Error).") var status:
        String?
    @Flag(help: "Only running workflows.") var running = false
    @Flag(help: "Only completed workflows.") var completed = false
    @Option(help: "Only names with this prefix.") var prefix: String?
    @Option(name: [.short, .long], help: "Output: name, json, yaml or wide.") var output: String?

    /// One line of the list, from the local store or from a server.
    struct Row {
        var uid: String
        var namespace: String
        var name: String
        var phase: WorkflowPhase?
        var status: String
        var createdAt: Date?
        var startedAt: Date?
        var finishedAt: Date?
        var priority: Int
        var message: String?

        init(_ r: WorkflowSummary) {
            var status = r.phase?.rawValue ?? "Pending"
            if r.phase == .running, r.suspended { status = "Running (Suspended)" }
            if r.phase == .failed, r.shutdown { status = "Failed (Terminated)" }
            (uid, namespace, name, phase, self.status) = (r.uid, r.namespace, r.name, r.phase, status)
            (createdAt, startedAt, finishedAt, priority, message) =
                (r.createdAt, r.startedAt, r.finishedAt, r.priority, r.message)
        }

        init(_ v: WorkflowView) {
            (uid, namespace, name, phase, status) =
                (v.workflow.metadata.uid ?? "", v.workflow.namespace, v.name, v.phase, v.statusText)
            (createdAt, startedAt, finishedAt, priority, message) =
                (
                    v.workflow.metadata.creationTimestamp, v.startedAt, v.finishedAt, v.workflow.spec.priority ?? 0,
                    v.message
                )
        }
    }

    func run() throws {
        let context = CLIContext()
        let namespace = allNamespaces ? nil : global.resolvedNamespace
        do {
            // A server sends whole workflows; the local store lists summaries and reads workflows only for json/yaml.
            var rows: [Row]
            var views: [String: WorkflowView] = [:]
            var store: WorkflowStore?
            if let remote = global.remote {
                let all = try remote.list(namespace ?? "")
                rows = all.map(Row.init)
                for v in all { views[v.workflow.metadata.uid ?? v.name] = v }
            } else {
                store = try context.openStore()
                rows = try store!.list(namespace: namespace).map(Row.init)
            }
            if let status {
                let wanted = Set(
                    status.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
                rows = rows.filter { wanted.contains(($0.phase?.rawValue ?? "Pending").lowercased()) }
            }
            if running { rows = rows.filter { $0.phase == nil || $0.phase == .running || $0.phase == .pending } }
            if completed { rows = rows.filter { $0.phase?.isFinished == true } }
            if let prefix { rows = rows.filter { $0.name.hasPrefix(prefix) } }
            switch output {
            case "name":
                for r in rows { print(r.name) }
            case "json", "yaml":
                var shown: [WorkflowView] = []
                for r in rows {
                    if let v = views[r.uid.isEmpty ? r.name : r.uid] {
                        shown.append(v)
                    } else if let s = try store?.get(uid: r.uid) {
                        shown.append(WorkflowView(s))
                    }
                }
                let list = JSONValue.array(shown.map { $0.argoJSON() })
                print(output == "json" ? list.prettyJSON : YAMLText.render(list))
            default:
                if rows.isEmpty {
                    print("No workflows found")
                    return
                }
                print(Self.table(rows, namespaces: allNamespaces, wide: output == "wide"), terminator: "")
            }
        } catch let error as ArgosyError {
            throw fail(error.description)
        }
    }

    static func table(_ rows: [Row], namespaces: Bool, wide: Bool, now: Date = Date()) -> String {
        var table = TextTable()
        var header = ["NAME", "STATUS", "AGE", "DURATION", "PRIORITY", "MESSAGE"]
        if namespaces { header.insert("NAMESPACE", at: 0) }
        if wide { header += ["UID"] }
        table.add(header)
        for r in rows {
            var cells = [
                r.name, r.status, Humanize.short(from: r.createdAt, to: now, now: now),
                Humanize.short(from: r.startedAt, to: r.finishedAt, now: now), String(r.priority), r.message ?? "",
            ]
            if namespaces { cells.insert(r.namespace, at: 0) }
            if wide { cells += [r.uid] }
            table.add(cells)
        }
        return table.render()
    }
}
