import ArgosyModel
import Foundation

/// Brings stored WorkflowTemplates into a workflow before it runs: `spec.workflowTemplateRef` (the template's
/// spec, overridden by the workflow's own fields) and every `templateRef` of steps, tasks and hooks (the
/// referenced template, and the templates it calls, copied in under the key `NAME/TEMPLATE`).
///
/// The result no longer refers to the store, so a stored workflow runs the same even if a template changes.
public struct TemplateResolver {
    /// Finds a WorkflowTemplate (`cluster` false, in the workflow's namespace) or ClusterWorkflowTemplate.
    public typealias Lookup = (_ name: String, _ cluster: Bool) throws -> Workflow?

    let lookup: Lookup

    public init(lookup: @escaping Lookup) { self.lookup = lookup }

    public func resolve(_ input: Workflow) throws(ArgosyError) -> Workflow {
        var wf = input
        if let ref = wf.spec.workflowTemplateRef {
            let template = try find(ref.name, cluster: ref.clusterScope == true, for: "spec.workflowTemplateRef")
            wf.spec = Self.merge(template.spec, overriddenBy: wf.spec)
            var labels = wf.metadata.labels ?? [:]
            labels[
                ref.clusterScope == true
                    ? "workflows.argoproj.io/cluster-workflow-template" : "workflows.argoproj.io/workflow-template"] =
                ref.name
            wf.metadata.labels = labels
        }
        var templates = wf.spec.templates ?? []
        var known = Set(templates.map(\.name))
        var queue: [(key: String, ref: TemplateRef)] = []
        templates = templates.map { rewrite($0, owner: nil, queue: &queue) }
        if let hooks = wf.spec.hooks {
            var out: [String: LifecycleHook] = [:]
            for (k, var hook) in hooks {
                if let r = hook.templateRef {
                    hook.template = r.key
                    hook.templateRef = nil
                    queue.append((r.key, r))
                }
                out[k] = hook
            }
            wf.spec.hooks = out
        }
        var cache: [String: Workflow] = [:]
        while let (key, ref) = queue.popLast() {
            if known.contains(key) { continue }
            known.insert(key)
            let cacheKey = "\(ref.clusterScope == true ? "c" : "n")/\(ref.name)"
            let source: Workflow
            if let cached = cache[cacheKey] {
                source = cached
            } else {
                source = try find(
                    ref.name, cluster: ref.clusterScope == true, for: "templateRef \(ref.name)/\(ref.template)")
                cache[cacheKey] = source
            }
            guard var template = source.spec.template(named: ref.template) else {
                throw ArgosyError(
                    .notFound,
                    "templateRef: template '\(ref.template)' not found in \(ref.clusterScope == true ? "clusterworkflowtemplate" : "workflowtemplate") '\(ref.name)'"
                )
            }
            template.name = key
            templates.append(rewrite(template, owner: ref, queue: &queue))
        }
        wf.spec.templates = templates
        return wf
    }

    func find(_ name: String, cluster: Bool, for what: String) throws(ArgosyError) -> Workflow {
        do {
            if let found = try lookup(name, cluster) { return found }
        } catch let error as ArgosyError {
            throw error
        } catch {
            throw ArgosyError(.io, "\(what): \(error)")
        }
        let kind = cluster ? "clusterworkflowtemplates" : "workflowtemplates"
        throw ArgosyError(.notFound, "\(what): \(kind).argoproj.io \"\(name)\" not found")
    }

    /// Points a template's steps, tasks and hooks at resolved keys: `templateRef`s become keys, and inside a
    /// referenced template a plain `template: x` means `x` of the same WorkflowTemplate.
    func rewrite(_ input: Template, owner: TemplateRef?, queue: inout [(key: String, ref: TemplateRef)]) -> Template {
        var t = input
        func target(_ name: String?, _ ref: TemplateRef?) -> String? {
            if let ref {
                queue.append((ref.key, ref))
                return ref.key
            }
            guard let name, let owner else { return name }
            let local = TemplateRef(name: owner.name, template: name, clusterScope: owner.clusterScope)
            queue.append((local.key, local))
            return local.key
        }
        func hooks(_ h: [String: LifecycleHook]?) -> [String: LifecycleHook]? {
            h.map { all in
                all.mapValues { hook in
                    var hook = hook
                    hook.template = target(hook.template, hook.templateRef)
                    hook.templateRef = nil
                    return hook
                }
            }
        }
        if let steps = t.steps {
            t.steps = steps.map { group in
                group.map { step in
                    var s = step
                    s.template = target(s.template, s.templateRef)
                    s.templateRef = nil
                    if let onExit = s.onExit { s.onExit = target(onExit, nil) }
                    s.hooks = hooks(s.hooks)
                    return s
                }
            }
        }
        if var dag = t.dag {
            dag.tasks = dag.tasks.map { task in
                var d = task
                d.template = target(d.template, d.templateRef)
                d.templateRef = nil
                if let onExit = d.onExit { d.onExit = target(onExit, nil) }
                d.hooks = hooks(d.hooks)
                return d
            }
            t.dag = dag
        }
        return t
    }

    /// Argo's merge of a workflow onto its WorkflowTemplate: the workflow's fields win; arguments merge by name.
    static func merge(_ base: WorkflowSpec, overriddenBy wf: WorkflowSpec) -> WorkflowSpec {
        var out = base
        out.workflowTemplateRef = wf.workflowTemplateRef
        if let e = wf.entrypoint, !e.isEmpty { out.entrypoint = e }
        if let t = wf.templates, !t.isEmpty {
            var merged = out.templates ?? []
            for template in t {
                if let i = merged.firstIndex(where: { $0.name == template.name }) {
                    merged[i] = template
                } else {
                    merged.append(template)
                }
            }
            out.templates = merged
        }
        var params = base.arguments?.parameters ?? []
        for p in wf.arguments?.parameters ?? [] {
            if let i = params.firstIndex(where: { $0.name == p.name }) { params[i] = p } else { params.append(p) }
        }
        if !params.isEmpty {
            var args = out.arguments ?? Arguments()
            args.parameters = params
            out.arguments = args
        }
        if wf.onExit != nil { out.onExit = wf.onExit }
        if wf.hooks != nil { out.hooks = wf.hooks }
        if wf.parallelism != nil { out.parallelism = wf.parallelism }
        if wf.activeDeadlineSeconds != nil { out.activeDeadlineSeconds = wf.activeDeadlineSeconds }
        if wf.suspend != nil { out.suspend = wf.suspend }
        if wf.shutdown != nil { out.shutdown = wf.shutdown }
        if let v = wf.volumes, !v.isEmpty { out.volumes = (out.volumes ?? []) + v }
        if let v = wf.volumeClaimTemplates, !v.isEmpty {
            out.volumeClaimTemplates = (out.volumeClaimTemplates ?? []) + v
        }
        if wf.serviceAccountName != nil { out.serviceAccountName = wf.serviceAccountName }
        if wf.priority != nil { out.priority = wf.priority }
        if wf.retryStrategy != nil { out.retryStrategy = wf.retryStrategy }
        if wf.synchronization != nil { out.synchronization = wf.synchronization }
        if wf.ttlStrategy != nil { out.ttlStrategy = wf.ttlStrategy }
        if wf.podGC != nil { out.podGC = wf.podGC }
        if wf.templateDefaults != nil { out.templateDefaults = wf.templateDefaults }
        return out
    }
}
