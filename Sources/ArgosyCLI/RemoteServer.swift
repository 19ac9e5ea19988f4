import ArgosyModel
import ArgosyStore
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// The argo-server (or `argosy server`) the CLI talks to when `ARGO_SERVER` (or `--argo-server`) is set, with
/// Argo's variables: `ARGO_SECURE` (default true: https), `ARGO_INSECURE_SKIP_VERIFY` (or `-k`), `ARGO_TOKEN`,
/// `ARGO_HTTP1` (always HTTP/1 here).
struct RemoteServer {
    let base: String
    let token: String?
    /// Accept any server certificate (a self-signed one).
    let skipVerify: Bool

    static func fromEnvironment(skipVerify: Bool = false) -> RemoteServer? {
        guard let server = ProcessInfo.processInfo.environment["ARGO_SERVER"], !server.isEmpty else { return nil }
        return at(server, skipVerify: skipVerify)
    }

    /// The server at `address`: a URL, or `host:port` reached over https unless `ARGO_SECURE=false`.
    static func at(_ address: String, skipVerify: Bool = false) -> RemoteServer {
        let env = ProcessInfo.processInfo.environment
        let secure = (env["ARGO_SECURE"] ?? "true").lowercased() != "false"
        let base = address.contains("://") ? address : (secure ? "https://" : "http://") + address
        let insecure = ["true", "1", "yes"].contains((env["ARGO_INSECURE_SKIP_VERIFY"] ?? "").lowercased())
        return RemoteServer(base: base, token: env["ARGO_TOKEN"], skipVerify: skipVerify || insecure)
    }

    /// One request; an error response becomes an `ArgosyError` with the server's message.
    func call(_ method: String, _ path: String, body: JSONValue? = nil, timeout: Double = 60) throws -> JSONValue {
        let (data, _) = try send(method, path, body: body, timeout: timeout)
        return (try? JSONValue.parse(String(decoding: data, as: UTF8.self))) ?? .null
    }

    /// One request returning the raw body of a 2xx response.
    func send(_ method: String, _ path: String, body: JSONValue? = nil, timeout: Double = 60) throws -> (Data, Int) {
        var request = try self.request(method, path)
        if let body {
            request.body = .string(body.compactJSON)
            request.headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        }
        let response: HTTPClient.Response
        do {
            response = try client.execute(request: request, deadline: .now() + .milliseconds(Int64(timeout * 1000)))
                .wait()
        } catch {
            throw unreachable(error)
        }
        let data = Data(response.body.map { Array($0.readableBytesView) } ?? [])
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else { throw Self.failure(status, data) }
        return (data, status)
    }

    /// A streaming GET: hands each line of a 2xx response to `line` as it arrives, until the server ends it or
    /// `line` returns false.
    func streamLines(_ path: String, line: @escaping @Sendable (String) -> Bool) throws {
        let reader = LineReader(line)
        let status: Int
        let rest: [UInt8]
        do {
            (status, rest) = try client.execute(request: try request("GET", path), delegate: reader).futureResult.wait()
        } catch let error as ArgosyError {
            throw error
        } catch {
            if reader.stopped { return }
            throw unreachable(error)
        }
        guard (200..<300).contains(status) else { throw Self.failure(status, Data(rest)) }
    }

    /// The error for a non-2xx response, carrying the server's message.
    private static func failure(_ status: Int, _ body: Data) -> ArgosyError {
        let text = String(decoding: body, as: UTF8.self)
        let message = (try? JSONValue.parse(text))?["message"]?.stringValue ?? text
        let code: ArgosyError.Code =
            switch status {
            case 404: .notFound
            case 409: .alreadyExists
            case 400, 413: .invalid
            default: .io
            }
        return ArgosyError(code, message.isEmpty ? "HTTP \(status)" : message)
    }

    /// A transport failure, saying what to do about an untrusted certificate.
    private func unreachable(_ error: any Error) -> ArgosyError {
        let text = String(describing: error)
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            return ArgosyError(
                .io,
                "cannot reach \(base): the server's TLS certificate is not trusted (a self-signed one?); "
                    + "set ARGO_INSECURE_SKIP_VERIFY=true or pass -k to accept it")
        }
        if text.contains("SSL") || text.contains("TLS") || text.contains("handshake") {
            return ArgosyError(
                .io, "cannot reach \(base): TLS failed (\(text)); is it an https server? ARGO_SECURE=false uses http")
        }
        if base.hasPrefix("http://"), text.contains("remoteConnectionClosed") {
            return ArgosyError(
                .io,
                "cannot reach \(base): the server closed the connection; if it serves https (argosy server --secure), "
                    + "drop ARGO_SECURE=false")
        }
        return ArgosyError(.io, "cannot reach \(base): \(text)")
    }

    /// A request to `path` carrying the bearer token.
    private func request(_ method: String, _ path: String) throws -> HTTPClient.Request {
        let request: HTTPClient.Request
        do {
            request = try HTTPClient.Request(url: base + path, method: HTTPMethod(rawValue: method))
        } catch {
            throw ArgosyError(.invalid, "ARGO_SERVER: bad address \(base) (\(error))")
        }
        var withToken = request
        if let token, !token.isEmpty {
            withToken.headers.replaceOrAdd(
                name: "Authorization", value: token.hasPrefix("Bearer ") ? token : "Bearer \(token)")
        }
        return withToken
    }

    private var client: HTTPClient { skipVerify ? Self.trustingClient : Self.verifyingClient }

    /// HTTP/1 clients for the life of the process (never shut down).
    private static let verifyingClient = makeClient(verification: .fullVerification)
    private static let trustingClient = makeClient(verification: .none)

    private static func makeClient(verification: CertificateVerification) -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = verification
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.httpVersion = .http1Only
        // A refused certificate or connection is reported at once rather than retried until the connect timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// A workflow from the API as the CLI shows it.
    static func view(_ value: JSONValue) throws -> WorkflowView {
        let (wf, _) = try JSONValueDecoder().decode(Workflow.self, from: value)
        let status = wf.status
        var stored = StoredWorkflow(
            workflow: wf, phase: status?.phase, startedAt: status?.startedAt, finishedAt: status?.finishedAt,
            message: status?.message, progress: status?.progress, outputs: [:],
            nodes: Array((status?.nodes ?? [:]).values),
            leaseOwner: "server", leaseExpires: .distantFuture, specVersion: 0)
        stored.workflow.status = nil
        for p in status?.outputs?.parameters ?? [] { stored.outputs[p.name] = p.value ?? "" }
        return WorkflowView(stored)
    }
}

/// Splits a streamed response into lines as its bytes arrive; keeps the body of an error response whole.
private final class LineReader: HTTPClientResponseDelegate, @unchecked Sendable {
    typealias Response = (Int, [UInt8])

    private let line: @Sendable (String) -> Bool
    // Only touched on the request's event loop.
    private var buffer: [UInt8] = []
    private var status = 0
    /// The consumer had enough and the request was cancelled (read after the request's future completes).
    private(set) var stopped = false

    init(_ line: @escaping @Sendable (String) -> Bool) { self.line = line }

    func didReceiveHead(task: HTTPClient.Task<Response>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        status = Int(head.status.code)
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Response>, _ part: ByteBuffer) -> EventLoopFuture<Void> {
        buffer.append(contentsOf: part.readableBytesView)
        if (200..<300).contains(status) {
            var start = 0
            while !stopped, let newline = buffer[start...].firstIndex(of: 10) {
                if !line(String(decoding: buffer[start..<newline], as: UTF8.self)) {
                    stopped = true
                    task.cancel()
                }
                start = newline + 1
            }
            buffer.removeFirst(start)
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didFinishRequest(task: HTTPClient.Task<Response>) throws -> Response {
        if (200..<300).contains(status), !buffer.isEmpty, !stopped {
            _ = line(String(decoding: buffer, as: UTF8.self))
            buffer.removeAll()
        }
        return (status, buffer)
    }
}
