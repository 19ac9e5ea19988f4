import ArgosyExpressions
import ArgosyModel
import Foundation

/// Static checks of a workflow spec, as `argo lint` does them, plus Argosy's list of what it cannot run yet.
struct WorkflowValidator {
    let spec: WorkflowSpec
    let base: FieldPath
    let requireEntrypoint: Bool
    var limits = Limits()

    func validate(into sink: inout DiagnosticSink) {
        let templates = spec.templates ?? []
        var names: [String: Int] = [:]
        for (i, t) in templates.enumerated() {
            let path = base.appending("templates").appending(i)
            if t.name.isEmpty {
                sink.error(path.appending("name"), "template name must not be empty")
            } else if !Self.isTemplateName(t.name) {
                sink.error(
                    path.appending("name"),
                    "template name '\(t.name.prefix(80))' is invalid: at most 128 letters, digits and '-', starting with a letter or digit"
                )
            }
            if let first = names[t.name] {
                sink.error(
                    path.appending("name"), "template '\(t.name)' is defined twice (first at templates[\(first)])")
            } else {
                names[t.name] = i
            }
        }
        if let entry = spec.entrypoint, !entry.isEmpty {
            if names[entry] == nil, spec.workflowTemplateRef == nil {
                sink.error(base.appending("entrypoint"), "entrypoint template '\(entry)' not found")
            }
        } else if requireEntrypoint, spec.workflowTemplateRef == nil {
            sink.error(base, "missing required field 'entrypoint'")
        }
        if let onExit = spec.onExit, names[onExit] == nil {
            sink.error(base.appending("onExit"), "onExit template '\(onExit)' not found")
        }
        for (key, hook) in spec.hooks ?? [:] {
            checkHook(hook, key: key, path: base.appending("hooks").appending(key), names: names, into: &sink)
        }
        if let sync = spec.synchronization {
            checkSynchronization(sync, base.appending("synchronization"), into: &sink)
        }
        if let strategy = spec.podGC?.strategy,
            !["OnPodCompletion", "OnPodSuccess", "OnWorkflowCompletion", "OnWorkflowSuccess"].contains(strategy)
        {
            sink.error(
                base.appending("podGC").appending("strategy"),
                "podGC.strategy must be OnPodCompletion, OnPodSuccess, OnWorkflowCompletion or OnWorkflowSuccess, found '\(strategy)'"
            )
        }
        if let delay = spec.podGC?.deleteDelayDuration, ArgoDuration.seconds(delay) == nil {
            sink.error(base.appending("podGC").appending("deleteDelayDuration"), "invalid duration '\(delay)'")
        }
        if spec.podGC?.labelSelector != nil {
            sink.warning(
                base.appending("podGC").appending("labelSelector"),
                "podGC.labelSelector is ignored: every step is collected")
        }
        if spec.templateDefaults != nil {
            sink.error(base.appending("templateDefaults"), "templateDefaults is not supported by Argosy yet")
        }
        if let s = spec.shutdown, !["", "Stop", "Terminate"].contains(s) {
            sink.error(base.appending("shutdown"), "shutdown must be Stop or Terminate, found '\(s)'")
        }
        if let p = spec.parallelism, p < 1 {
            sink.error(base.appending("parallelism"), "parallelism must be at least 1")
        }
        checkRange(
            spec.activeDeadlineSeconds, 0...Int(ArgoDuration.maxSeconds), base.appending("activeDeadlineSeconds"),
            into: &sink)
        checkRange(spec.priority, Int(Int32.min)...Int(Int32.max), base.appending("priority"), into: &sink)
        for (field, value) in [
            ("secondsAfterCompletion", spec.ttlStrategy?.secondsAfterCompletion),
            ("secondsAfterSuccess", spec.ttlStrategy?.secondsAfterSuccess),
            ("secondsAfterFailure", spec.ttlStrategy?.secondsAfterFailure),
        ] {
            checkRange(value, 0...Int(Int32.max), base.appending("ttlStrategy").appending(field), into: &sink)
        }
        if let retry = spec.retryStrategy { checkRetry(retry, base.appending("retryStrategy"), into: &sink) }
        let workflowParams = Set((spec.arguments?.parameters ?? []).map(\.name))
        for (i, p) in (spec.arguments?.parameters ?? []).enumerated() {
            let path = base.appending("arguments").appending("parameters").appending(i)
            if p.name.isEmpty { sink.error(path.appending("name"), "parameter name must not be empty") }
            if let v = p.value, let allowed = p.enum, !allowed.isEmpty, !allowed.contains(v) {
                sink.error(path.appending("value"), "value '\(v)' is not one of \(allowed.joined(separator: ", "))")
            }
            if p.valueFrom != nil {
                sink.error(
                    path.appending("valueFrom"), "workflow parameters with valueFrom are not supported by Argosy yet")
            }
        }
        if !(spec.arguments?.artifacts ?? []).isEmpty {
            sink.error(base.appending("arguments").appending("artifacts"), "artifacts are not supported by Argosy yet")
        }
        for (i, v) in (spec.volumes ?? []).enumerated() {
            checkVolume(v, base.appending("volumes").appending(i), into: &sink)
        }
        for (i, claim) in (spec.volumeClaimTemplates ?? []).enumerated() {
            let path = base.appending("volumeClaimTemplates").appending(i).appending("metadata").appending("name")
            if let name = claim.metadata.name { checkName(name, label: true, path, into: &sink) }
        }
        let volumeNames = Set(
            (spec.volumes ?? []).map(\.name) + (spec.volumeClaimTemplates ?? []).compactMap(\.metadata.name))
        for (i, t) in templates.enumerated() {
            TemplateValidator(
                template: t, path: base.appending("templates").appending(i), templateNames: names,
                workflowParameters: workflowParams, volumeNames: volumeNames, limits: limits
            ).validate(into: &sink)
        }
    }

    /// Argo's rule for template names (they become part of pod names, and so of file names).
    static func isTemplateName(_ name: String) -> Bool {
        let utf8 = name.utf8
        guard let first = utf8.first, utf8.count <= 128, isAlphanumeric(first) else { return false }
        return utf8.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    private static func isAlphanumeric(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }

    func checkHook(
        _ hook: LifecycleHook, key: String, path: FieldPath, names: [String: Int], into sink: inout DiagnosticSink
    ) {
        if let t = hook.template, names[t] == nil {
            sink.error(path.appending("template"), "template '\(t)' not found")
        }
        if hook.template == nil, hook.templateRef == nil { sink.error(path, "a hook needs a template") }
        if key != "exit" {
            sink.error(path, "lifecycle hooks other than 'exit' are not supported by Argosy yet")
        }
    }
}

/// A volume's name (a DNS-1123 label, as Kubernetes wants it), and the names it uses in paths.
func checkVolume(_ volume: Volume, _ path: FieldPath, into sink: inout DiagnosticSink) {
    checkName(volume.name, label: true, path.appending("name"), into: &sink)
    if let claim = volume.persistentVolumeClaim?.claimName {
        checkName(claim, label: false, path.appending("persistentVolumeClaim").appending("claimName"), into: &sink)
    }
    if let secret = volume.secret?.secretName {
        checkName(secret, label: false, path.appending("secret").appending("secretName"), into: &sink)
    }
    if let map = volume.configMap?.name {
        checkName(map, label: false, path.appending("configMap").appending("name"), into: &sink)
    }
    for (field, mode) in [("secret", volume.secret?.defaultMode), ("configMap", volume.configMap?.defaultMode)] {
        checkRange(mode, 0...0o7777, path.appending(field).appending("defaultMode"), into: &sink)
    }
}

/// A Kubernetes name written in the manifest (one with a `{{…}}` variable is checked when it is resolved).
func checkName(_ name: String, label: Bool, _ path: FieldPath, into sink: inout DiagnosticSink) {
    if name.contains("{{") { return }
    do {
        if label {
            try KubernetesName.checkLabel(name, field: "name")
        } else {
            try KubernetesName.checkSubdomain(name, field: "name")
        }
    } catch {
        sink.error(path, error.message)
    }
}

/// An integer field outside `range` (Argo's own type for it, e.g. int32, or a span Go's durations can hold).
func checkRange(_ value: Int?, _ range: ClosedRange<Int>, _ path: FieldPath, into sink: inout DiagnosticSink) {
    guard let value, !range.contains(value) else { return }
    sink.error(path, "\(value) is out of range: expected \(range.lowerBound) to \(range.upperBound)")
}

func checkRetry(_ retry: RetryStrategy, _ path: FieldPath, into sink: inout DiagnosticSink) {
    if let policy = retry.retryPolicy, !["Always", "OnFailure", "OnError", "OnTransientError"].contains(policy) {
        sink.error(
            path.appending("retryPolicy"),
            "retryPolicy must be Always, OnFailure, OnError or OnTransientError, found '\(policy)'")
    }
    if case .string(let s)? = retry.limit, !s.contains("{{"), Int(s) == nil {
        sink.error(path.appending("limit"), "limit must be an integer, found '\(s)'")
    }
    if let b = retry.backoff {
        for (name, value) in [("duration", b.duration), ("maxDuration", b.maxDuration), ("cap", b.cap)] {
            if let v = value, !v.contains("{{"), ArgoDuration.seconds(v) == nil {
                sink.error(path.appending("backoff").appending(name), "invalid duration '\(v)'")
            }
        }
        if b.duration == nil, b.factor != nil || b.maxDuration != nil {
            sink.error(path.appending("backoff").appending("duration"), "backoff needs a duration")
        }
    }
    if let e = retry.expression, !e.contains("{{") {
        do { _ = try Expression(e) } catch {
            sink.error(path.appending("expression"), "invalid expression: \(error.message)")
        }
    }
    if retry.affinity != nil {
        sink.warning(path.appending("affinity"), "retry affinity has no effect in Argosy's local runtime")
    }
}

/// Synchronization blocks: every lock must name a mutex or a config map key.
func checkSynchronization(_ sync: Synchronization, _ path: FieldPath, into sink: inout DiagnosticSink) {
    let semaphores = (sync.semaphore.map { [$0] } ?? []) + (sync.semaphores ?? [])
    for s in semaphores where s.configMapKeyRef == nil {
        sink.error(
            path,
            "a semaphore needs configMapKeyRef (database semaphores are not supported; the store is shared already)")
    }
    let mutexes = (sync.mutex.map { [$0] } ?? []) + (sync.mutexes ?? [])
    for m in mutexes where m.name.isEmpty { sink.error(path, "a mutex needs a name") }
    if sync.locks.isEmpty, semaphores.isEmpty, mutexes.isEmpty {
        sink.error(path, "synchronization names no mutex or semaphore")
    }
    if mutexes.contains(where: { $0.database == true }) {
        sink.warning(path, "database mutexes use Argosy's store, which every argosy process of this home shares")
    }
}
