import ArgosyEngine
import ArgosyModel
import ArgosyStore
import Foundation

/// The workflow a stored resource stands for (`submit --from KIND/NAME`, the API's `submit`).
public enum SubmitSource {
    public static func workflow(kind: String, name: String, namespace: String, store: WorkflowStore)
        throws(ArgosyError) -> Workflow
    {
        var meta = ObjectMeta(namespace: namespace)
        meta.generateName = name + "-"
        switch kind.lowercased() {
        case "workflowtemplate", "workflowtemplates", "wftmpl":
            var spec = WorkflowSpec()
            spec.workflowTemplateRef = WorkflowTemplateRef(name: name)
            return Workflow(metadata: meta, spec: spec)
        case "clusterworkflowtemplate", "clusterworkflowtemplates", "cwftmpl":
            var spec = WorkflowSpec()
            spec.workflowTemplateRef = WorkflowTemplateRef(name: name, clusterScope: true)
            return Workflow(metadata: meta, spec: spec)
        case "cronwf", "cronworkflow", "cronworkflows", "cwf":
            guard let r = try store.resource(.cronWorkflow, namespace: namespace, name: name) else {
                throw ArgosyError(.notFound, "cronworkflows.argoproj.io \"\(name)\" not found")
            }
            let cron = try StoredManifest.decode(CronWorkflow.self, r.manifest)
            meta.labels = ["workflows.argoproj.io/cron-workflow": name]
            return Workflow(metadata: meta, spec: cron.spec.workflowSpec)
        default:
            throw ArgosyError(
                .invalid, "unknown resource kind '\(kind)' (use workflowtemplate, clusterworkflowtemplate or cronwf)")
        }
    }
}
