import ArgosyController
import ArgosyEngine
import ArgosyModel
import ArgosyRuntime
import ArgosyStore
import ArgumentParser
import Foundation

/// Flags every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "The namespace (default: $ARGO_NAMESPACE or 'default').")
    var namespace: String?

    @Option(name: .customLong("argo-server"), help: "Talk to this argo-server (host:port) instead of the local store.")
    var argoServer: String?

    @Flag(
        name: [.customShort("k"), .customLong("insecure-skip-verify")],
        help: "Accept the server's TLS certificate unchecked (a self-signed one); also ARGO_INSECURE_SKIP_VERIFY=true.")
    var insecureSkipVerify = false

    var resolvedNamespace: String {
        namespace ?? ProcessInfo.processInfo.environment["ARGO_NAMESPACE"] ?? "default"
    }

    func validate() throws {
        do {
            try KubernetesName.checkLabel(
                resolvedNamespace, field: namespace != nil ? "--namespace" : "ARGO_NAMESPACE")
        } catch {
            throw ValidationError(error.message)
        }
    }

    /// The server to talk to: `--argo-server`, else `$ARGO_SERVER`; nil means the local store.
    var remote: RemoteServer? {
        if let argoServer, !argoServer.isEmpty { return RemoteServer.at(argoServer, skipVerify: insecureSkipVerify) }
        return RemoteServer.fromEnvironment(skipVerify: insecureSkipVerify)
    }
}

/// Flags of the commands that work on the local store only: they refuse to run when a server is named, rather
/// than quietly acting on local state the user did not mean.
struct LocalOptions: ParsableArguments {
    @OptionGroup var global: GlobalOptions

    var resolvedNamespace: String { global.resolvedNamespace }

    func validate() throws {
        guard let remote = global.remote else { return }
        throw ValidationError(
            "this command works on the local store only: argo-server has no API for it (\(remote.base) is set by "
                + "--argo-server or ARGO_SERVER); unset it to use the local store")
    }
}

/// Where Argosy keeps its state, and the programs it runs steps with.
struct CLIContext {
    let home: URL

    init() {
        let env = ProcessInfo.processInfo.environment
        if let h = env["ARGOSY_HOME"], !h.isEmpty {
            home = URL(fileURLWithPath: h)
        } else {
            home = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".argosy")
        }
    }

    func openStore() throws -> WorkflowStore { try SQLiteStore(home: home) }

    /// How workflows submitted to `namespace` are prepared: this home's limits.
    func preparationOptions(namespace: String) -> WorkflowPreparation.Options {
        var options = WorkflowPreparation.Options()
        options.limits = limits
        options.namespace = namespace
        return options
    }

    /// What users do to workflows, on this home's store.
    func operations(_ store: WorkflowStore) -> WorkflowOperations {
        let home = home
        return WorkflowOperations(store: store) { uid in
            try? FileManager.default.removeItem(at: StepDirectory.folder(home: home, workflowUID: uid))
        }
    }

    /// The `limits` of `config.yaml` (the defaults when there is none; a broken file is reported by the commands
    /// that run workflows).
    var limits: Limits { (try? RuntimeConfig.load(home: home))?.limits ?? Limits() }

    /// This program's path.
    static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// `argosy-exec`: `$ARGOSY_EXEC`, else next to this program.
    static var supervisorPath: String {
        if let p = ProcessInfo.processInfo.environment["ARGOSY_EXEC"], !p.isEmpty { return p }
        return URL(fileURLWithPath: executablePath).deletingLastPathComponent().appendingPathComponent("argosy-exec")
            .path
    }

    func controllerOptions() throws -> WorkflowController.Options {
        var options = WorkflowController.Options(
            home: home, supervisor: Self.supervisorPath, argosy: Self.executablePath,
            runtimeConfig: try RuntimeConfig.load(home: home))
        // How long a controller's claim on a workflow lasts without renewal (default 30 s).
        if let text = ProcessInfo.processInfo.environment["ARGOSY_LEASE_SECONDS"] {
            guard let seconds = Double(text), seconds >= 1 else {
                throw ArgosyError(.invalid, "ARGOSY_LEASE_SECONDS must be a number of seconds ≥ 1, found '\(text)'")
            }
            options.leaseSeconds = seconds
        }
        return options
    }

    /// Finds a workflow by name (or `@latest`) in a namespace.
    func findWorkflow(_ store: WorkflowStore, _ name: String, namespace: String) throws -> StoredWorkflow {
        if name == "@latest" {
            guard let latest = try store.latest(namespace: namespace), let wf = try store.get(uid: latest.uid) else {
                throw ArgosyError(.notFound, "no workflows found in namespace \(namespace)")
            }
            return wf
        }
        guard let wf = try store.get(namespace: namespace, name: name) else {
            throw ArgosyError(.notFound, "workflows.argoproj.io \"\(name)\" not found in namespace \(namespace)")
        }
        return wf
    }

    /// Makes sure a background controller is running for this home (starting `argosy controller`).
    func ensureBackgroundController() throws {
        let lockPath = home.appendingPathComponent("controller.lock").path
        if BackgroundController.isRunning(lockPath: lockPath) { return }
        let log = home.appendingPathComponent("controller.log").path
        var args = [Self.executablePath, "controller", "--idle-exit", "5", "--log-file", log]
        args = args.map { $0 }
        try BackgroundController.spawn(args)
    }
}

/// Prints an error the way the CLI reports failures and exits 1.
func fail(_ message: String) -> ExitCode {
    FileHandle.standardError.write(Data("argosy: error: \(message)\n".utf8))
    return ExitCode(1)
}
