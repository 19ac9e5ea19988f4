import Foundation
import OrderedCollections

/// One step of a `steps` template.
public struct WorkflowStep: Codable, Sendable {
    public var name: String
    public var template: String?
    public var templateRef: TemplateRef?
    public var inline: JSONValue?
    public var arguments: Arguments?
    public var withItems: [JSONValue]?
    public var withParam: String?
    public var withSequence: Sequence?
    public var when: String?
    public var continueOn: ContinueOn?
    public var onExit: String?
    public var hooks: [String: LifecycleHook]?

    public init(name: String, template: String) {
        self.name = name
        self.template = template
    }
}

/// A `dag` template.
public struct DAGTemplate: Codable, Sendable {
    public var target: String?
    public var tasks: [DAGTask]
    public var failFast: Bool?
}

/// One task of a `dag` template.
public struct DAGTask: Codable, Sendable {
    public var name: String
    public var template: String?
    public var templateRef: TemplateRef?
    public var inline: JSONValue?
    public var arguments: Arguments?
    public var dependencies: [String]?
    public var depends: String?
    public var withItems: [JSONValue]?
    public var withParam: String?
    public var withSequence: Sequence?
    public var when: String?
    public var continueOn: ContinueOn?
    public var onExit: String?
    public var hooks: [String: LifecycleHook]?
}

/// A reference to a template of a WorkflowTemplate (not supported until templates are stored).
public struct TemplateRef: Codable, Sendable, Hashable {
    public var name: String
    public var template: String
    public var clusterScope: Bool?

    public init(name: String, template: String, clusterScope: Bool? = nil) {
        self.name = name
        self.template = template
        self.clusterScope = clusterScope
    }

    /// The key under which a workflow holds a referenced template once resolved: `NAME/TEMPLATE`
    /// (`cluster:NAME/TEMPLATE` for a ClusterWorkflowTemplate). Kubernetes names contain neither `/` nor `:`.
    public var key: String { "\(clusterScope == true ? "cluster:" : "")\(name)/\(template)" }

    /// The reference a resolved template key stands for, or nil for a workflow's own template name.
    public init?(key: String) {
        guard let slash = key.firstIndex(of: "/") else { return nil }
        var head = Substring(key[..<slash])
        let cluster = head.hasPrefix("cluster:")
        if cluster { head = head.dropFirst(8) }
        self.init(
            name: String(head), template: String(key[key.index(after: slash)...]), clusterScope: cluster ? true : nil)
    }
}

/// `withSequence`.
public struct Sequence: Codable, Sendable, Hashable {
    public var count: IntOrString?
    public var start: IntOrString?
    public var end: IntOrString?
    public var format: String?

    /// How many items the sequence has when its numbers are written in the manifest (nil when a variable or an
    /// expression sets one of them).
    public var literalCount: Int? {
        func literal(_ v: IntOrString?) -> Int?? {
            switch v {
            case nil: .some(nil)
            case .int(let i)?: .some(i)
            case .string(let s)?: Int(s.trimmingCharacters(in: .whitespaces)).map { .some($0) } ?? nil
            }
        }
        guard let start = literal(start), let count = literal(count), let end = literal(end) else { return nil }
        if let count { return count }
        guard let end else { return nil }
        let difference = end.subtractingReportingOverflow(start ?? 0)
        let span = difference.partialValue.magnitude
        return difference.overflow || span >= UInt(Int.max) ? Int.max : Int(span) + 1
    }
}

/// `continueOn`: let the parent go on although this step failed or errored.
public struct ContinueOn: Codable, Sendable, Hashable {
    public var error: Bool?
    public var failed: Bool?
}

/// A lifecycle hook: run `template` when `expression` becomes true (or on exit, for the key `exit`).
public struct LifecycleHook: Codable, Sendable {
    public var template: String?
    public var templateRef: TemplateRef?
    public var arguments: Arguments?
    public var expression: String?

    public init(template: String?, arguments: Arguments? = nil, expression: String? = nil) {
        self.template = template
        self.arguments = arguments
        self.expression = expression
    }
}

/// `suspend` template: wait for `argosy resume`, or for `duration`.
public struct SuspendTemplate: Codable, Sendable, Hashable {
    public var duration: String?
}

/// `retryStrategy`.
public struct RetryStrategy: Codable, Sendable, Hashable {
    public var limit: IntOrString?
    public var retryPolicy: String?
    public var backoff: Backoff?
    public var expression: String?
    public var affinity: JSONValue?

    public struct Backoff: Codable, Sendable, Hashable {
        public var duration: String?
        public var factor: IntOrString?
        public var maxDuration: String?
        public var cap: String?
    }
}
