import ArgosyEngine
import ArgosyModel
import ArgosyStore
import Foundation

/// The API form of a stored WorkflowTemplate, ClusterWorkflowTemplate or CronWorkflow, as argo-server returns
/// it and the CLI shows it, from the store or from a server alike. A CronWorkflow carries Argo's `status`:
/// `active` (its unfinished runs), `lastScheduledTime`, `succeeded`, `failed` and `phase` (Active or Stopped).
public enum ResourceDocument {
    public static func json(_ resource: StoredResource, store: WorkflowStore) throws(ArgosyError) -> JSONValue {
        switch resource.kind {
        case .cronWorkflow:
            let cron = try StoredManifest.decode(CronWorkflow.self, resource.manifest)
            guard case .object(var document) = try encode(cron) else { return .null }
            let state =
                try store.cronState(CronState.self, namespace: resource.namespace, name: resource.name) ?? CronState()
            let active = try store.cronRuns(namespace: resource.namespace, cron: resource.name)
                .filter { $0.phase?.isFinished != true }
                .map { run -> JSONValue in
                    ["kind": "Workflow", "namespace": .string(run.namespace), "name": .string(run.name)]
                }
            var status: [(String, JSONValue)] = [("active", .array(active))]
            if let last = state.lastScheduledTime {
                status.append(("lastScheduledTime", .string(Timestamp.format(last))))
            }
            status += [
                ("succeeded", .int(state.succeeded)), ("failed", .int(state.failed)),
                ("phase", state.stopped ? "Stopped" : "Active"),
            ]
            document["status"] = JSONValue(members: status)
            return .object(document)
        default:
            var wf = try StoredManifest.decode(Workflow.self, resource.manifest)
            wf.kind = resource.kind.rawValue
            return try encode(wf)
        }
    }

    private static func encode(_ value: some Encodable) throws(ArgosyError) -> JSONValue {
        do {
            return try JSONValue(encoding: value)
        } catch {
            throw ArgosyError(.internal, "cannot encode a stored resource: \(error)")
        }
    }
}

extension WorkflowStore {
    /// Sets (`suspended`) or clears a CronWorkflow's `spec.suspend`; `notFound` when there is none.
    public func setCronSuspended(namespace: String, name: String, _ suspended: Bool) throws(ArgosyError) {
        guard let r = try resource(.cronWorkflow, namespace: namespace, name: name) else {
            throw ArgosyError(.notFound, "cronworkflows.argoproj.io \"\(name)\" not found")
        }
        var cron = try StoredManifest.decode(CronWorkflow.self, r.manifest)
        cron.spec.suspend = suspended ? true : nil
        try updateResource(
            .cronWorkflow, namespace: namespace, name: name, manifest: try StoredManifest.encode(cron))
    }
}
