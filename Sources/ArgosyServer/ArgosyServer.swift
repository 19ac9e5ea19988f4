import ArgosyController
import ArgosyEngine
import ArgosyModel
import ArgosyStore
import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import ServiceLifecycle

/// `argosy server`: the argo-server REST API and the controller in one process.
public struct ArgosyServer: Sendable {
    public struct Options: Sendable {
        public var host = "127.0.0.1"
        public var port = 2746
        public var version = "v0.0.0"
        /// Require bearer tokens (`--auth-mode client`).
        public var requireTokens = false
        /// Serve https with this certificate (`--secure`); plain http when nil.
        public var tls: ServerTLS?
        /// Request body size, workflows per request (from `config.yaml`'s `limits`).
        public var limits = Limits()

        public init() {}
    }

    let store: WorkflowStore
    let controller: WorkflowController
    let options: Options
    let home: URL
    /// What every stream waits on: one watch of the store for all of them.
    let changes: StoreChanges

    public init(store: WorkflowStore, controller: WorkflowController, home: URL, options: Options) {
        self.store = store
        self.controller = controller
        self.home = home
        self.options = options
        changes = controller.changes
    }

    /// Serves until cancelled or until SIGTERM or SIGINT; `onListening` gets the bound port (0 in the options
    /// picks a free one).
    ///
    /// One service group: on a signal it shuts down in reverse order, so the watchers' streams end first, then the
    /// HTTP server stops accepting and drains the requests under way, then the controller finishes its pass and
    /// commit and releases its leases.
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let router = makeRouter()
        let app = Application(
            router: router,
            server: try options.tls.map { try .tls(.http1(), tlsConfiguration: $0.configuration) } ?? .http1(),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "argosy"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) })
        var logger = Logger(label: "argosy-server")
        logger.logLevel = .warning
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: controller, successTerminationBehavior: .gracefullyShutdownGroup),
                    .init(service: app, successTerminationBehavior: .gracefullyShutdownGroup),
                    .init(service: StreamsEnd(changes: changes)),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        defer { changes.stop() }
        try await group.run()
    }

    /// The whole API: routes, Argo's error shape for every failure (unknown paths included), and tokens when the
    /// server requires them. Tests serve it in process.
    public func makeRouter() -> Router<ArgosyRequestContext> {
        let router = Router(context: ArgosyRequestContext.self)
        router.add(middleware: ErrorResponses())
        if options.requireTokens { router.add(middleware: TokenAuthentication(store: store)) }
        addRoutes(router)
        return router
    }

    func addRoutes(_ router: Router<ArgosyRequestContext>) {
        router.get("/api/v1/version") { _, _ in
            JSON([
                "version": .string(options.version), "platform": "linux/amd64", "buildDate": .string(options.version),
            ])
        }
        router.get("/api/v1/info") { _, _ in
            JSON(["managedNamespace": "", "modals": ["feedback": false, "firstTimeUser": false], "navColor": ""])
        }
        router.get("/api/v1/userinfo") { _, _ in JSON(["subject": "system:serviceaccount:argosy:server"]) }
        router.get("/healthz") { _, _ in "ok" }
        router.get("/readyz") { _, _ in "ok" }
        router.get("/metrics") { _, _ in try metrics() }
        addWorkflowRoutes(router)
        addStreamRoutes(router)
        addResourceRoutes(router)
    }

    /// The request's body as JSON, within `limits.requestBytes`.
    func body(_ request: Request) async throws -> JSONValue {
        var request = request
        return try await request.json(limit: options.limits.requestBytes)
    }

    /// The `:namespace` of the path: a valid namespace (400 otherwise) that the caller may use (403 otherwise).
    func namespace(_ context: ArgosyRequestContext) throws -> String {
        let ns = try context.parameters.require("namespace")
        try api { () throws(ArgosyError) in try KubernetesName.checkLabel(ns, field: "namespace") }
        try context.access.check(namespace: ns)
        return ns
    }

    /// The `:name` of the path: a valid resource name (400 otherwise).
    func name(_ context: ArgosyRequestContext) throws -> String {
        let name = try context.parameters.require("name")
        try api { () throws(ArgosyError) in try KubernetesName.checkSubdomain(name, field: "name") }
        return name
    }

    func metrics() throws -> Response {
        // Counted by the store: a scrape costs the same with 10 workflows or 100,000.
        let counts = try api { () throws(ArgosyError) in try store.countsByPhase() }
        var out = "# HELP argo_workflows_count Number of Workflows currently accessible by the controller by status\n"
        out += "# TYPE argo_workflows_count gauge\n"
        for phase in ["Pending", "Running", "Succeeded", "Failed", "Error"] {
            let n = counts.filter { ($0.key?.rawValue ?? "Pending") == phase }.values.reduce(0, +)
            out += "argo_workflows_count{status=\"\(phase)\"} \(n)\n"
        }
        out += controller.metrics.text()
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: out)))
    }
}

/// A JSON response.
struct JSON: ResponseGenerator {
    var value: JSONValue
    var status: HTTPResponse.Status = .ok

    init(_ value: JSONValue, status: HTTPResponse.Status = .ok) {
        self.value = value
        self.status = status
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: value.compactJSON)))
    }
}

extension Request {
    /// The body as JSON, bounded in size (`limits.requestBytes`); a clear 400 or 413 otherwise.
    mutating func json(limit: Int) async throws -> JSONValue {
        let buffer: ByteBuffer
        do {
            buffer = try await collectBody(upTo: limit)
        } catch {
            throw APIError(.contentTooLarge, "request body is larger than \(limit) bytes (limits.requestBytes)")
        }
        let text = String(buffer: buffer)
        if text.isEmpty { return .object([:]) }
        do {
            return try JSONValue.parse(text)
        } catch {
            throw APIError(.badRequest, "malformed JSON: \(error.description)")
        }
    }
}

/// Ends the watchers' streams when the server shuts down (they would hold its drain open forever).
struct StreamsEnd: Service {
    let changes: StoreChanges

    func run() async throws {
        try? await gracefulShutdown()
        changes.stop()
    }
}
