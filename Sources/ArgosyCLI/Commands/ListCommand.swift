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

    func run() throws {
        let context = CLIContext()
        if let remote = global.remote {
            do {
                let views = try remote.list(global.resolvedNamespace)
                if output == "name" {
                    for v in views { print(v.name) }
                } else if views.isEmpty {
                    print("No workflows found")
                } else {
                    var table = TextTable()
                    table.add(["NAME", "STATUS", "AGE", "DURATION", "PRIORITY", "MESSAGE"])
                    let now = Date()
                    for v in views {
                        table.add([
                            v.name, v.statusText,
                            Humanize.short(from: v.workflow.metadata.creationTimestamp, to: now, now: now),
                            Humanize.short(from: v.startedAt, to: v.finishedAt, now: now),
                            String(v.workflow.spec.priority ?? 0),
                            v.message ?? "",
                        ])
                    }
                    print(table.render(), terminator: "")
                }
                return
            } catch let error as ArgosyError {
                throw fail(error.description)
            }
        }
        do {
            let store = try context.openStore()
            var rows = try store.list(namespace: allNamespaces ? nil : global.resolvedNamespace)
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
                var views: [WorkflowView] = []
                for r in rows { if let s = try store.get(uid: r.uid) { views.append(WorkflowView(s)) } }
                let list = JSONValue.array(views.map { $0.argoJSON() })
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

    static func table(_ rows: [WorkflowSummary], namespaces: Bool, wide: Bool, now: Date = Date()) -> String {
        var table = TextTable()
        var header = ["NAME", "STATUS", "AGE", "DURATION", "PRIORITY", "MESSAGE"]
        if namespaces { header.insert("NAMESPACE", at: 0) }
        if wide { header += ["UID"] }
        table.add(header)
        for r in rows {
            var status = r.phase?.rawValue ?? "Pending"
            if r.phase == .running, r.suspended { status = "Running (Suspended)" }
            if r.phase == .failed, r.shutdown { status = "Failed (Terminated)" }
            var cells = [
                r.name, status, Humanize.short(from: r.createdAt, to: now, now: now),
                Humanize.short(from: r.startedAt, to: r.finishedAt, now: now), String(r.priority), r.message ?? "",
            ]
            if namespaces { cells.insert(r.namespace, at: 0) }
            if wide { cells += [r.uid] }
            table.add(cells)
        }
        return table.render()
    }
}
