import ArgosyModel
import ArgosyStore
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The argo-server (or `argosy server`) the CLI talks to when `ARGO_SERVER` (or `--argo-server`) is set, with
/// Argo's variables: `ARGO_SECURE` (default true: https), `ARGO_INSECURE_SKIP_VERIFY`, `ARGO_TOKEN`,
/// `ARGO_HTTP1` (always HTTP/1 here).
struct RemoteServer {
    let base: String
    let token: String?

    static func fromEnvironment() -> RemoteServer? {
        guard let server = ProcessInfo.processInfo.environment["ARGO_SERVER"], !server.isEmpty else { return nil }
        return at(server)
    }

    /// The server at `address`: a URL, or `host:port` reached over https unless `ARGO_SECURE=false`.
    static func at(_ address: String) -> RemoteServer {
        let env = ProcessInfo.processInfo.environment
        let secure = (env["ARGO_SECURE"] ?? "true").lowercased() != "false"
        let base = address.contains("://") ? address : (secure ? "https://" : "http://") + address
        return RemoteServer(base: base, token: env["ARGO_TOKEN"])
    }

    /// One request; an error response becomes an `ArgosyError` with the server's message.
    func call(_ method: String, _ path: String, body: JSONValue? = nil, timeout: Double = 60) throws -> JSONValue {
        let (data, _) = try send(method, path, body: body, timeout: timeout)
        return (try? JSONValue.parse(String(decoding: data, as: UTF8.self))) ?? .null
    }

    /// One request returning the raw body of a 2xx response.
    func send(_ method: String, _ path: String, body: JSONValue? = nil, timeout: Double = 60) throws -> (Data, Int) {
        var request = try self.request(method, path, timeout: timeout)
        if let body {
            request.httpBody = Data(body.compactJSON.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let box = ResponseBox()
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: request) { data, response, error in
            box.set(data, (response as? HTTPURLResponse)?.statusCode, error)
            done.signal()
        }.resume()
        done.wait()
        let (data, status, error) = box.get()
        if let error { throw ArgosyError(.io, "cannot reach \(base): \(error.localizedDescription)") }
        let text = String(decoding: data ?? Data(), as: UTF8.self)
        let value = (try? JSONValue.parse(text)) ?? .null
        guard let status, (200..<300).contains(status) else {
            let message = value["message"]?.stringValue ?? text
            let code: ArgosyError.Code =
                switch status {
                case 404: .notFound
                case 409: .alreadyExists
                case 400, 413: .invalid
                default: .io
                }
            throw ArgosyError(code, message)
        }
        return (data ?? Data(), status)
    }

    /// A streaming GET: hands each line of a 2xx response to `line` as it arrives, until the server ends it.
    func streamLines(_ path: String, line: @escaping @Sendable (String) -> Void) throws {
        let request = try self.request("GET", path, timeout: 24 * 3600)
        let reader = LineReader(line)
        let session = URLSession(configuration: .default, delegate: reader, delegateQueue: nil)
        session.dataTask(with: request).resume()
        let (status, body, error) = reader.wait()
        session.finishTasksAndInvalidate()
        if let error { throw ArgosyError(.io, "cannot reach \(base): \(error.localizedDescription)") }
        guard let status, (200..<300).contains(status) else {
            let text = String(decoding: body, as: UTF8.self)
            throw ArgosyError(
                status == 404 ? .notFound : .io, (try? JSONValue.parse(text))?["message"]?.stringValue ?? text)
        }
    }

    /// A request to `path` carrying the bearer token.
    private func request(_ method: String, _ path: String, timeout: Double) throws -> URLRequest {
        guard let url = URL(string: base + path) else {
            throw ArgosyError(.invalid, "ARGO_SERVER: bad address \(base)")
        }
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = method
        if let token, !token.isEmpty {
            request.setValue(
                token.hasPrefix("Bearer ") ? token : "Bearer \(token)", forHTTPHeaderField: "Authorization")
        }
        return request
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

private final class ResponseBox: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?
    private var status: Int?
    private var error: (any Error)?

    func set(_ data: Data?, _ status: Int?, _ error: (any Error)?) {
        lock.lock()
        (self.data, self.status, self.error) = (data, status, error)
        lock.unlock()
    }

    func get() -> (Data?, Int?, (any Error)?) {
        lock.lock()
        defer { lock.unlock() }
        return (data, status, error)
    }
}

/// Splits a streamed response into lines as its bytes arrive; keeps the body of an error response whole.
private final class LineReader: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let line: @Sendable (String) -> Void
    private let lock = NSLock()
    private let finished = DispatchSemaphore(value: 0)
    private var buffer = Data()
    private var status: Int?
    private var error: (any Error)?

    init(_ line: @escaping @Sendable (String) -> Void) { self.line = line }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        lock.lock()
        defer { lock.unlock() }
        status = (dataTask.response as? HTTPURLResponse)?.statusCode
        buffer.append(data)
        guard let status, (200..<300).contains(status) else { return }
        while let newline = buffer.firstIndex(of: 10) {
            line(String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self))
            buffer.removeSubrange(buffer.startIndex...newline)
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        lock.lock()
        self.error = error
        status = (task.response as? HTTPURLResponse)?.statusCode ?? status
        lock.unlock()
        finished.signal()
    }

    /// Blocks until the response ends: its status, what is left of the body, and any transport error.
    func wait() -> (Int?, Data, (any Error)?) {
        finished.wait()
        lock.lock()
        defer { lock.unlock() }
        if let status, (200..<300).contains(status), !buffer.isEmpty {
            line(String(decoding: buffer, as: UTF8.self))
            buffer.removeAll()
        }
        return (status, buffer, error)
    }
}
