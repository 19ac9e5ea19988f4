import Foundation
import OrderedCollections

/// An Argo `Workflow` (`argoproj.io/v1alpha1`). Also the shape of `WorkflowTemplate` and
/// `ClusterWorkflowTemplate` manifests, whose spec is a workflow spec.
public struct Workflow: Codable, Sendable {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: WorkflowSpec
    public var status: WorkflowStatus?

    public init(metadata: ObjectMeta, spec: WorkflowSpec) {
        apiVersion = "argoproj.io/v1alpha1"
        kind = "Workflow"
        self.metadata = metadata
        self.spec = spec
    }

    public var name: String { metadata.name ?? "" }
    public var namespace: String { metadata.namespace ?? "default" }
}

/// The spec of a workflow.
public struct WorkflowSpec: Codable, Sendable {
    public var entrypoint: String?
    public var arguments: Arguments?
    public var templates: [Template]?
    public var onExit: String?
    public var hooks: [String: LifecycleHook]?
    public var parallelism: Int?
    public var activeDeadlineSeconds: Int?
    public var suspend: Bool?
    /// `Stop` or `Terminate`; set by `argosy stop`/`terminate`.
    public var shutdown: String?
    public var volumes: [Volume]?
    public var volumeClaimTemplates: [PersistentVolumeClaim]?
    public var serviceAccountName: String?
    public var workflowTemplateRef: WorkflowTemplateRef?
    public var templateDefaults: JSONValue?
    public var synchronization: Synchronization?
    public var ttlStrategy: TTLStrategy?
    public var podGC: PodGC?
    public var priority: Int?
    public var retryStrategy: RetryStrategy?

    public init(entrypoint: String? = nil, templates: [Template]? = nil) {
        self.entrypoint = entrypoint
        self.templates = templates
    }

    /// The template named `name`, if the spec defines it.
    public func template(named name: String) -> Template? {
        templates?.first { $0.name == name }
    }
}

/// `ttlStrategy`: delete a finished workflow after a while (it is archived first).
public struct TTLStrategy: Codable, Sendable, Hashable {
    public var secondsAfterCompletion: Int?
    public var secondsAfterSuccess: Int?
    public var secondsAfterFailure: Int?

    /// Seconds to keep a workflow that ended in `succeeded` (or failed), if any rule applies.
    public func seconds(succeeded: Bool) -> Int? {
        (succeeded ? secondsAfterSuccess : secondsAfterFailure) ?? secondsAfterCompletion
    }
}

/// `podGC`: remove finished steps' files (logs and outputs), as Argo deletes pods.
public struct PodGC: Codable, Sendable, Hashable {
    /// OnPodCompletion, OnPodSuccess, OnWorkflowCompletion or OnWorkflowSuccess.
    public var strategy: String?
    public var deleteDelayDuration: String?
    public var labelSelector: JSONValue?
}

/// `spec.workflowTemplateRef`: run a stored WorkflowTemplate (or ClusterWorkflowTemplate).
public struct WorkflowTemplateRef: Codable, Sendable, Hashable {
    public var name: String
    public var clusterScope: Bool?

    public init(name: String, clusterScope: Bool? = nil) {
        self.name = name
        self.clusterScope = clusterScope
    }
}

/// Parameters (and artifacts) passed to a workflow, step or task.
public struct Arguments: Codable, Sendable, Hashable {
    public var parameters: [Parameter]?
    public var artifacts: [Artifact]?

    public init(parameters: [Parameter]? = nil) { self.parameters = parameters }
}

/// A named parameter: an input, an argument or an output.
public struct Parameter: Codable, Sendable, Hashable {
    public var name: String
    public var value: String?
    public var `default`: String?
    public var `enum`: [String]?
    public var valueFrom: ValueFrom?
    public var globalName: String?
    public var description: String?

    public init(name: String, value: String? = nil) {
        self.name = name
        self.value = value
    }

    /// Where an output parameter's value comes from.
    public struct ValueFrom: Codable, Sendable, Hashable {
        public var path: String?
        public var `default`: String?
        public var supplied: JSONValue?
        public var expression: String?
        public var parameter: String?
        public var jsonPath: String?
        public var jqFilter: String?
        public var event: String?
        public var configMapKeyRef: KeySelector?
    }
}

/// An artifact declaration. Argosy passes local files only; see docs/compatibility.md.
public struct Artifact: Codable, Sendable, Hashable {
    public var name: String
    public var path: String?
    public var from: String?
    public var optional: Bool?
    public var raw: JSONValue?
    public var s3: JSONValue?
    public var http: JSONValue?
    public var git: JSONValue?
    public var archive: JSONValue?
    public var globalName: String?
}

/// Inputs of a template.
public struct Inputs: Codable, Sendable, Hashable {
    public var parameters: [Parameter]?
    public var artifacts: [Artifact]?
    public init(parameters: [Parameter]? = nil) { self.parameters = parameters }
}

/// Outputs of a template or node.
public struct Outputs: Codable, Sendable, Hashable {
    public var parameters: [Parameter]?
    public var artifacts: [Artifact]?
    public var result: String?
    public var exitCode: String?

    public init(parameters: [Parameter]? = nil, result: String? = nil, exitCode: String? = nil) {
        self.parameters = parameters
        self.result = result
        self.exitCode = exitCode
    }

    public var isEmpty: Bool {
        (parameters?.isEmpty ?? true) && (artifacts?.isEmpty ?? true) && result == nil && exitCode == nil
    }
}

/// `secretKeyRef` / `configMapKeyRef`.
public struct KeySelector: Codable, Sendable, Hashable {
    public var name: String
    public var key: String
    public var optional: Bool?
}
