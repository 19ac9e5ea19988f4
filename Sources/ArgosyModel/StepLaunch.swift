import Foundation

/// Everything needed to run one step attempt, with every `{{…}}` already substituted.
public struct StepLaunch: Codable, Sendable, Hashable {
    public var workflowUID: String
    public var namespace: String
    public var nodeID: String
    public var nodeName: String
    /// Argo's pod name (`<wf>-<template>-<hash>`); also the name of the step's directory.
    public var podName: String
    public var templateName: String
    public var container: Container
    /// For script templates: the source, written to a file passed as the last argument.
    public var scriptSource: String?
    /// Volumes the container may mount (workflow and template volumes, claim templates).
    public var volumes: [Volume]
    /// Output parameters read from files after the step exits: name → path inside the step.
    public var outputPaths: [String: String]
    /// When the step must be killed (template `activeDeadlineSeconds`/`timeout`).
    public var deadline: Date?

    public init(
        workflowUID: String, namespace: String, nodeID: String, nodeName: String, podName: String, templateName: String,
        container: Container, scriptSource: String?, volumes: [Volume], outputPaths: [String: String],
        deadline: Date?
    ) {
        self.workflowUID = workflowUID
        self.namespace = namespace
        self.nodeID = nodeID
        self.nodeName = nodeName
        self.podName = podName
        self.templateName = templateName
        self.container = container
        self.scriptSource = scriptSource
        self.volumes = volumes
        self.outputPaths = outputPaths
        self.deadline = deadline
    }
}

/// What the runtime observed of a step: the only input the engine takes from the outside world.
public struct StepResult: Sendable, Hashable {
    public var workflowUID: String
    public var nodeID: String
    /// The process's exit code; nil when it never ran (see `error`).
    public var exitCode: Int?
    /// Stdout, Argo's `outputs.result`.
    public var stdout: String?
    /// Output parameter values read from their paths (missing ones are absent).
    public var outputValues: [String: String]
    /// Why the step could not run or was lost (missing program, vanished process, …): the node errors.
    public var error: String?
    /// Set when the runtime killed the step on the engine's request; becomes the node's message.
    public var killReason: String?
    public var finishedAt: Date

    public init(
        workflowUID: String, nodeID: String, exitCode: Int?, stdout: String? = nil,
        outputValues: [String: String] = [:],
        error: String? = nil, killReason: String? = nil, finishedAt: Date
    ) {
        self.workflowUID = workflowUID
        self.nodeID = nodeID
        self.exitCode = exitCode
        self.stdout = stdout
        self.outputValues = outputValues
        self.error = error
        self.killReason = killReason
        self.finishedAt = finishedAt
    }
}
