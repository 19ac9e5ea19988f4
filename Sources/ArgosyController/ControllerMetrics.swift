import Foundation

/// What the controller measures about itself, for `/metrics`: reconcile passes, store commits and step starts.
public final class ControllerMetrics: @unchecked Sendable {
    /// A Prometheus histogram in seconds.
    public struct Histogram: Sendable {
        public static let bounds: [Double] = [
            0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
        ]
        public var buckets = [Int](repeating: 0, count: Histogram.bounds.count)
        public var count = 0
        public var sum = 0.0

        mutating func observe(_ seconds: Double) {
            count += 1
            sum += seconds
            for (i, b) in Self.bounds.enumerated() where seconds <= b { buckets[i] += 1 }
        }

        /// Prometheus text for `name` (with `help`).
        public func text(_ name: String, help: String) -> String {
            var out = "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
            for (i, b) in Self.bounds.enumerated() { out += "\(name)_bucket{le=\"\(b)\"} \(buckets[i])\n" }
            out += "\(name)_bucket{le=\"+Inf\"} \(count)\n\(name)_sum \(sum)\n\(name)_count \(count)\n"
            return out
        }
    }

    private let lock = NSLock()
    private var operation = Histogram()
    private var commit = Histogram()
    private var stepStart = Histogram()
    private var queue = 0

    public init() {}

    func observeOperation(_ seconds: Double) { update { $0.operation.observe(seconds) } }
    func observeCommit(_ seconds: Double) { update { $0.commit.observe(seconds) } }
    func observeStepStart(_ seconds: Double) { update { $0.stepStart.observe(seconds) } }
    func setQueueDepth(_ n: Int) { update { $0.queue = n } }

    private func update(_ body: (ControllerMetrics) -> Void) {
        lock.lock()
        body(self)
        lock.unlock()
    }

    /// The Prometheus text of every metric.
    public func text() -> String {
        lock.lock()
        defer { lock.unlock() }
        return operation.text(
            "argo_workflows_operation_duration_seconds", help: "Histogram of durations of operations (reconcile passes)"
        )
            + "# HELP argo_workflows_queue_depth_count Depth of the queue\n# TYPE argo_workflows_queue_depth_count gauge\n"
            + "argo_workflows_queue_depth_count{queue_name=\"workflow_queue\"} \(queue)\n"
            + commit.text("argosy_store_commit_seconds", help: "Time to commit one reconcile pass to the store")
            + stepStart.text(
                "argosy_step_start_seconds", help: "From committing a step's launch to its supervisor process running")
    }
}
