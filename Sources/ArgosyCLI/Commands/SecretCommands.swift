import ArgosyEngine
import ArgosyModel
import ArgosyStore
import ArgumentParser
import Foundation

/// `create generic NAME`, `list`, `delete NAME` for secrets and config maps, as `kubectl create` has them.
struct KeyValueCommands {
    let kind: ObjectKind
    var noun: String { kind == .secret ? "secret" : "configmap" }

    /// `--from-file=[key=]path` and `--from-literal=key=value`, values base64-encoded.
    func data(files: [String], literals: [String]) throws(ArgosyError) -> [String: String] {
        var data: [String: String] = [:]
        for spec in files {
            var key: String
            var path: String
            if let eq = spec.firstIndex(of: "=") {
                key = String(spec[..<eq])
                path = String(spec[spec.index(after: eq)...])
            } else {
                path = spec
                key = (spec as NSString).lastPathComponent
            }
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
                let names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
                for n in names {
                    let p = (path as NSString).appendingPathComponent(n)
                    var sub: ObjCBool = false
                    if FileManager.default.fileExists(atPath: p, isDirectory: &sub), !sub.boolValue,
                        let bytes = FileManager.default.contents(atPath: p)
                    {
                        data[n] = bytes.base64EncodedString()
                    }
                }
                continue
            }
            guard let bytes = FileManager.default.contents(atPath: path) else {
                throw ArgosyError(.invalid, "--from-file: cannot read \(path)")
            }
            try Self.checkKey(key)
            data[key] = bytes.base64EncodedString()
        }
        for spec in literals {
            guard let eq = spec.firstIndex(of: "="), eq != spec.startIndex else {
                throw ArgosyError(
                    .invalid, "--from-literal: expected KEY=VALUE, found '\(spec.prefix { $0 != "=" })=…'")
            }
            let key = String(spec[..<eq])
            try Self.checkKey(key)
            data[key] = Data(spec[spec.index(after: eq)...].utf8).base64EncodedString()
        }
        if data.isEmpty { throw ArgosyError(.invalid, "give at least one --from-file or --from-literal") }
        return data
    }

    static func checkKey(_ key: String) throws(ArgosyError) {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
        guard !key.isEmpty, key.allSatisfy({ allowed.contains($0) }) else {
            throw ArgosyError(.invalid, "key '\(key)' is invalid: use letters, digits, '-', '_' and '.'")
        }
    }

    func create(name: String, namespace: String, files: [String], literals: [String]) throws {
        do {
            try KubernetesName.checkSubdomain(name, field: "name")
            let store = try CLIContext().openStore()
            let object = KeyValueObject(
                kind: kind, namespace: namespace, name: name, data: try data(files: files, literals: literals),
                createdAt: Date())
            try store.createObject(object)
            print("\(noun)/\(name) created")
        } catch let error as ArgosyError {
            throw fail(error.description)
        }
    }

    func list(namespace: String) throws {
        do {
            let objects = try CLIContext().openStore().objects(kind, namespace: namespace)
            if objects.isEmpty {
                print("No resources found in \(namespace) namespace.")
                return
            }
            var table = TextTable()
            table.add(kind == .secret ? ["NAME", "TYPE", "DATA", "AGE"] : ["NAME", "DATA", "AGE"])
            for o in objects {
                let age = Humanize.short(from: o.createdAt, to: Date())
                table.add(
                    kind == .secret
                        ? [o.name, "Opaque", String(o.data.count), age] : [o.name, String(o.data.count), age])
            }
            print(table.render(), terminator: "")
        } catch let error as ArgosyError {
            throw fail(error.description)
        }
    }

    func delete(names: [String], namespace: String) throws {
        do {
            let store = try CLIContext().openStore()
            for name in names {
                guard try store.deleteObject(kind, namespace: namespace, name: name) else {
                    throw ArgosyError(.notFound, "\(noun)s \"\(name)\" not found")
                }
                print("\(noun) \"\(name)\" deleted")
            }
        } catch let error as ArgosyError {
            throw fail(error.description)
        }
    }
}

struct SecretCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secret", abstract: "Manage secrets that steps read (values are never printed).",
        subcommands: [Create.self, List.self, Delete.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Create a secret: argosy secret create generic NAME --from-file=… --from-literal=…")
        @OptionGroup var global: LocalOptions
        @Argument(help: "The secret type; only 'generic' exists.") var type: String
        @Argument var name: String
        @Option(name: .customLong("from-file"), help: "[KEY=]PATH: a file (or every file of a folder) as a key.")
        var files: [String] = []
        @Option(name: .customLong("from-literal"), help: "KEY=VALUE.") var literals: [String] = []

        func run() throws {
            guard type == "generic" else { throw fail("unknown secret type '\(type)': only 'generic' is supported") }
            try KeyValueCommands(kind: .secret).create(
                name: name, namespace: global.resolvedNamespace, files: files, literals: literals)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List secrets (names and key counts).")
        @OptionGroup var global: LocalOptions
        func run() throws { try KeyValueCommands(kind: .secret).list(namespace: global.resolvedNamespace) }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete secrets.")
        @OptionGroup var global: LocalOptions
        @Argument var names: [String]
        func run() throws {
            try KeyValueCommands(kind: .secret).delete(names: names, namespace: global.resolvedNamespace)
        }
    }
}

struct ConfigMapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "configmap", abstract: "Manage config maps that steps read.",
        subcommands: [Create.self, List.self, Delete.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Create a config map: argosy configmap create NAME --from-file=… --from-literal=…")
        @OptionGroup var global: LocalOptions
        @Argument var name: String
        @Option(name: .customLong("from-file"), help: "[KEY=]PATH: a file (or every file of a folder) as a key.")
        var files: [String] = []
        @Option(name: .customLong("from-literal"), help: "KEY=VALUE.") var literals: [String] = []

        func run() throws {
            try KeyValueCommands(kind: .configMap).create(
                name: name, namespace: global.resolvedNamespace, files: files, literals: literals)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List config maps.")
        @OptionGroup var global: LocalOptions
        func run() throws { try KeyValueCommands(kind: .configMap).list(namespace: global.resolvedNamespace) }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete config maps.")
        @OptionGroup var global: LocalOptions
        @Argument var names: [String]
        func run() throws {
            try KeyValueCommands(kind: .configMap).delete(names: names, namespace: global.resolvedNamespace)
        }
    }
}
