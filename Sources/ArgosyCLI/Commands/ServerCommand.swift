import ArgosyController
import ArgosyModel
import ArgosyServer
import ArgumentParser
import Foundation

struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Serve the argo-server REST API (and run the controller) for this $ARGOSY_HOME.",
        discussion: "Argo's clients (Hera, the argo-workflows Python client, curl) work against it unchanged.")

    @Option(help: "The port (0 picks a free one; the chosen port is printed).") var port = 2746
    @Option(help: "The address to listen on.") var address = "127.0.0.1"
    @Option(
        name: .customLong("auth-mode"),
        help: "server (no token; loopback only unless --expose) or client (bearer tokens from argosy auth token).")
    var authMode = "server"
    @Flag(help: "Allow listening beyond loopback without authentication.") var expose = false

    func run() async throws {
        guard authMode == "server" || authMode == "client" else {
            throw fail("--auth-mode \(authMode): use server or client")
        }
        let loopback = ["127.0.0.1", "localhost", "::1"].contains(address)
        if !loopback, !expose, authMode == "server" {
            throw fail(
                "--address \(address): without authentication the server listens on loopback only (add --expose to override)"
            )
        }
        let context = CLIContext()
        do {
            try FileManager.default.createDirectory(at: context.home, withIntermediateDirectories: true)
            if !BackgroundController.acquire(lockPath: context.home.appendingPathComponent("controller.lock").path) {
                FileHandle.standardError.write(
                    Data("argosy: note: a background controller also serves this home; leases keep them apart\n".utf8))
            }
            let store = try context.openStore()
            let controller = WorkflowController(
                store: store, options: try context.controllerOptions(), scope: .all(idleExit: nil))
            var options = ArgosyServer.Options()
            options.host = address
            options.port = port
            options.version = "v\(ArgosyVersion.number)"
            options.requireTokens = authMode == "client"
            let server = ArgosyServer(store: store, controller: controller, home: context.home, options: options)
            let interrupt = InterruptHandler { controller.stop() }
            defer { interrupt.cancel() }
            try await server.run { bound in
                FileHandle.standardOutput.write(Data("argosy server listening on http://\(address):\(bound)\n".utf8))
            }
        } catch let error as ArgosyError {
            throw fail(error.description)
        }
    }
}
