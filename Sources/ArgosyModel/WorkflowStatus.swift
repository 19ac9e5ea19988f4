import Foundation
import OrderedCollections

/// A workflow's phase, as Argo names it.
public enum WorkflowPhase: String, Codable, Sendable, CaseIterable {
    case pending = "Pending"
    case running = "Running"
    case succeeded = "Succeeded"
    case failed = "Failed"
    case error = "Error"

    public var isFinished: Bool { self == .succeeded || self == .failed || self == .error }
}

/// A node's phase.
public enum NodePhase: String, Codable, Sendable, CaseIterable {
    case pending = "Pending"
    case running = "Running"
    case succeeded = "Succeeded"
    case skipped = "Skipped"
    case failed = "Failed"
    case error = "Error"
    case omitted = "Omitted"

    public var isFinished: Bool {
        switch self {
        case .succeeded, .skipped, .failed, .error, .omitted: true
        case .pending, .running: false
        }
    }

    /// Failed or Error.
    public var isUnsuccessful: Bool { self == .failed || self == .error }
}

/// The kind of a node in the workflow's node tree.
public enum NodeType: String, Codable, Sendable {
    case pod = "Pod"
    case container = "Container"
    case steps = "Steps"
    case stepGroup = "StepGroup"
    case dag = "DAG"
    case taskGroup = "TaskGroup"
    case retry = "Retry"
    case skipped = "Skipped"
    case suspend = "Suspend"
}

/// The observed state of a workflow: Argo's `status` block.
public struct WorkflowStatus: Codable, Sendable {
    public var phase: WorkflowPhase?
    public var startedAt: Date?
    public var finishedAt: Date?
    public var progress: String?
    public var message: String?
    public var nodes: [String: NodeStatus]?
    public var outputs: Outputs?
    public var conditions: [Condition]?

    public init() {}

    public struct Condition: Codable, Sendable, Hashable {
        public var type: String
        public var status: String
        public var message: String?

        public init(type: String, status: String, message: String? = nil) {
            self.type = type
            self.status = status
            self.message = message
        }
    }
}

/// One node of the workflow's tree: a pod, a group, a retry, a suspend point.
public struct NodeStatus: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var displayName: String
    public var type: NodeType
    public var templateName: String?
    /// Set for nodes of a template from a WorkflowTemplate (`templateName` is then empty, as in Argo).
    public var templateRef: TemplateRef?
    public var templateScope: String?
    public var phase: NodePhase
    public var boundaryID: String?
    public var message: String?
    public var startedAt: Date?
    public var finishedAt: Date?
    public var progress: String?
    public var inputs: Inputs?
    public var outputs: Outputs?
    public var children: [String]?
    public var outboundNodes: [String]?
    public var hostNodeName: String?
    public var memoizationStatus: MemoizationStatus?
    /// Argo's pod name for pod nodes (`<workflow>-<template>-<hash>`).
    public var podName: String?
    /// Argosy: when a running step is killed for exceeding `activeDeadlineSeconds` or `timeout`.
    public var deadline: Date?

    public init(id: String, name: String, displayName: String, type: NodeType, phase: NodePhase) {
        self.id = id
        self.name = name
        self.displayName = displayName
        self.type = type
        self.phase = phase
    }
}

extension Workflow {
    /// Argo's node id for a node name: `<workflow>-<fnv1a32(name)>`; the root node's id is the workflow name.
    public static func nodeID(workflowName: String, nodeName: String) -> String {
        if nodeName == workflowName { return workflowName }
        var hash: UInt32 = 0x811c_9dc5
        for byte in nodeName.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 0x0100_0193
        }
        return "\(workflowName)-\(hash)"
    }
}
