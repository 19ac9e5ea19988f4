import ArgosyController
import ArgosyModel
import ArgosyStore
import Foundation

/// Where `template`, `cluster-template` and `cron` commands keep their resources: this machine's store, or the
/// argo-server named by `--argo-server` or `ARGO_SERVER`. Both hand out the API form of a resource
/// (`ResourceDocument`), so the commands show the same thing either way.
enum ResourceSource {
    case local(CLIContext, WorkflowStore)
    case remote(RemoteServer)

    init(_ global: GlobalOptions) throws {
        if let remote = global.remote {
            self = .remote(remote)
        } else {
            let context = CLIContext()
            self = .local(context, try context.openStore())
        }
    }

    /// The resources of `kind` in `namespace` (every namespace when nil), oldest first.
    func list(_ kind: ResourceKind, namespace: String?) throws -> [JSONValue] {
        switch self {
        case .local(_, let store):
            return try store.resources(kind, namespace: kind.isClusterScoped ? "" : namespace).map {
                r throws(ArgosyError) in try ResourceDocument.json(r, store: store)
            }
        case .remote(let server):
            return try server.call("GET", Self.path(kind, namespace ?? ""))["items"]?.arrayValue ?? []
        }
    }

    func get(_ kind: ResourceKind, namespace: String, name: String) throws -> JSONValue {
        switch self {
        case .local(_, let store):
            guard let r = try store.resource(kind, namespace: kind.isClusterScoped ? "" : namespace, name: name) else {
                throw ArgosyError(.notFound, "\(kind.plural).argoproj.io \"\(name)\" not found")
            }
            return try ResourceDocument.json(r, store: store)
        case .remote(let server):
            return try server.call("GET", Self.path(kind, namespace, name))
        }
    }

    /// Stores a linted manifest (`name` is checked, `namespace` set); `update` replaces an existing one.
    func save(_ kind: ResourceKind, _ manifest: some Encodable, name: String, namespace: String, update: Bool)
        throws
    {
        switch self {
        case .local(_, let store):
            let text = try StoredManifest.encode(manifest)
            let ns = kind.isClusterScoped ? "" : namespace
            if update {
                try store.updateResource(kind, namespace: ns, name: name, manifest: text)
            } else {
                try store.createResource(kind, namespace: ns, name: name, manifest: text, now: Date())
            }
        case .remote(let server):
            let field = kind == .cronWorkflow ? "cronWorkflow" : "template"
            let body: JSONValue = [field: try JSONValue(encoding: manifest)]
            if update {
                _ = try server.call("PUT", Self.path(kind, namespace, name), body: body)
            } else {
                _ = try server.call("POST", Self.path(kind, namespace), body: body)
            }
        }
    }

    func delete(_ kind: ResourceKind, namespace: String, name: String) throws {
        switch self {
        case .local(_, let store):
            let ns = kind.isClusterScoped ? "" : namespace
            guard try store.deleteResource(kind, namespace: ns, name: name) else {
                throw ArgosyError(.notFound, "\(kind.plural).argoproj.io \"\(name)\" not found")
            }
            if kind == .cronWorkflow { try store.deleteCronState(namespace: ns, name: name) }
        case .remote(let server):
            _ = try server.call("DELETE", Self.path(kind, namespace, name))
        }
    }

    /// Sets or clears `spec.suspend` of a CronWorkflow.
    func setSuspended(_ name: String, namespace: String, _ suspended: Bool) throws {
        switch self {
        case .local(let context, let store):
            try store.setCronSuspended(namespace: namespace, name: name, suspended)
            if !suspended { try context.ensureBackgroundController() }
        case .remote(let server):
            _ = try server.call("PUT", Self.path(.cronWorkflow, namespace, name) + (suspended ? "/suspend" : "/resume"))
        }
    }

    /// After creating CronWorkflows locally, a controller must be there to run them; a server is one.
    func ensureScheduler() throws {
        if case .local(let context, _) = self { try context.ensureBackgroundController() }
    }

    /// argo-server's path for the resources of `kind` (an empty namespace: every namespace), or one of them.
    static func path(_ kind: ResourceKind, _ namespace: String, _ name: String? = nil) -> String {
        var path =
            switch kind {
            case .workflowTemplate: "/api/v1/workflow-templates"
            case .clusterWorkflowTemplate: "/api/v1/cluster-workflow-templates"
            case .cronWorkflow: "/api/v1/cron-workflows"
            }
        if !kind.isClusterScoped, !namespace.isEmpty { path += "/" + RemoteServer.path(namespace) }
        if let name { path += "/" + RemoteServer.path(name) }
        return path
    }
}
