import ArgosyEngine
import ArgosyModel
import ArgosyStore
import ArgumentParser
import Foundation

/// `create`, `list`, `get`, `update`, `delete` and `lint` for stored WorkflowTemplates and
/// ClusterWorkflowTemplates (Argo's `argo template` and `argo cluster-template`).
struct StoredTemplates {
    let kind: ResourceKind
    /// Where they are kept: the local store, or the server these options name.
    let global: GlobalOptions
    var noun: String { kind == .workflowTemplate ? "WorkflowTemplate" : "ClusterWorkflowTemplate" }

    /// Lints the files and returns their templates of this kind; other kinds or lint errors fail.
    func load(_ files: [String]) throws -> [Workflow] {
        let manifests = ManifestFiles(paths: files)
        if manifests.report() { throw ExitCode(1) }
        var out: [Workflow] = []
        for item in manifests.loaded {
            switch (item.resource, kind) {
            case (.workflowTemplate(let wf)?, .workflowTemplate),
                (.clusterWorkflowTemplate(let wf)?, .clusterWorkflowTemplate):
                out.append(wf)
            default:
                throw fail("\(item.document.file): expected kind \(noun), found \(item.resource?.kind ?? "nothing")")
            }
        }
        return out
    }

    func create(_ files: [String], namespace: String, update: Bool) throws {
        let templates = try load(files)
        do {
            let source = try ResourceSource(global)
            for var t in templates {
                let name = t.metadata.name ?? ""
                try WorkflowPreparation.validateName(name)
                let ns = kind.isClusterScoped ? "" : (t.metadata.namespace ?? namespace)
                t.metadata.namespace = kind.isClusterScoped ? nil : ns
                if t.metadata.creationTimestamp == nil { t.metadata.creationTimestamp = Date() }
                try source.save(kind, t, name: name, namespace: ns, update: update)
                print("\(noun.lowercased()).argoproj.io/\(name) \(update ? "updated" : "created")")
            }
        } catch let error as ArgosyError {
            throw fail(error.description)
        }
    }

    func list(namespace: String?, output: String?) throws {
        do {
            let all = try ResourceSource(global).list(kind, namespace: namespace)
            let names = all.map { $0["metadata"]?["name"]?.stringValue ?? "" }
            if output == "name" {
                for name in names { print(name) }
                return
            }
            if all.isEmpty {
                print("No \(kind.plural) found")
                return
            }
            let namespaces = namespace == nil && !kind.isClusterScoped
            var table = TextTable()
            table.add(namespaces ? ["NAMESPACE", "NAME", "AGE"] : ["NAME", "AGE"])
            let now = Date()
            for (item, name) in zip(all, names) {
                let created = item["metadata"]?["creationTimestamp"]?.stringValue.flatMap(Timestamp.parse)
                let age = Humanize.short(from: created, to: now, now: now)
                let ns = item["metadata"]?["namespace"]?.stringValue ?? ""
                table.add(namespaces ? [ns, name, age] : [name, age])
            }
            print(table.render(), terminator: "")
        } catch let error as ArgosyError {
            throw fail(error.description)
        }
    }

    func get(_ names: [String], namespace: String, output: String?) throws {
        do {
            let source = try ResourceSource(global)
            for name in names {
                let json = try source.get(kind, namespace: namespace, name: name)
                let (wf, _) = try JSONValueDecoder().decode(Workflow.self, from: json)
                switch output {
                case "json": print(json.prettyJSON)
                case "yaml": print(YAMLText.render(json), terminator: "")
                case "name": print(name)
                default:
                    print("Name:                \(name)")
                    if !kind.isClusterScoped { print("Namespace:           \(wf.namespace)") }
                    if let created = wf.metadata.creationTimestamp {
                        print("Created:             \(Humanize.timestamp(created))")
                    }
                    if let e = wf.spec.entrypoint { print("Entrypoint:          \(e)") }
                    print("Templates:           \((wf.spec.templates ?? []).map(\.name).joined(separator: ", "))")
                }
            }
        } catch let error as ArgosyError {
            throw fail(error.description)
        }
    }

    func delete(_ names: [String], namespace: String, all: Bool) throws {
        do {
            let source = try ResourceSource(global)
            let targets =
                all
                ? try source.list(kind, namespace: namespace).map { $0["metadata"]?["name"]?.stringValue ?? "" } : names
            for name in targets {
                try source.delete(kind, namespace: namespace, name: name)
                print("\(noun) '\(name)' deleted")
            }
        } catch let error as ArgosyError {
            throw fail(error.description)
        }
    }
}

/// The subcommands shared by `template` and `cluster-template`.
protocol TemplateSubcommand: ParsableCommand {
    static var kind: ResourceKind { get }
}

struct TemplateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "template", abstract: "Manage WorkflowTemplates (runbooks submitted with submit --from).",
        subcommands: [Create.self, List.self, Get.self, Update.self, Delete.self, Lint.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create", abstract: "Store WorkflowTemplates from files.")
        @OptionGroup var global: GlobalOptions
        @Argument var files: [String]
        func run() throws {
            try StoredTemplates(kind: .workflowTemplate, global: global).create(
                files, namespace: global.resolvedNamespace, update: false)
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "update", abstract: "Replace stored WorkflowTemplates.")
        @OptionGroup var global: GlobalOptions
        @Argument var files: [String]
        func run() throws {
            try StoredTemplates(kind: .workflowTemplate, global: global).create(
                files, namespace: global.resolvedNamespace, update: true)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List WorkflowTemplates.")
        @OptionGroup var global: GlobalOptions
        @Flag(name: [.customShort("A"), .customLong("all-namespaces")]) var allNamespaces = false
        @Option(name: [.short, .long]) var output: String?
        func run() throws {
            try StoredTemplates(kind: .workflowTemplate, global: global).list(
                namespace: allNamespaces ? nil : global.resolvedNamespace, output: output)
        }
    }

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get", abstract: "Show WorkflowTemplates.")
        @OptionGroup var global: GlobalOptions
        @Argument var names: [String]
        @Option(name: [.short, .long]) var output: String?
        func run() throws {
            try StoredTemplates(kind: .workflowTemplate, global: global).get(
                names, namespace: global.resolvedNamespace, output: output)
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete WorkflowTemplates.")
        @OptionGroup var global: GlobalOptions
        @Argument var names: [String] = []
        @Flag var all = false
        func run() throws {
            try StoredTemplates(kind: .workflowTemplate, global: global).delete(
                names, namespace: global.resolvedNamespace, all: all)
        }
    }

    struct Lint: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "lint", abstract: "Lint WorkflowTemplate files.")
        @OptionGroup var global: GlobalOptions
        @Argument var files: [String]
        func run() throws {
            _ = try StoredTemplates(kind: .workflowTemplate, global: global).load(files)
            print("✔ no linting errors found!")
        }
    }
}

struct ClusterTemplateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster-template", abstract: "Manage ClusterWorkflowTemplates (shared by every namespace).",
        subcommands: [Create.self, List.self, Get.self, Update.self, Delete.self, Lint.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create", abstract: "Store ClusterWorkflowTemplates from files.")
        @OptionGroup var global: GlobalOptions
        @Argument var files: [String]
        func run() throws {
            try StoredTemplates(kind: .clusterWorkflowTemplate, global: global).create(
                files, namespace: "", update: false)
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "update", abstract: "Replace stored ClusterWorkflowTemplates.")
        @OptionGroup var global: GlobalOptions
        @Argument var files: [String]
        func run() throws {
            try StoredTemplates(kind: .clusterWorkflowTemplate, global: global).create(
                files, namespace: "", update: true)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List ClusterWorkflowTemplates.")
        @OptionGroup var global: GlobalOptions
        @Option(name: [.short, .long]) var output: String?
        func run() throws {
            try StoredTemplates(kind: .clusterWorkflowTemplate, global: global).list(namespace: "", output: output)
        }
    }

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get", abstract: "Show ClusterWorkflowTemplates.")
        @OptionGroup var global: GlobalOptions
        @Argument var names: [String]
        @Option(name: [.short, .long]) var output: String?
        func run() throws {
            try StoredTemplates(kind: .clusterWorkflowTemplate, global: global).get(
                names, namespace: "", output: output)
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "delete", abstract: "Delete ClusterWorkflowTemplates.")
        @OptionGroup var global: GlobalOptions
        @Argument var names: [String] = []
        @Flag var all = false
        func run() throws {
            try StoredTemplates(kind: .clusterWorkflowTemplate, global: global).delete(names, namespace: "", all: all)
        }
    }

    struct Lint: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "lint", abstract: "Lint ClusterWorkflowTemplate files.")
        @OptionGroup var global: GlobalOptions
        @Argument var files: [String]
        func run() throws {
            _ = try StoredTemplates(kind: .clusterWorkflowTemplate, global: global).load(files)
            print("✔ no linting errors found!")
        }
    }
}
