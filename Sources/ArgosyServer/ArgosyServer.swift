import ArgosyController
import ArgosyEngine
import ArgosyModel
import ArgosyStore
import Foundation
import Hummingbird
import HummingbirdTLS

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

        public init() {}
    }

    let store: WorkflowStore
    let controller: WorkflowController
    let options: Options
    let home: URL

    public init(store: WorkflowStore, controller: WorkflowController, home: URL, options: Options) {
        self.store = store
        self.controller = controller
        self.home = home
        self.options = options
    }

    /// The largest request body accepted (a workflow manifest).
    static let maxBody = 4 * 1024 * 1024

    /// Serves until cancelled; `onListening` gets the bound port (0 in the options picks a free one).
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let router = Router()
        if options.requireTokens { router.add(middleware: TokenAuthentication(store: store)) }
        addRoutes(router)
        let app = Application(
            router: router,
            server: try options.tls.map { try .tls(.http1(), tlsConfiguration: $0.configuration) } ?? .http1(),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "argosy"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await controller.run() }
            group.addTask { try await app.runService() }
            try await group.next()
            controller.stop()
            group.cancelAll()
        }
    }

    func addRoutes(_ router: Router<BasicRequestContext>) {
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

    func metrics() throws -> Response {
        var counts: [WorkflowPhase?: Int] = [:]
        for w in try store.list(namespace: nil) { counts[w.phase, default: 0] += 1 }
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
    /// The body as JSON, bounded in size; a clear 400 or 413 otherwise.
    mutating func json() async throws -> JSONValue {
        let buffer: ByteBuffer
        do {
            buffer = try await collectBody(upTo: ArgosyServer.maxBody)
        } catch {
            throw APIError(.contentTooLarge, "request body is larger than \(ArgosyServer.maxBody) bytes")
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
