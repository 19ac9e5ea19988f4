import Foundation
import OrderedCollections

/// An Argo `CronWorkflow`: a workflow spec run on a schedule. Scheduling arrives with the cron issue; the
/// type exists so manifests of every kind can be linted.
public struct CronWorkflow: Codable, Sendable {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: CronWorkflowSpec
}

public struct CronWorkflowSpec: Codable, Sendable {
    public var schedule: String?
    public var schedules: [String]?
    public var timezone: String?
    public var concurrencyPolicy: String?
    public var startingDeadlineSeconds: Int?
    public var successfulJobsHistoryLimit: Int?
    public var failedJobsHistoryLimit: Int?
    public var suspend: Bool?
    public var when: String?
    public var stopStrategy: JSONValue?
    public var workflowSpec: WorkflowSpec
    public var workflowMetadata: JSONValue?
}
