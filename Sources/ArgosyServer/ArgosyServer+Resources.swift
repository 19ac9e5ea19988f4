import ArgosyController
import ArgosyEngine
import ArgosyModel
import ArgosyStore
import Foundation
import Hummingbird

extension ArgosyServer {
    /// WorkflowTemplates, ClusterWorkflowTemplates, CronWorkflows and the archive.
    func addResourceRoutes(_ router: Router<ArgosyRequestContext>) {
        addStoredRoutes(
            router, base: "/api/v1/workflow-templates/:namespace", kind: .workflowTemplate, field: "template")
        addStoredRoutes(
            router, base: "/api/v1/cluster-workflow-templates", kind: .clusterWorkflowTemplate, field: "template")
        addStoredRoutes(router, base: "/api/v1/cron-workflows/:namespace", kind: .cronWorkflow, field: "cronWorkflow")
        for (action, suspend) in [("suspend", true), ("resume", false)] {
            router.put("/api/v1/cron-workflows/:namespace/:name/\(action)") { _, context in
                let ns = try namespace(context)
                let name = try self.name(context)
                try api { () throws(ArgosyError) in try store.setCronSuspended(namespace: ns, name: name, suspend) }
                controller.wake()
                return JSON(try stored(.cronWorkflow, ns, name))
            }
        }
        router.get("/api/v1/archived-workflows") { request, context in
            let ns = request.uri.queryParameters["namespace"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
            if let ns {
                try api { () throws(ArgosyError) in try KubernetesName.checkLabel(ns, field: "namespace") }
                try context.access.check(namespace: ns)
            }
            let items = try api { () throws(ArgosyError) in try store.archived(namespace: ns) }
                .filter { context.access.allows(namespace: $0.namespace) }
                .map { (try? JSONValue(encoding: $0.workflow)) ?? .null }
            return JSON(["metadata": [:], "items": items.isEmpty ? .null : .array(items)])
        }
        router.get("/api/v1/archived-workflows/:uid") { _, context in
            let archived = try archivedWorkflow(context)  // 404 when there is none (not a body of null)
            return JSON((try? JSONValue(encoding: archived.workflow)) ?? .null)
        }
        router.delete("/api/v1/archived-workflows/:uid") { _, context in
            let a = try archivedWorkflow(context)
            _ = try api { () throws(ArgosyError) in try store.deleteArchived(uid: a.uid) }
            return JSON([:])
        }
        router.put("/api/v1/archived-workflows/:uid/resubmit") { _, context in
            let a = try archivedWorkflow(context)
            let prepared = try api { () throws(ArgosyError) in
                try operations.resubmission(of: a.workflow, options: namespaceOptions(a.namespace), now: Date())
            }
            try api { () throws(ArgosyError) in try store.create(prepared) }
            controller.wake()
            return JSON(try document(prepared))
        }
        router.put("/api/v1/archived-workflows/:uid/retry") { _, context in
            let a = try archivedWorkflow(context)
            guard a.phase == .failed || a.phase == .error else {
                throw APIError(.badRequest, "cannot retry \(a.name): only Failed or Error workflows can be retried")
            }
            try api { () throws(ArgosyError) in
                try store.restore(a)
                try store.updateManifest(uid: a.uid) {
                    $0.spec.shutdown = nil
                    $0.spec.ttlStrategy = nil
                }
            }
            // Its end as restored, read before the retry is queued (no controller takes up a finished workflow
            // without one), so that the new end can be told from it.
            let endedAt = try api { () throws(ArgosyError) in try store.get(uid: a.uid) }?.finishedAt
            try api { () throws(ArgosyError) in try store.addRequest(uid: a.uid, kind: "retry") }
            controller.wake()
            return JSON(try await retried(uid: a.uid, name: a.name, endedAt: endedAt))
        }
    }

    /// The archived workflow the path's `:uid` names; one in a namespace the caller may not use is not found
    /// for it (its uid is all the caller gave: saying 403 would tell the namespace).
    func archivedWorkflow(_ context: ArgosyRequestContext) throws -> ArchivedWorkflow {
        let uid = try context.parameters.require("uid")
        guard let a = try api({ () throws(ArgosyError) in try store.archived(id: uid, namespace: "") }),
            context.access.allows(namespace: a.namespace)
        else {
            throw APIError(.notFound, "archived workflow \"\(uid.prefix(80))\" not found")
        }
        return a
    }

    /// CRUD and lint for a kind of stored resource, under `base` (with or without a namespace).
    func addStoredRoutes(_ router: Router<ArgosyRequestContext>, base: String, kind: ResourceKind, field: String) {
        /// The path's namespace ("" for a cluster-scoped kind, which needs a caller that may use those).
        @Sendable func namespace(_ context: ArgosyRequestContext) throws -> String {
            if kind.isClusterScoped {
                try context.access.checkClusterScope(kind.plural)
                return ""
            }
            return try self.namespace(context)
        }
        @Sendable func listing(_ ns: String?, _ access: Access) throws -> JSON {
            let items = try api { () throws(ArgosyError) in
                try store.resources(kind, namespace: ns).filter {
                    kind.isClusterScoped || access.allows(namespace: $0.namespace)
                }
                .map { r throws(ArgosyError) in try ResourceDocument.json(r, store: store) }
            }
            return JSON(["metadata": [:], "items": items.isEmpty ? .null : .array(items)])
        }
        if !kind.isClusterScoped {
            // Without a namespace: every namespace the caller may use.
            router.get(RouterPath(String(base.dropLast("/:namespace".count)))) { _, context in
                try listing(nil, context.access)
            }
        }
        router.get(RouterPath(base)) { _, context in try listing(try namespace(context), context.access) }
        router.post(RouterPath(base)) { request, context in
            let ns = try namespace(context)
            let (name, manifest) = try validated(kind, field, try await body(request), namespace: ns)
            try api { () throws(ArgosyError) in
                try store.createResource(kind, namespace: ns, name: name, manifest: manifest, now: Date())
            }
            controller.wake()
            return JSON(try stored(kind, ns, name))
        }
        router.post(RouterPath(base + "/lint")) { request, context in
            let ns = try namespace(context)
            let (_, manifest) = try validated(kind, field, try await body(request), namespace: ns)
            return JSON(try manifestJSON(kind, manifest))
        }
        // The lint path's literal wins over `:name` in the router: a resource named "lint" is read here.
        router.get(RouterPath(base + "/lint")) { _, context in JSON(try stored(kind, try namespace(context), "lint")) }
        router.get(RouterPath(base + "/:name")) { _, context in
            let ns = try namespace(context)
            return JSON(try stored(kind, ns, try self.name(context)))
        }
        router.put(RouterPath(base + "/:name")) { request, context in
            let ns = try namespace(context)
            let pathName = try self.name(context)
            let (name, manifest) = try validated(kind, field, try await body(request), namespace: ns)
            guard name == pathName else {
                throw APIError(.badRequest, "the name in the body (\(name)) differs from the path")
            }
            try api { () throws(ArgosyError) in
                try store.updateResource(kind, namespace: ns, name: name, manifest: manifest)
            }
            return JSON(try stored(kind, ns, name))
        }
        router.delete(RouterPath(base + "/:name")) { _, context in
            let ns = try namespace(context)
            let name = try self.name(context)
            guard try api({ () throws(ArgosyError) in try store.deleteResource(kind, namespace: ns, name: name) })
            else {
                throw APIError(.notFound, "\(kind.plural).argoproj.io \"\(name)\" not found")
            }
            if kind == .cronWorkflow { try? store.deleteCronState(namespace: ns, name: name) }
            return JSON([:])
        }
    }

    /// Lints the body's manifest of `kind` and returns its name and stored form.
    func validated(_ kind: ResourceKind, _ field: String, _ body: JSONValue, namespace: String) throws -> (
        String, String
    ) {
        guard case .object(var o)? = body[field] else { throw APIError(.badRequest, "missing field '\(field)'") }
        if o["apiVersion"] == nil { o["apiVersion"] = "argoproj.io/v1alpha1" }
        if o["kind"] == nil { o["kind"] = .string(kind.rawValue) }
        let resource = try api { () throws(ArgosyError) in
            try WorkflowSubmission.lint(.object(o), file: field, limits: options.limits)
        }
        return try api { () throws(ArgosyError) in
            switch (resource, kind) {
            case (.workflowTemplate(var wf), .workflowTemplate),
                (.clusterWorkflowTemplate(var wf), .clusterWorkflowTemplate):
                let name = wf.metadata.name ?? ""
                try WorkflowPreparation.validateName(name)
                wf.metadata.namespace = kind.isClusterScoped ? nil : namespace
                if wf.metadata.creationTimestamp == nil { wf.metadata.creationTimestamp = Date() }
                return (name, try StoredManifest.encode(wf))
            case (.cronWorkflow(var cron), .cronWorkflow):
                let name = cron.metadata.name ?? ""
                try WorkflowPreparation.validateName(name)
                _ = try CronPlanner(cron)
                cron.metadata.namespace = namespace
                if cron.metadata.creationTimestamp == nil { cron.metadata.creationTimestamp = Date() }
                return (name, try StoredManifest.encode(cron))
            default:
                throw ArgosyError(.invalid, "expected kind \(kind.rawValue), found \(resource.kind)")
            }
        }
    }

    /// A stored resource in its API form; 404 when there is none.
    func stored(_ kind: ResourceKind, _ namespace: String, _ name: String) throws -> JSONValue {
        try api { () throws(ArgosyError) in
            guard let r = try store.resource(kind, namespace: namespace, name: name) else {
                throw ArgosyError(.notFound, "\(kind.plural).argoproj.io \"\(name)\" not found")
            }
            return try ResourceDocument.json(r, store: store)
        }
    }

    func manifestJSON(_ kind: ResourceKind, _ manifest: String) throws -> JSONValue {
        try api { () throws(ArgosyError) -> JSONValue in
            switch kind {
            case .cronWorkflow:
                return (try? JSONValue(encoding: try StoredManifest.decode(CronWorkflow.self, manifest)))
                    ?? .null
            default:
                var wf = try StoredManifest.decode(Workflow.self, manifest)
                wf.kind = kind.rawValue
                return (try? JSONValue(encoding: wf)) ?? .null
            }
        }
    }
}
