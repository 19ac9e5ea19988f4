import Foundation
import OrderedCollections

/// One template of a workflow: exactly one of container, script, steps, dag or suspend.
public struct Template: Codable, Sendable {
    public var name: String
    public var inputs: Inputs?
    public var outputs: Outputs?
    public var container: Container?
    public var script: Script?
    public var steps: [[WorkflowStep]]?
    public var dag: DAGTemplate?
    public var suspend: SuspendTemplate?
    public var retryStrategy: RetryStrategy?
    public var activeDeadlineSeconds: IntOrString?
    public var timeout: String?
    public var parallelism: Int?
    public var failFast: Bool?
    public var volumes: [Volume]?
    public var daemon: Bool?
    public var memoize: Memoize?
    public var synchronization: Synchronization?
    public var resource: JSONValue?
    public var data: JSONValue?
    public var http: JSONValue?
    public var plugin: JSONValue?
    public var containerSet: JSONValue?
    public var sidecars: JSONValue?
    public var initContainers: JSONValue?

    public init(name: String) { self.name = name }

    /// The kind of work the template describes.
    public enum Kind: String, Sendable {
        case container, script, steps, dag, suspend, resource, data, http, plugin, containerSet
    }

    /// The kinds the template declares (a valid template declares exactly one).
    public var declaredKinds: [Kind] {
        var kinds: [Kind] = []
        if container != nil { kinds.append(.container) }
        if script != nil { kinds.append(.script) }
        if steps != nil { kinds.append(.steps) }
        if dag != nil { kinds.append(.dag) }
        if suspend != nil { kinds.append(.suspend) }
        if resource != nil { kinds.append(.resource) }
        if data != nil { kinds.append(.data) }
        if http != nil { kinds.append(.http) }
        if plugin != nil { kinds.append(.plugin) }
        if containerSet != nil { kinds.append(.containerSet) }
        return kinds
    }

    public var kind: Kind? { declaredKinds.first }

    /// True for templates that run a process (container or script): Argo's "pod" templates.
    public var runsProcess: Bool { container != nil || script != nil }
}

/// A container: the program a step runs. `image` chooses the entry point when `command` is absent.
public struct Container: Codable, Sendable, Hashable {
    public var name: String?
    public var image: String?
    public var command: [String]?
    public var args: [String]?
    public var env: [EnvVar]?
    public var envFrom: [EnvFromSource]?
    public var workingDir: String?
    public var volumeMounts: [VolumeMount]?

    public init(image: String? = nil, command: [String]? = nil, args: [String]? = nil) {
        self.image = image
        self.command = command
        self.args = args
    }
}

/// A script template: a container plus `source`, written to a file passed as the last argument.
public struct Script: Codable, Sendable, Hashable {
    public var name: String?
    public var image: String?
    public var command: [String]?
    public var args: [String]?
    public var env: [EnvVar]?
    public var envFrom: [EnvFromSource]?
    public var workingDir: String?
    public var volumeMounts: [VolumeMount]?
    public var source: String

    /// The script as a container (without its source).
    public var container: Container {
        var c = Container(image: image, command: command, args: args)
        c.name = name
        c.env = env
        c.envFrom = envFrom
        c.workingDir = workingDir
        c.volumeMounts = volumeMounts
        return c
    }
}

/// A container environment variable.
public struct EnvVar: Codable, Sendable, Hashable {
    public var name: String
    public var value: String?
    public var valueFrom: Source?

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    public struct Source: Codable, Sendable, Hashable {
        public var secretKeyRef: KeySelector?
        public var configMapKeyRef: KeySelector?
        public var fieldRef: FieldRef?
        public var resourceFieldRef: JSONValue?
    }

    public struct FieldRef: Codable, Sendable, Hashable {
        public var fieldPath: String
        public var apiVersion: String?
    }
}

/// `envFrom`: all keys of a secret or config map as variables.
public struct EnvFromSource: Codable, Sendable, Hashable {
    public var prefix: String?
    public var secretRef: NameRef?
    public var configMapRef: NameRef?

    public struct NameRef: Codable, Sendable, Hashable {
        public var name: String
        public var optional: Bool?
    }
}

/// Where a volume appears in a container.
public struct VolumeMount: Codable, Sendable, Hashable {
    public var name: String
    public var mountPath: String
    public var readOnly: Bool?
    public var subPath: String?
}

/// A pod volume. Argosy supports emptyDir, secret, configMap, hostPath and persistentVolumeClaim.
public struct Volume: Codable, Sendable, Hashable {
    public var name: String
    public var emptyDir: JSONValue?
    public var secret: SecretSource?
    public var configMap: ConfigMapSource?
    public var hostPath: HostPath?
    public var persistentVolumeClaim: ClaimSource?

    /// A volume backed by the named claim.
    public init(name: String, claimName: String) {
        self.name = name
        persistentVolumeClaim = ClaimSource(claimName: claimName)
    }

    public struct SecretSource: Codable, Sendable, Hashable {
        public var secretName: String
        public var items: [KeyToPath]?
        public var optional: Bool?
        public var defaultMode: Int?
    }

    public struct ConfigMapSource: Codable, Sendable, Hashable {
        public var name: String
        public var items: [KeyToPath]?
        public var optional: Bool?
        public var defaultMode: Int?
    }

    public struct KeyToPath: Codable, Sendable, Hashable {
        public var key: String
        public var path: String
        public var mode: Int?
    }

    public struct HostPath: Codable, Sendable, Hashable {
        public var path: String
        public var type: String?
    }

    public struct ClaimSource: Codable, Sendable, Hashable {
        public var claimName: String
        public var readOnly: Bool?

        public init(claimName: String, readOnly: Bool? = nil) {
            self.claimName = claimName
            self.readOnly = readOnly
        }
    }
}

/// A `volumeClaimTemplates` entry: a volume that lives as long as the workflow.
public struct PersistentVolumeClaim: Codable, Sendable, Hashable {
    public var metadata: ObjectMeta
    public var spec: JSONValue?
}
