import ArgosyEngine
import ArgosyModel
import ArgosyStore
import ArgumentParser
import Foundation

/// `create`, `list`, `get`, `update`, `delete` and `lint` for stored WorkflowTemplates and
/// ClusterWorkflowTemplates (Argo's `argo template` and `argo cluster-template`).
struct StoredTemplates {
    let kind: ResourceKind
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
            let store = try CLIContext().openStore()
            for var t in templates {
                let name = t.metadata.name ?? ""
                try WorkflowPreparation.validateName(name)
                let ns = kind.isClusterScoped ? "" : (t.metadata.namespace ?? namespace)
                t.metadata.namespace = kind.isClusterScoped ? nil : ns
                if t.metadata.creationTimestamp == nil { t.metadata.creationTimestamp = Date() }
                let manifest = try WorkflowStore.encodeManifest(t)
                if update {
                    try store.updateResource(kind, namespace: ns, name: name, manifest: manifest)
                    print("\(noun.lowercased()).argoproj.io/\(name) updated")
                } else {
                    try store.createResource(kind, namespace: ns, name: name, manifest: manifest, now: Date())
                    print("\(noun.lowercased()).argoproj.io/\(name) created")
                }
            }
        } catch let error as ArgosyError {
            throw fail(error.description)
        }
    }

    func list(namespace: String?, output: String?) throws {
        do {
            let all = try CLIContext().openStore().resources(kind, namespace: namespace)
            if output == "name" {
                for r in all { print(r.name) }
                return
            }
            if all.isEmpty {
                print("No \(kind.plural) found")
                return
            }
            var table = TextTable()
            table.add(namespace == nil && !kind.isClusterScoped ? ["NAMESPACE", "NAME", "AGE"] : ["NAME", "AGE"])
            for r in all {
                let age = Humanize.short(from: r.createdAt, to: Date())
                table.add(namespace == nil && !kind.isClusterScoped ? [r.namespace, r.name, age] : [r.name, age])
            }
            print(table.render(), terminator: "")
        } catch let error as ArgosyError {
            throw fail(error.description)
        }
    }

    func get(_ names: [String], namespace: String, output: String?) throws {
        do {
            let store = try CLIContext().openStore()
            for name in names {
                guard let wf = try store.workflowTemplate(name, namespace: namespace, cluster: kind.isClusterScoped)
                else {
                    throw ArgosyError(.notFound, "\(kind.plural).argoproj.io \"\(name)\" not found")
                }
                var shown = wf
                shown.kind = noun
                let json = (try? JSONValue(encoding: shown)) ?? .null
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
            let store = try CLIContext().openStore()
            let targets = all ? try store.resources(kind, namespace: namespace).map(\.name) : names
            for name in targets {
                guard try store.deleteResource(kind, namespace: namespace, name: name) else {
                    throw ArgosyError(.notFound, "\(kind.plural).argoproj.io \"\(name)\" not found")
                }
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
        @OptionGroup var global: LocalOptions
        @Argument var files: [String]
        func run() throws {
            try StoredTemplates(kind: .workflowTemplate).create(
                files, namespace: global.resolvedNamespace, update: false)
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "update", abstract: "Replace stored WorkflowTemplates.")
        @OptionGroup var global: LocalOptions
        @Argument var files: [String]
        func run() throws {
            try StoredTemplates(kind: .workflowTemplate).create(
                files, namespace: global.resolvedNamespace, update: true)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List WorkflowTemplates.")
        @OptionGroup var global: LocalOptions
        @Flag(name: [.customShort("A"), .customLong("all-namespaces")]) var allNamespaces = false
        @Option(name: [.short, .long]) var output: String?
        func run() throws {
            try StoredTemplates(kind: .workflowTemplate).list(
                namespace: allNamespaces ? nil : global.resolvedNamespace, output: output)
        }
    }

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get", abstract: "Show WorkflowTemplates.")
        @OptionGroup var global: LocalOptions
        @Argument var names: [String]
        @Option(name: [.short, .long]) var output: String?
        func run() throws {
            try StoredTemplates(kind: .workflowTemplate).get(names, namespace: global.resolvedNamespace, output: output)
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete WorkflowTemplates.")
        @OptionGroup var global: LocalOptions
        @Argument var names: [String] = []
        @Flag var all = false
        func run() throws {
            try StoredTemplates(kind: .workflowTemplate).delete(names, namespace: global.resolvedNamespace, all: all)
        }
    }

    struct Lint: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "lint", abstract: "Lint WorkflowTemplate files.")
        @Argument var files: [String]
        func run() throws {
            _ = try StoredTemplates(kind: .workflowTemplate).load(files)
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
        @Argument var files: [String]
        func run() throws {
            try StoredTemplates(kind: .clusterWorkflowTemplate).create(files, namespace: "", update: false)
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "update", abstract: "Replace stored ClusterWorkflowTemplates.")
        @Argument var files: [String]
        func run() throws {
            try StoredTemplates(kind: .clusterWorkflowTemplate).create(files, namespace: "", update: true)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List ClusterWorkflowTemplates.")
        @Option(name: [.short, .long]) var output: String?
        func run() throws { try StoredTemplates(kind: .clusterWorkflowTemplate).list(namespace: "", output: output) }
    }

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get", abstract: "Show ClusterWorkflowTemplates.")
        @Argument var names: [String]
        @Option(name: [.short, .long]) var output: String?
        func run() throws {
            try StoredTemplates(kind: .clusterWorkflowTemplate).get(names, namespace: "", output: output)
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "delete", abstract: "Delete ClusterWorkflowTemplates.")
        @Argument var names: [String] = []
        @Flag var all = false
        func run() throws { try StoredTemplates(kind: .clusterWorkflowTemplate).delete(names, namespace: "", all: all) }
    }

    struct Lint: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "lint", abstract: "Lint ClusterWorkflowTemplate files.")
        @Argument var files: [String]
        func run() throws {
            _ = try StoredTemplates(kind: .clusterWorkflowTemplate).load(files)
            print("✔ no linting errors found!")
        }
    }
}
