import ArgosyModel
import ArgosyRuntime
import Foundation

/// Prints step logs as `<pod>: <line>`, following files as they grow (`logs -f`, `submit --log`).
final class LogFollower: @unchecked Sendable {
    private let home: URL
    private let lock = NSLock()
    private var offsets: [String: UInt64] = [:]
    private var partial: [String: String] = [:]
    private let podFilter: String?
    private let prefix: Bool

    init(home: URL, podFilter: String? = nil, prefix: Bool = true) {
        self.home = home
        self.podFilter = podFilter
        self.prefix = prefix
    }

    /// Prints what is new in the logs of these pod nodes (started-at order); with `flushPartial`, also a last
    /// line without a newline.
    func printNew(uid: String, nodes: [NodeStatus], flushPartial: Bool) {
        lock.lock()
        defer { lock.unlock() }
        let pods = nodes.filter { $0.type == .pod && $0.podName != nil }
            .sorted { ($0.startedAt ?? .distantPast, $0.name) < ($1.startedAt ?? .distantPast, $1.name) }
        var out = ""
        for node in pods {
            let pod = node.podName!
            if let podFilter, podFilter != pod, podFilter != node.displayName, podFilter != node.id { continue }
            let url = StepDirectory(home: home, workflowUID: uid, podName: pod).logURL
            guard let handle = try? FileHandle(forReadingFrom: url) else { continue }
            defer { try? handle.close() }
            let offset = offsets[pod] ?? 0
            try? handle.seek(toOffset: offset)
            let data = handle.readDataToEndOfFile()
            offsets[pod] = offset + UInt64(data.count)
            var text = (partial[pod] ?? "") + String(decoding: data, as: UTF8.self)
            var lines = text.components(separatedBy: "\n")
            text = lines.removeLast()
            let finished = node.phase.isFinished
            if (flushPartial || finished), !text.isEmpty {
                lines.append(text)
                text = ""
            }
            partial[pod] = text
            for line in lines { out += (prefix ? "\(pod): " : "") + line + "\n" }
        }
        if !out.isEmpty {
            FileHandle.standardOutput.write(Data(out.utf8))
        }
    }
}

/// The latest state seen of some workflows, shared between the controller's observer and the CLI.
final class WatchBoard: @unchecked Sendable {
    private let lock = NSLock()
    private var views: [String: WorkflowView] = [:]
    private var wanted = true
    private(set) var version = 0

    /// True when the reader has taken what was there: only then is a new view worth making. Holding a view
    /// between passes keeps a second reference to the run's node table, which the next pass then copies whole.
    var isWanted: Bool {
        lock.lock()
        defer { lock.unlock() }
        return wanted
    }

    func update(_ view: WorkflowView) {
        lock.lock()
        views[view.workflow.metadata.uid ?? ""] = view
        version += 1
        wanted = false
        lock.unlock()
    }

    /// The views put since the last call, by workflow uid (they are the reader's now).
    func take() -> (Int, [String: WorkflowView]) {
        lock.lock()
        defer { lock.unlock() }
        let taken = views
        views = [:]
        wanted = true
        return (version, taken)
    }
}
