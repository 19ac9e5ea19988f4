import ArgosyModel
import Foundation

/// A manifest document decoded into the resource its `kind` names.
public enum ArgoResource: Sendable {
    case workflow(Workflow)
    case workflowTemplate(Workflow)
    case clusterWorkflowTemplate(Workflow)
    case cronWorkflow(CronWorkflow)

    public var kind: String {
        switch self {
        case .workflow: "Workflow"
        case .workflowTemplate: "WorkflowTemplate"
        case .clusterWorkflowTemplate: "ClusterWorkflowTemplate"
        case .cronWorkflow: "CronWorkflow"
        }
    }
}

/// Decodes and validates Argo manifests, collecting every finding with its YAML position.
public enum ManifestLinter {
    /// Lints one document. The resource is returned when it decoded, even if it has errors. Loops whose size is
    /// written in the manifest are checked against `limits`.
    public static func lint(_ document: ManifestDocument, limits: Limits = Limits()) -> (
        resource: ArgoResource?, diagnostics: [Diagnostic]
    ) {
        var diagnostics = DiagnosticSink(document: document)
        guard case .object(let root) = document.value else {
            diagnostics.error(FieldPath(), "a manifest must be an object, found \(document.value.kindName)")
            return (nil, diagnostics.items)
        }
        let kind = root["kind"]?.stringValue ?? ""
        if let api = root["apiVersion"]?.stringValue, api != "argoproj.io/v1alpha1" {
            diagnostics.error(FieldPath().appending("apiVersion"), "expected 'argoproj.io/v1alpha1', found '\(api)'")
        } else if root["apiVersion"] == nil {
            diagnostics.error(FieldPath(), "missing required field 'apiVersion' (argoproj.io/v1alpha1)")
        }
        let resource: ArgoResource?
        switch kind {
        case "Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate":
            guard let wf = decode(Workflow.self, document, &diagnostics) else { return (nil, diagnostics.items) }
            if kind == "Workflow", (wf.metadata.name ?? "").isEmpty, (wf.metadata.generateName ?? "").isEmpty {
                diagnostics.error(
                    FieldPath().appending("metadata"), "metadata.name or metadata.generateName is required")
            }
            if kind != "Workflow", (wf.metadata.name ?? "").isEmpty {
                diagnostics.error(FieldPath().appending("metadata"), "metadata.name is required")
            }
            WorkflowValidator(
                spec: wf.spec, base: FieldPath().appending("spec"), requireEntrypoint: kind == "Workflow",
                limits: limits
            ).validate(into: &diagnostics)
            resource =
                kind == "Workflow"
                ? .workflow(wf) : kind == "WorkflowTemplate" ? .workflowTemplate(wf) : .clusterWorkflowTemplate(wf)
        case "CronWorkflow":
            guard let cron = decode(CronWorkflow.self, document, &diagnostics) else { return (nil, diagnostics.items) }
            let spec = FieldPath().appending("spec")
            if (cron.metadata.name ?? "").isEmpty {
                diagnostics.error(FieldPath().appending("metadata"), "metadata.name is required")
            }
            let schedules = (cron.spec.schedules ?? []) + (cron.spec.schedule.map { [$0] } ?? [])
            if schedules.isEmpty { diagnostics.error(spec, "one of schedule or schedules is required") }
            for (i, s) in schedules.enumerated() where !CronSyntax.looksValid(s) {
                diagnostics.error(
                    cron.spec.schedules != nil ? spec.appending("schedules").appending(i) : spec.appending("schedule"),
                    "invalid cron schedule '\(s)': expected 5 fields or a macro such as @hourly")
            }
            for (i, s) in schedules.enumerated() where CronSyntax.looksValid(s) {
                do { _ = try CronSchedule(s, timeZone: cron.spec.timezone) } catch {
                    diagnostics.error(
                        cron.spec.schedules != nil
                            ? spec.appending("schedules").appending(i) : spec.appending("schedule"),
                        error.description)
                }
            }
            if let p = cron.spec.concurrencyPolicy, !["Allow", "Forbid", "Replace"].contains(p) {
                diagnostics.error(
                    spec.appending("concurrencyPolicy"),
                    "concurrencyPolicy must be Allow, Forbid or Replace, found '\(p)'")
            }
            checkRange(
                cron.spec.startingDeadlineSeconds, 0...Int(ArgoDuration.maxSeconds),
                spec.appending("startingDeadlineSeconds"), into: &diagnostics)
            checkRange(
                cron.spec.successfulJobsHistoryLimit, 0...Int(Int32.max), spec.appending("successfulJobsHistoryLimit"),
                into: &diagnostics)
            checkRange(
                cron.spec.failedJobsHistoryLimit, 0...Int(Int32.max), spec.appending("failedJobsHistoryLimit"),
                into: &diagnostics)
            WorkflowValidator(
                spec: cron.spec.workflowSpec, base: spec.appending("workflowSpec"), requireEntrypoint: true,
                limits: limits
            ).validate(into: &diagnostics)
            resource = .cronWorkflow(cron)
        case "":
            diagnostics.error(FieldPath(), "missing required field 'kind'")
            return (nil, diagnostics.items)
        default:
            diagnostics.error(
                FieldPath().appending("kind"),
                "unsupported kind '\(kind)' (expected Workflow, WorkflowTemplate, ClusterWorkflowTemplate or CronWorkflow)"
            )
            return (nil, diagnostics.items)
        }
        return (resource, diagnostics.items)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ document: ManifestDocument, _ sink: inout DiagnosticSink) -> T? {
        do {
            let (value, unknown) = try JSONValueDecoder().decode(type, from: document.value)
            for path in unknown { sink.unknownField(path) }
            return value
        } catch let error as DecodingError {
            let (path, message) = describe(error)
            sink.error(path, message)
            return nil
        } catch {
            sink.error(FieldPath(), "\(error)")
            return nil
        }
    }

    static func describe(_ error: DecodingError) -> (FieldPath, String) {
        switch error {
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c):
            return (FieldPath(codingPath: c.codingPath), c.debugDescription)
        case .keyNotFound(let key, let c):
            return (FieldPath(codingPath: c.codingPath), "missing required field '\(key.stringValue)'")
        @unknown default:
            return (FieldPath(), "\(error)")
        }
    }
}

/// Collects diagnostics, attaching each one's source position.
struct DiagnosticSink {
    let document: ManifestDocument
    var items: [Diagnostic] = []

    mutating func error(_ path: FieldPath, _ message: String) {
        items.append(Diagnostic(.error, path, message, at: document.location(of: path)))
    }

    mutating func warning(_ path: FieldPath, _ message: String) {
        items.append(Diagnostic(.warning, path, message, at: document.location(of: path)))
    }

    /// Fields Kubernetes knows that mean nothing to a local step; reported as warnings.
    static let podOnlyFields: Set<String> = [
        "resources", "nodeSelector", "tolerations", "affinity", "serviceAccountName", "imagePullPolicy",
        "securityContext", "podSpecPatch", "imagePullSecrets", "hostNetwork", "dnsPolicy", "dnsConfig",
        "priorityClassName", "podPriorityClassName", "schedulerName", "podDisruptionBudget", "metadata",
        "podMetadata", "automountServiceAccountToken", "executor", "ports", "readinessProbe", "livenessProbe",
        "archiveLocation", "workflowMetadata", "archiveLogs", "metrics", "priority",
        "artifactRepositoryRef", "terminationMessagePath", "terminationMessagePolicy", "lifecycle", "startupProbe",
        "stdin", "tty", "stdinOnce", "volumeDevices", "resizePolicy", "restartPolicy", "shareProcessNamespace",
        "hostAliases", "artifactGC", "volumeClaimGC", "podSecurityContext",
    ]

    mutating func unknownField(_ path: FieldPath) {
        guard case .key(let key)? = path.components.last else { return }
        if Self.podOnlyFields.contains(key) {
            warning(path, "'\(key)' has no effect in Argosy's local runtime and is ignored")
        } else {
            warning(path, "unknown field '\(key)' is ignored")
        }
    }
}

/// Cheap shape check of a cron expression; full cron math arrives with CronWorkflow scheduling.
enum CronSyntax {
    static func looksValid(_ s: String) -> Bool {
        let t = s.trimmingCharacters(in: .whitespaces)
        if t.hasPrefix("@") {
            return ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"].contains(t)
                || t.hasPrefix("@every ")
        }
        let fields = t.split(separator: " ", omittingEmptySubsequences: true)
        return fields.count == 5 || fields.count == 6
    }
}
