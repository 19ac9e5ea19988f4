import ArgosyExpressions
import ArgosyModel
import Foundation

/// What a CronWorkflow has done so far, as the scheduler keeps it.
public struct CronState: Sendable, Hashable, Codable {
    public var lastScheduledTime: Date?
    public var succeeded: Int
    public var failed: Int
    /// Set once `stopStrategy.expression` held: no more runs.
    public var stopped: Bool

    public init(lastScheduledTime: Date? = nil, succeeded: Int = 0, failed: Int = 0, stopped: Bool = false) {
        self.lastScheduledTime = lastScheduledTime
        self.succeeded = succeeded
        self.failed = failed
        self.stopped = stopped
    }
}

/// The scheduler's decision function for one CronWorkflow (no I/O, no clock).
public struct CronPlanner: Sendable {
    /// What to do now.
    public struct Decision: Sendable, Equatable {
        /// The activation to run now, if any (it names the workflow: `<cron>-<unix seconds>`).
        public var run: Date?
        /// Unfinished runs to stop first (`concurrencyPolicy: Replace`).
        public var replace: [String] = []
        /// Why a due activation did not run (`Forbid`, `when`, missed deadline), for the log.
        public var skipped: String?
        /// Set when `stopStrategy.expression` now holds.
        public var stop = false
        /// The scheduled time recorded after this decision.
        public var lastScheduledTime: Date?
        /// When to look again.
        public var wakeAt: Date?
    }

    /// A run within this many seconds of its time is on time, even with `startingDeadlineSeconds: 0`.
    public static let onTimeSeconds: Double = 10

    public let cron: CronWorkflow
    public let schedules: [CronSchedule]

    /// Parses the schedules; a bad one is an error naming it.
    public init(_ cron: CronWorkflow) throws(ArgosyError) {
        self.cron = cron
        let expressions = (cron.spec.schedules ?? []) + (cron.spec.schedule.map { [$0] } ?? [])
        var parsed: [CronSchedule] = []
        for e in expressions {
            do {
                parsed.append(try CronSchedule(e, timeZone: cron.spec.timezone))
            } catch {
                throw ArgosyError(.invalid, "spec.schedule: \(error.description)")
            }
        }
        if parsed.isEmpty { throw ArgosyError(.invalid, "spec: one of schedule or schedules is required") }
        schedules = parsed
    }

    /// Decides what to do at `now`. `active` are the cron's unfinished runs; `createdAt` is when the
    /// CronWorkflow was created (nothing before it is due).
    public func decide(state: CronState, active: [String], createdAt: Date, now: Date) -> Decision {
        var decision = Decision(lastScheduledTime: state.lastScheduledTime)
        let since = state.lastScheduledTime ?? createdAt
        decision.wakeAt = schedules.compactMap { $0.next(after: max(now, since)) }.min()
        if cron.spec.suspend == true || state.stopped { return decision }
        // The most recent activation in (since, now]; earlier missed ones are dropped, as Argo does.
        let due = schedules.compactMap { latestActivation($0, after: since, through: now) }.max()
        guard let due else { return decision }
        decision.lastScheduledTime = due
        let late = now.timeIntervalSince(due)
        let deadline = max(Double(cron.spec.startingDeadlineSeconds ?? 0), Self.onTimeSeconds)
        if late > deadline {
            decision.skipped =
                "missed the run of \(Timestamp.format(due)) by \(Int(saturating: late))s (startingDeadlineSeconds: \(cron.spec.startingDeadlineSeconds ?? 0))"
            return decision
        }
        let scope = variables(state: state, now: now)
        if let stop = cron.spec.stopStrategy?["expression"]?.stringValue, evaluates(stop, scope) == true {
            decision.stop = true
            decision.skipped = "stopStrategy.expression holds"
            return decision
        }
        if let when = cron.spec.when, !when.isEmpty {
            let text = (try? Substitution.substitute(when, in: scope, unresolved: .keep)) ?? when
            if text.trimmingCharacters(in: .whitespaces) != "true" {
                decision.skipped = "when '\(when)' evaluated false"
                return decision
            }
        }
        switch cron.spec.concurrencyPolicy ?? "Allow" {
        case "Forbid" where !active.isEmpty:
            decision.skipped = "concurrencyPolicy Forbid: \(active.joined(separator: ", ")) still running"
            return decision
        case "Replace":
            decision.replace = active
        default:
            break
        }
        decision.run = due
        return decision
    }

    func latestActivation(_ schedule: CronSchedule, after since: Date, through now: Date) -> Date? {
        var last: Date?
        var cursor = since
        // Walk forward in chunks; a long downtime yields only the latest activation.
        while true {
            let batch = schedule.activations(after: cursor, through: now, limit: 1000)
            guard let end = batch.last else { return last }
            last = end
            if batch.count < 1000 { return last }
            cursor = end
        }
    }

    /// `cronworkflow.*` variables for `when` and `stopStrategy`.
    public func variables(state: CronState, now: Date) -> VariableScope {
        var scope = VariableScope()
        scope.currentTime = now
        scope["cronworkflow.name"] = .string(cron.metadata.name ?? "")
        scope["cronworkflow.namespace"] = .string(cron.metadata.namespace ?? "default")
        for (k, v) in cron.metadata.labels ?? [:] { scope["cronworkflow.labels.\(k)"] = .string(v) }
        for (k, v) in cron.metadata.annotations ?? [:] { scope["cronworkflow.annotations.\(k)"] = .string(v) }
        scope["cronworkflow.lastScheduledTime"] = state.lastScheduledTime.map { .string(Timestamp.format($0)) } ?? .null
        scope["cronworkflow.succeeded"] = .int(state.succeeded)
        scope["cronworkflow.failed"] = .int(state.failed)
        return scope
    }

    func evaluates(_ expression: String, _ scope: VariableScope) -> Bool? {
        (try? Expression(expression).evaluate(in: scope)).map { $0 == .bool(true) }
    }

    /// Argo's name for the run of an activation: `<cron>-<unix seconds>`.
    public static func workflowName(cron: String, scheduledTime: Date) -> String {
        "\(cron)-\(Int(saturating: scheduledTime.timeIntervalSince1970))"
    }

    /// The workflow to create for an activation: the cron's workflow spec, metadata and Argo's labels.
    public func workflow(for scheduledTime: Date) -> Workflow {
        let name = cron.metadata.name ?? "cron"
        var meta = ObjectMeta(
            name: Self.workflowName(cron: name, scheduledTime: scheduledTime), namespace: cron.metadata.namespace)
        var labels = cron.spec.workflowMetadata?["labels"]?.objectValue?.compactMapValues(\.stringValue) ?? [:]
        labels["workflows.argoproj.io/cron-workflow"] = name
        meta.labels = Dictionary(uniqueKeysWithValues: labels.map { ($0.key, $0.value) })
        var annotations =
            cron.spec.workflowMetadata?["annotations"]?.objectValue?.compactMapValues(\.stringValue) ?? [:]
        annotations["workflows.argoproj.io/scheduled-time"] = Timestamp.format(scheduledTime)
        meta.annotations = Dictionary(uniqueKeysWithValues: annotations.map { ($0.key, $0.value) })
        return Workflow(metadata: meta, spec: cron.spec.workflowSpec)
    }
}
