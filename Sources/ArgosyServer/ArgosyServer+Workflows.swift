import ArgosyController
import ArgosyEngine
import ArgosyModel
import ArgosyRuntime
import ArgosyStore
import Foundation
import Hummingbird

extension ArgosyServer {
    func addWorkflowRoutes(_ router: Router<ArgosyRequestContext>) {
        // No namespace (or an empty one): every namespace, as argo-server does.
        router.get("/api/v1/workflows") { request, context in
            try listWorkflows(nil, query(request), access: context.access)
        }
        router.get("/api/v1/workflows/:namespace") { request, context in
            try listWorkflows(try namespace(context), query(request), access: context.access)
        }
        router.post("/api/v1/workflows/:namespace") { request, context in
            let ns = try namespace(context)
            let body = try await body(request)
            guard let manifest = body["workflow"] else { throw APIError(.badRequest, "missing field 'workflow'") }
            let wf = try workflowFromJSON(manifest)
            try checkClusterTemplates(wf, context.access)
            let prepared = try api { () throws(ArgosyError) in
                try WorkflowSubmission.prepare(wf, options: namespaceOptions(ns), store: store)
            }
            if body["serverDryRun"]?.boolValue == true { return JSON(try document(prepared)) }
            let stored = try api { () throws(ArgosyError) in
                try WorkflowSubmission.create(prepared, source: wf, options: namespaceOptions(ns), store: store)
            }
            controller.wake()
            return JSON(try document(stored))
        }
        router.post("/api/v1/workflows/:namespace/lint") { request, context in
            _ = try namespace(context)
            let body = try await body(request)
            guard let manifest = body["workflow"] else { throw APIError(.badRequest, "missing field 'workflow'") }
            return JSON(try document(try workflowFromJSON(manifest)))
        }
        router.post("/api/v1/workflows/:namespace/submit") { request, context in
            let ns = try namespace(context)
            let body = try await body(request)
            let kind = body["resourceKind"]?.stringValue ?? ""
            if kind == ResourceKind.clusterWorkflowTemplate.rawValue {
                try context.access.checkClusterScope("ClusterWorkflowTemplates")
            }
            guard let name = body["resourceName"]?.stringValue, !name.isEmpty else {
                throw APIError(.badRequest, "missing field 'resourceName'")
            }
            var options = namespaceOptions(ns)
            let submit = body["submitOptions"]
            for p in submit?["parameters"]?.arrayValue ?? [] {
                guard let text = p.stringValue, let eq = text.firstIndex(of: "=") else {
                    throw APIError(.badRequest, "submitOptions.parameters: expected NAME=VALUE")
                }
                options.parameters.append((String(text[..<eq]), String(text[text.index(after: eq)...])))
            }
            options.entrypoint = submit?["entryPoint"]?.stringValue
            options.name = submit?["name"]?.stringValue
            options.generateName = submit?["generateName"]?.stringValue
            options.serviceAccount = submit?["serviceAccount"]?.stringValue
            for pair in (submit?["labels"]?.stringValue ?? "").split(separator: ",") {
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2 else {
                    throw APIError(
                        .badRequest, "submitOptions.labels: expected KEY=VALUE[,KEY=VALUE…], found '\(pair)'")
                }
                options.labels.append((kv[0], kv[1]))
            }
            let source = try api { () throws(ArgosyError) in
                try SubmitSource.workflow(kind: kind, name: name, namespace: ns, store: store)
            }
            try checkClusterTemplates(source, context.access)
            let prepared = try api { () throws(ArgosyError) in
                try WorkflowSubmission.prepare(source, options: options, store: store)
            }
            if submit?["dryRun"]?.boolValue == true || submit?["serverDryRun"]?.boolValue == true {
                return JSON(try document(prepared))
            }
            let stored = try api { () throws(ArgosyError) in
                try WorkflowSubmission.create(prepared, source: source, options: options, store: store)
            }
            controller.wake()
            return JSON(try document(stored))
        }
        // The literals of the lint and submit paths win over `:name` in the router: workflows of those names.
        for literal in ["lint", "submit"] {
            router.get(RouterPath("/api/v1/workflows/:namespace/\(literal)")) { _, context in
                let ns = try namespace(context)
                guard let wf = try api({ () throws(ArgosyError) in try store.get(namespace: ns, name: literal) }) else {
                    throw APIError(.notFound, "workflows.argoproj.io \"\(literal)\" not found")
                }
                return JSON(try document(wf))
            }
        }
        router.get("/api/v1/workflows/:namespace/:name") { request, context in
            let wf = try document(try find(context))
            return JSON(FieldFilter(request.uri.queryParameters["fields"].map(String.init))?.apply(wf) ?? wf)
        }
        router.delete("/api/v1/workflows/:namespace/:name") { _, context in
            let wf = try find(context)
            try api { () throws(ArgosyError) in try operations.delete(wf) }
            controller.wake()
            return JSON([:])
        }
        for action in ["suspend", "resume", "stop", "terminate", "retry", "resubmit", "set"] {
            router.put("/api/v1/workflows/:namespace/:name/\(action)") { request, context in
                let body = try await body(request)
                let wf = try find(context)
                let result = try control(action, wf, body)
                if action == "retry" {
                    return JSON(try await retried(uid: wf.uid, name: wf.workflow.name, endedAt: wf.finishedAt))
                }
                return JSON(result)
            }
        }
    }

    func namespaceOptions(_ ns: String) -> WorkflowPreparation.Options {
        var o = WorkflowPreparation.Options()
        o.limits = options.limits
        o.namespace = ns
        return o
    }

    /// Runs store and engine code, turning its errors into Argo's error responses.
    func api<T>(_ body: () throws(ArgosyError) -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw APIError(error)
        }
    }

    func workflowFromJSON(_ manifest: JSONValue) throws -> Workflow {
        var value = manifest
        if case .object(var o) = value {
            if o["apiVersion"] == nil { o["apiVersion"] = "argoproj.io/v1alpha1" }
            if o["kind"] == nil { o["kind"] = "Workflow" }
            value = .object(o)
        }
        let resource = try api { () throws(ArgosyError) in
            try WorkflowSubmission.lint(value, file: "workflow", limits: options.limits)
        }
        guard case .workflow(let wf) = resource else {
            throw APIError(.badRequest, "expected kind Workflow, found \(resource.kind)")
        }
        return wf
    }

    /// The query's options as a dictionary.
    func query(_ request: Request) -> [String: String] {
        var query: [String: String] = [:]
        for (k, v) in request.uri.queryParameters { query[String(k)] = String(v) }
        return query
    }

    /// 403 when a caller limited to namespaces submits a workflow that uses ClusterWorkflowTemplates.
    func checkClusterTemplates(_ wf: Workflow, _ access: Access) throws {
        if access.allowsClusterScope { return }
        // Every reference says so with `clusterScope: true`, wherever it is (steps, tasks, hooks, the spec).
        func usesCluster(_ v: JSONValue) -> Bool {
            switch v {
            case .object(let o): o["clusterScope"] == .bool(true) || o.values.contains(where: usesCluster)
            case .array(let a): a.contains(where: usesCluster)
            default: false
            }
        }
        if usesCluster(try document(wf)) { try access.checkClusterScope("ClusterWorkflowTemplates") }
    }

    func find(_ context: ArgosyRequestContext) throws -> StoredWorkflow {
        let ns = try namespace(context)
        let name = try self.name(context)
        guard let wf = try api({ () throws(ArgosyError) in try store.get(namespace: ns, name: name) }) else {
            throw APIError(.notFound, "workflows.argoproj.io \"\(name)\" not found")
        }
        return wf
    }

    func document(_ wf: Workflow) throws -> JSONValue {
        (try? JSONValue(encoding: wf)) ?? .null
    }

    func document(_ stored: StoredWorkflow) throws -> JSONValue { try document(stored.document()) }

    /// Workflows of `ns` (nil: of every namespace the caller may use).
    func listWorkflows(_ ns: String?, _ query: [String: String], access: Access) throws -> JSON {
        let selector = query["listOptions.labelSelector"] ?? ""
        let fields = query["listOptions.fieldSelector"] ?? ""
        let limit = try Self.count(query, "listOptions.limit")
        let offset = try Self.count(query, "listOptions.continue")
        // Only the workflows a page returns are read in full; ids come without decoding anything.
        let rows = try api { () throws(ArgosyError) in try store.workflowIDs(namespace: ns) }
        var items: [JSONValue] = []
        var matched = 0
        var next: Int?
        for row in rows {
            guard let stored = try api({ () throws(ArgosyError) in try store.get(uid: row.uid) }),
                access.allows(namespace: stored.workflow.namespace)
            else { continue }
            guard Selector.matches(selector, labels: stored.workflow.metadata.labels ?? [:]),
                Selector.matchesFields(fields, stored)
            else { continue }
            matched += 1
            if matched <= offset { continue }
            if limit > 0, items.count == limit {
                next = offset + limit
                break
            }
            items.append(try document(stored))
        }
        var metadata: JSONValue = ["resourceVersion": "0"]
        if let next, case .object(var m) = metadata {
            m["continue"] = .string(String(next))
            metadata = .object(m)
        }
        let list: JSONValue = ["metadata": metadata, "items": items.isEmpty ? .null : .array(items)]
        return JSON(FieldFilter(query["fields"])?.apply(list) ?? list)
    }

    /// A non-negative whole number from the query (`listOptions.limit`, `listOptions.continue`), 0 when absent.
    static func count(_ query: [String: String], _ key: String) throws -> Int {
        guard let text = query[key], !text.isEmpty else { return 0 }
        guard let n = Int(text), n >= 0 else {
            throw APIError(.badRequest, "\(key): expected a whole number, found '\(text.prefix(40))'")
        }
        return n
    }

    /// What users do to workflows; step files go the way the controller's runtime removes them.
    var operations: WorkflowOperations {
        WorkflowOperations(store: store) { [runtime = controller.runtime] uid in
            runtime.removeFiles(workflowUID: uid, podName: nil)
        }
    }

    func control(_ action: String, _ wf: StoredWorkflow, _ body: JSONValue) throws -> JSONValue {
        let operations = operations
        switch action {
        case "suspend": try api { () throws(ArgosyError) in try operations.suspend(wf) }
        case "resume":
            let selector = body["nodeFieldSelector"]?.stringValue
            try api { () throws(ArgosyError) in try operations.resume(wf, nodeFieldSelector: selector) }
        case "stop": try api { () throws(ArgosyError) in try operations.stop(wf) }
        case "terminate": try api { () throws(ArgosyError) in try operations.terminate(wf) }
        case "set":
            let update = try nodeUpdate(body)
            try api { () throws(ArgosyError) in try operations.setNodes(wf, update) }
        case "retry": try api { () throws(ArgosyError) in try operations.retry(wf) }
        case "resubmit":
            var options = namespaceOptions(wf.workflow.namespace)
            for item in body["parameters"]?.arrayValue ?? [] {
                guard let pair = item.stringValue, let eq = pair.firstIndex(of: "=") else {
                    throw APIError(.badRequest, "parameters: expected NAME=VALUE, found \(item.compactJSON)")
                }
                options.parameters.append((String(pair[..<eq]), String(pair[pair.index(after: eq)...])))
            }
            let prepared = try api { () throws(ArgosyError) in
                try operations.resubmission(of: wf.workflow, options: options, now: Date())
            }
            try api { () throws(ArgosyError) in try store.create(prepared) }
            controller.wake()
            return try document(prepared)
        default:
            throw APIError(.badRequest, "'\(action)' is not supported by Argosy yet")
        }
        controller.wake()
        return try document(try api({ () throws(ArgosyError) in try store.get(uid: wf.uid) }) ?? wf)
    }
}

extension ArgosyServer {
    /// The workflow once the controller has applied a retry queued for it (as argo-server answers with the
    /// workflow already reset): the request taken and the phase no longer the old end (`endedAt`). After 30 s without a
    /// controller picking it up, the workflow as it stands.
    func retried(uid: String, name: String, endedAt: Date?) async throws -> JSONValue {
        let deadline = Date().addingTimeInterval(30)
        while true {
            let now = try api { () throws(ArgosyError) in try store.get(uid: uid) }
            guard let now else { throw APIError(.notFound, "workflow \(name) was deleted") }
            let applied = try api { () throws(ArgosyError) in try !store.hasRequests(uid: uid) }
            if (applied && (now.phase?.isFinished != true || now.finishedAt != endedAt)) || Date() > deadline {
                return try document(now)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// A `set` request body: `nodeFieldSelector`, `phase`, `message` and `outputParameters` (a JSON object, or
    /// the JSON text of one as Argo's CLI sends it).
    func nodeUpdate(_ body: JSONValue) throws -> NodeUpdate {
        guard let selector = body["nodeFieldSelector"]?.stringValue, !selector.isEmpty else {
            throw APIError(.badRequest, "nodeFieldSelector is required")
        }
        var update = NodeUpdate(selector: selector, message: body["message"]?.stringValue)
        if let phase = body["phase"]?.stringValue, !phase.isEmpty {
            guard let p = NodePhase(rawValue: phase) else {
                throw APIError(.badRequest, "phase: unknown phase '\(phase)'")
            }
            update.phase = p
        }
        var outputs = body["outputParameters"]
        if let text = outputs?.stringValue {
            outputs = text.isEmpty ? nil : try? JSONValue.parse(text)
            if outputs == nil, !text.isEmpty { throw APIError(.badRequest, "outputParameters: not a JSON object") }
        }
        if let outputs, outputs != .null {
            guard case .object(let o) = outputs else {
                throw APIError(.badRequest, "outputParameters: not a JSON object")
            }
            for (name, value) in o {
                update.outputParameters[name] = value.parameterString
            }
        }
        return update
    }
}

/// Kubernetes label and field selectors (the subset clients send: `k=v`, `k==v`, `k!=v`, `k`, `!k`).
enum Selector {
    static func matches(_ selector: String, labels: [String: String]) -> Bool {
        for term in selector.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !term.isEmpty
        {
            if let r = term.range(of: "!=") {
                if labels[String(term[..<r.lowerBound])] == String(term[r.upperBound...]) { return false }
            } else if let r = term.range(of: "==") ?? term.range(of: "=") {
                if labels[String(term[..<r.lowerBound])] != String(term[r.upperBound...]) { return false }
            } else if term.hasPrefix("!") {
                if labels[String(term.dropFirst())] != nil { return false }
            } else if labels[term] == nil {
                return false
            }
        }
        return true
    }

    static func matchesFields(_ selector: String, _ wf: StoredWorkflow) -> Bool {
        for term in selector.split(separator: ",") {
            let kv = term.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { continue }
            let key = kv[0].hasSuffix("!") ? String(kv[0].dropLast()) : kv[0]
            let negate = kv[0].hasSuffix("!")
            let actual: String? =
                switch key {
                case "metadata.name": wf.workflow.name
                case "metadata.namespace": wf.workflow.namespace
                case "metadata.uid": wf.uid
                case "status.phase": wf.phase?.rawValue
                default: nil
                }
            if (actual == kv[1]) == negate { return false }
        }
        return true
    }
}
