import ArgosyModel
import ArgosyStore
import ArgumentParser
import Foundation

/// `argosy auth token|list|revoke`: bearer tokens for `argosy server --auth-mode client`.
struct AuthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auth", abstract: "Manage API tokens for argosy server --auth-mode client.",
        subcommands: [Token.self, List.self, Revoke.self])

    struct Token: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "token", abstract: "Issue a token and print it (it is shown once; only its hash is stored).")
        @Option(help: "A name for the token (to list and revoke it).") var name =
            "token-\(Int(Date().timeIntervalSince1970))"
        @Option(name: .customLong("namespace"), help: "A namespace the token may use (repeatable; default: all).")
        var namespaces: [String] = []

        func run() throws {
            do {
                for ns in namespaces { try KubernetesName.checkLabel(ns, field: "--namespace") }
                print(try CLIContext().openStore().issueToken(name: name, namespaces: namespaces, now: Date()))
            } catch let error as ArgosyError {
                throw fail(error.description)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List tokens (never their secrets).")
        func run() throws {
            do {
                let tokens = try CLIContext().openStore().tokens()
                var table = TextTable()
                table.add(["NAME", "NAMESPACES", "AGE", "REVOKED"])
                for t in tokens {
                    table.add([
                        t.name, t.namespaces.isEmpty ? "*" : t.namespaces.joined(separator: ","),
                        Humanize.short(from: t.createdAt, to: Date()), String(t.revoked),
                    ])
                }
                print(table.render(), terminator: "")
            } catch let error as ArgosyError {
                throw fail(error.description)
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token by name.")
        @Argument var name: String
        func run() throws {
            do {
                guard try CLIContext().openStore().revokeToken(name: name) else {
                    throw ArgosyError(.notFound, "token '\(name)' not found")
                }
                print("token '\(name)' revoked")
            } catch let error as ArgosyError {
                throw fail(error.description)
            }
        }
    }
}
