import ArgosyModel
import Foundation

/// Turns a manifest into a workflow ready to store: options applied, name and uid assigned, arguments
/// checked against the entrypoint's inputs.
public enum WorkflowPreparation {
    public struct Options: Sendable {
        public var parameters: [(String, String)] = []
        public var entrypoint: String?
        public var name: String?
        public var generateName: String?
        public var namespace: String?
        public var serviceAccount: String?
        public var labels: [(String, String)] = []
        /// `parameterBytes` bounds each argument's value.
        public var limits = Limits()

        public init() {}
    }

    /// The manifest with the entrypoint, service account, name, labels and parameter values of `options` set, and
    /// nothing checked (what a client sends a server, which prepares it).
    public static func applying(_ options: Options, to input: Workflow) -> Workflow {
        var wf = input
        if let e = options.entrypoint { wf.spec.entrypoint = e }
        if let sa = options.serviceAccount { wf.spec.serviceAccountName = sa }
        if let name = options.name {
            wf.metadata.name = name
        } else if let g = options.generateName {
            wf.metadata.name = nil
            wf.metadata.generateName = g
        }
        for (k, v) in options.labels {
            var labels = wf.metadata.labels ?? [:]
            labels[k] = v
            wf.metadata.labels = labels
        }
        var params = wf.spec.arguments?.parameters ?? []
        for (k, v) in options.parameters {
            if let i = params.firstIndex(where: { $0.name == k }) {
                params[i].value = v
            } else {
                params.append(Parameter(name: k, value: v))
            }
        }
        if !params.isEmpty {
            var args = wf.spec.arguments ?? Arguments()
            args.parameters = params
            wf.spec.arguments = args
        }
        return wf
    }

    /// Applies `options`, assigns identity and validates the arguments. Throws an error naming the field.
    public static func prepare(_ input: Workflow, options: Options, now: Date) throws(ArgosyError) -> Workflow {
        var wf = applying(options, to: input)
        wf.apiVersion = "argoproj.io/v1alpha1"
        wf.kind = "Workflow"
        wf.status = nil
        if let ns = options.namespace { wf.metadata.namespace = ns }
        if wf.metadata.namespace == nil || wf.metadata.namespace == "" { wf.metadata.namespace = "default" }
        try KubernetesName.checkLabel(wf.metadata.namespace ?? "", field: "metadata.namespace")
        if (wf.metadata.name ?? "").isEmpty {
            guard let prefix = wf.metadata.generateName, !prefix.isEmpty else {
                throw ArgosyError(.invalid, "metadata.name or metadata.generateName is required")
            }
            wf.metadata.name = prefix + randomSuffix()
        }
        try validateName(wf.metadata.name ?? "")
        let params = wf.spec.arguments?.parameters ?? []
        for p in params {
            if p.value == nil, p.default == nil {
                throw ArgosyError(
                    .invalid, "spec.arguments.parameters.\(p.name).value is required (pass it with -p \(p.name)=VALUE)")
            }
            let v = p.value ?? p.default ?? ""
            if v.utf8.count > options.limits.parameterBytes {
                throw ArgosyError(
                    .invalid,
                    "spec.arguments.parameters.\(p.name): the value is \(v.utf8.count) bytes, more than the limit of \(options.limits.parameterBytes) (limits.parameterBytes)"
                )
            }
            if let allowed = p.enum, !allowed.isEmpty, !allowed.contains(v) {
                throw ArgosyError(
                    .invalid,
                    "spec.arguments.parameters.\(p.name): value '\(v)' is not one of \(allowed.joined(separator: ", "))"
                )
            }
        }
        if !params.isEmpty {
            var args = wf.spec.arguments ?? Arguments()
            args.parameters = params.map { p in
                var q = p
                if q.value == nil { q.value = q.default }
                return q
            }
            wf.spec.arguments = args
        }
        if let entry = wf.spec.entrypoint, let template = wf.spec.template(named: entry) {
            for input in template.inputs?.parameters ?? [] where input.value == nil && input.default == nil {
                if !params.contains(where: { $0.name == input.name }) {
                    throw ArgosyError(
                        .invalid,
                        "inputs.parameters.\(input.name) was not supplied: the entrypoint '\(entry)' needs it (pass it with -p \(input.name)=VALUE)"
                    )
                }
            }
        }
        wf.metadata.uid = UUID().uuidString.lowercased()
        wf.metadata.creationTimestamp = now
        return wf
    }

    /// Kubernetes names (DNS-1123 subdomains): lower-case letters, digits, '-' and '.', at most 253, starting and
    /// ending alphanumeric.
    public static func validateName(_ name: String, field: String = "metadata.name") throws(ArgosyError) {
        try KubernetesName.checkSubdomain(name, field: field)
    }

    /// `wf` under a freshly generated name (`generateName` plus a new suffix), for when the last one was taken.
    public static func renamed(_ wf: Workflow) -> Workflow {
        var copy = wf
        copy.metadata.name = (wf.metadata.generateName ?? "") + randomSuffix()
        return copy
    }

    static func randomSuffix() -> String {
        let chars = Array("bcdfghjklmnpqrstvwxz2456789")
        return String((0..<5).map { _ in chars.randomElement()! })
    }
}
