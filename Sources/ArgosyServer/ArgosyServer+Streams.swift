import ArgosyController
import ArgosyModel
import ArgosyRuntime
import ArgosyStore
import Foundation
import Hummingbird

extension ArgosyServer {
    func addStreamRoutes(_ router: Router<ArgosyRequestContext>) {
        // Without a namespace: every namespace the caller may use.
        router.get("/api/v1/workflow-events") { request, context in
            let sse = request.headers[.accept]?.contains("text/event-stream") == true
            let options = query(request)
            let access = context.access
            return stream(sse: sse) { send in try await watch(nil, options, access: access, send) }
        }
        router.get("/api/v1/workflow-events/:namespace") { request, context in
            let ns = try namespace(context)
            let sse = request.headers[.accept]?.contains("text/event-stream") == true
            let options = query(request)
            let access = context.access
            return stream(sse: sse) { send in try await watch(ns, options, access: access, send) }
        }
        router.get("/api/v1/workflows/:namespace/:name/log") { request, context in
            let wf = try find(context)
            let sse = request.headers[.accept]?.contains("text/event-stream") == true
            let options = query(request)
            let uid = wf.uid
            return stream(sse: sse) { send in try await logs(uid, options, send) }
        }
    }

    /// A streamed response of `{"result": …}` items: NDJSON lines, or `data:` frames for event streams.
    func stream(
        sse: Bool,
        _ body: @escaping @Sendable (@escaping @Sendable (JSONValue) async throws -> Void) async throws -> Void
    )
        -> Response
    {
        let contentType = sse ? "text/event-stream" : "application/json"
        return Response(
            status: .ok, headers: [.contentType: contentType, .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                let channel = StreamChannel()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        try await body { value in
                            let item: JSONValue = ["result": value]
                            await channel.send(sse ? "data: \(item.compactJSON)\n\n" : item.compactJSON + "\n")
                        }
                        await channel.finish()
                    }
                    // Keep-alives so proxies and clients see the stream is alive.
                    group.addTask {
                        while !Task.isCancelled {
                            try await Task.sleep(nanoseconds: 5_000_000_000)
                            await channel.send(sse ? ":\n\n" : "\n")
                        }
                    }
                    for await chunk in channel.chunks { try await writer.write(ByteBuffer(string: chunk)) }
                    group.cancelAll()
                }
                try await writer.finish(nil)
            })
    }

    /// Sends ADDED, MODIFIED and DELETED events for the namespace's workflows (one, with a name field selector;
    /// every namespace `access` allows when `ns` is nil) as they change: it looks again on each of the store's
    /// change notices, and costs nothing while nothing changes.
    func watch(
        _ ns: String?, _ query: [String: String], access: Access,
        _ send: @escaping @Sendable (JSONValue) async throws -> Void
    ) async throws {
        let fields = query["listOptions.fieldSelector"] ?? ""
        let labels = query["listOptions.labelSelector"] ?? ""
        // `fields` paths start at the frame: `result.object.metadata.name`.
        let filter = FieldFilter(query["fields"])
        let send: @Sendable (JSONValue) async throws -> Void = { event in
            guard let filter else { return try await send(event) }
            try await send(filter.apply(["result": event])["result"] ?? .null)
        }
        var seen: [String: String] = [:]
        var lastNamespace: [String: String] = [:]
        for await _ in changes.subscribe() {
            let rows = try api { () throws(ArgosyError) in try store.list(namespace: ns) }
            var present = Set<String>()
            var namespaces: [String: String] = [:]
            for row in rows where access.allows(namespace: row.namespace) {
                namespaces[row.uid] = row.namespace
                let fingerprint = [
                    row.phase?.rawValue ?? "", row.progress ?? "", row.message ?? "",
                    row.finishedAt.map { "\($0.timeIntervalSince1970)" } ?? "", String(row.suspended),
                    String(row.shutdown),
                ].joined(separator: "|")
                if seen[row.uid] == fingerprint {
                    present.insert(row.uid)
                    continue
                }
                guard let stored = try api({ () throws(ArgosyError) in try store.get(uid: row.uid) }),
                    Selector.matches(labels, labels: stored.workflow.metadata.labels ?? [:]),
                    Selector.matchesFields(fields, stored)
                else { continue }
                present.insert(row.uid)
                let type = seen[row.uid] == nil ? "ADDED" : "MODIFIED"
                seen[row.uid] = fingerprint
                try await send(["type": .string(type), "object": try document(stored)])
            }
            for uid in seen.keys where !present.contains(uid) {
                seen[uid] = nil
                try await send([
                    "type": "DELETED",
                    "object": [
                        "metadata": ["uid": .string(uid), "namespace": .string(ns ?? lastNamespace[uid] ?? "")]
                    ],
                ])
                lastNamespace[uid] = nil
            }
            lastNamespace.merge(namespaces) { $1 }
        }
    }

    /// Sends each log line of the workflow's steps as `{"content": …, "podName": …}`; with
    /// `logOptions.follow=true`, goes on until the workflow finishes. A followed log is read on from where it was
    /// (each file's offset is kept); the workflow is read again only when the store has changed.
    func logs(_ uid: String, _ query: [String: String], _ send: @escaping @Sendable (JSONValue) async throws -> Void)
        async throws
    {
        let follow = query["logOptions.follow"] == "true"
        let only = query["podName"].flatMap { $0.isEmpty ? nil : $0 }
        var offsets: [String: UInt64] = [:]
        var partial: [String: String] = [:]
        let subscription = changes.subscribe()  // keeps the store watched while this stream lasts
        defer { _ = subscription }
        var seen = changes.generation
        var pods: [NodeStatus] = []
        var done = false
        var storeChanged = true
        while !Task.isCancelled, !changes.isStopped {
            if storeChanged {
                guard let wf = try api({ () throws(ArgosyError) in try store.get(uid: uid) }) else { return }
                done = wf.phase?.isFinished == true
                pods = wf.nodes.filter { $0.type == .pod && $0.podName != nil }
                    .sorted { ($0.startedAt ?? .distantPast, $0.name) < ($1.startedAt ?? .distantPast, $1.name) }
            }
            for node in pods {
                let pod = node.podName!
                if let only, only != pod, only != node.id, only != node.displayName { continue }
                let url = StepDirectory(home: home, workflowUID: uid, podName: pod).logURL
                let start = offsets[pod] ?? 0
                guard let data = Self.read(url, from: start), !data.isEmpty else { continue }
                offsets[pod] = start + UInt64(data.count)
                var text = (partial[pod] ?? "") + String(decoding: data, as: UTF8.self)
                var lines = text.components(separatedBy: "\n")
                text = lines.removeLast()
                if node.phase.isFinished || !follow, !text.isEmpty {
                    lines.append(text)
                    text = ""
                }
                partial[pod] = text
                for line in lines { try await send(["content": .string(line), "podName": .string(pod)]) }
            }
            if !follow || done { return }
            // A step appends to its log without the store changing: look at the files again in 200 ms, and at
            // the workflow too when a change notice came meanwhile.
            try await Task.sleep(for: .milliseconds(200))
            let now = changes.generation
            storeChanged = now != seen
            seen = now
        }
    }

    /// The bytes of the file from `offset` on (nil when it cannot be read).
    static func read(_ url: URL, from offset: UInt64) -> Data? {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return nil }
        defer { try? handle.close() }
        do {
            try handle.seek(toOffset: offset)
            return try handle.readToEnd() ?? Data()
        } catch {
            return nil
        }
    }
}

/// Chunks handed from producers to the response writer.
actor StreamChannel {
    nonisolated let chunks: AsyncStream<String>
    private let pending: AsyncStream<String>.Continuation

    init() {
        var c: AsyncStream<String>.Continuation!
        chunks = AsyncStream { c = $0 }
        pending = c
    }

    func send(_ chunk: String) { pending.yield(chunk) }
    func finish() { pending.finish() }
}
