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
    @Flag(
        help: ArgumentHelp(
            "Serve https: with --tls-cert and --tls-key, or else with a self-signed certificate made at start-up "
                + "(saved to $ARGOSY_HOME/server-cert.pem for clients to trust)."))
    var secure = false
    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain for --secure.") var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.") var tlsKey: String?

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
        if (tlsCert != nil || tlsKey != nil) && !secure { throw fail("--tls-cert and --tls-key need --secure") }
        if (tlsCert == nil) != (tlsKey == nil) { throw fail("--tls-cert and --tls-key go together: give both") }
        let context = CLIContext()
        do {
            try FileManager.default.createDirectory(at: context.home, withIntermediateDirectories: true)
            if !BackgroundController.acquire(lockPath: context.home.appendingPathComponent("controller.lock").path) {
                FileHandle.standardError.write(
                    Data("argosy: note: a background controller also serves this home; leases keep them apart\n".utf8))
            }
            let store = try context.openStore()
            let controllerOptions = try context.controllerOptions()
            let controller = WorkflowController(store: store, options: controllerOptions, scope: .all(idleExit: nil))
            var options = ArgosyServer.Options()
            options.limits = controllerOptions.runtimeConfig.limits
            options.host = address
            options.port = port
            options.version = "v\(ArgosyVersion.number)"
            options.requireTokens = authMode == "client"
            var certificateNote = ""
            if secure {
                let tls: ServerTLS
                if let tlsCert, let tlsKey {
                    tls = try ServerTLS.files(certificate: tlsCert, key: tlsKey)
                    certificateNote = "certificate \(tlsCert), SHA-256 \(tls.fingerprint)"
                } else {
                    tls = try ServerTLS.selfSigned(host: address)
                    let saved = context.home.appendingPathComponent("server-cert.pem")
                    try Data(tls.certificatePEM.utf8).write(to: saved, options: .atomic)
                    certificateNote =
                        "self-signed certificate SHA-256 \(tls.fingerprint), saved to \(saved.path); "
                        + "clients trust it or set ARGO_INSECURE_SKIP_VERIFY=true"
                }
                options.tls = tls
            }
            let note = certificateNote
            let server = ArgosyServer(store: store, controller: controller, home: context.home, options: options)
            try await server.run { bound in
                let scheme = secure ? "https" : "http"
                var line = "argosy server listening on \(scheme)://\(address):\(bound)\n"
                if !note.isEmpty { line += "argosy server: \(note)\n" }
                FileHandle.standardOutput.write(Data(line.utf8))
            }
        } catch let error as ArgosyError {
            throw fail(error.description)
        }
    }
}
