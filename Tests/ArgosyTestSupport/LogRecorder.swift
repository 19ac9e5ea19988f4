import Foundation
import Logging

/// Keeps what a `Logger` made with ``logger(label:)`` logs, for tests to read.
///
/// ```swift
/// let recorder = LogRecorder()
/// let controller = WorkflowController(..., logger: recorder.logger())
/// #expect(recorder.entries.contains { $0.message.contains("commit failed") })
/// ```
public final class LogRecorder: @unchecked Sendable {
    public struct Entry: Sendable {
        public var level: Logger.Level
        public var message: String
        public var metadata: [String: String]
    }

    private let lock = NSLock()
    private var kept: [Entry] = []

    public init() {}

    public var entries: [Entry] { lock.withLock { kept } }

    public func logger(label: String = "test") -> Logger {
        var logger = Logger(label: label) { _ in Handler(recorder: self) }
        logger.logLevel = .trace
        return logger
    }

    func append(_ entry: Entry) { lock.withLock { kept.append(entry) } }

    struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            recorder.append(
                Entry(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" }))
        }
    }
}
