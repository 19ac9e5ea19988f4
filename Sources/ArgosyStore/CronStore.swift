import ArgosyModel
import Foundation

extension SQLiteStore {
    /// The scheduler's record of a CronWorkflow (last run, counts), kept apart from its manifest.
    public func cronState<T: Decodable>(_ type: T.Type, namespace: String, name: String) throws(ArgosyError) -> T? {
        guard
            let row = try database.query(
                "SELECT state FROM cron_states WHERE namespace = ? AND name = ?", [.text(namespace), .text(name)]
            ).first, let text = row.string("state")
        else { return nil }
        return try Self.decode(type, text)
    }

    public func setCronState<T: Encodable>(_ state: T, namespace: String, name: String) throws(ArgosyError) {
        try database.query(
            "INSERT OR REPLACE INTO cron_states (namespace, name, state) VALUES (?, ?, ?)",
            [.text(namespace), .text(name), .text(try Self.encode(state))])
    }

    public func deleteCronState(namespace: String, name: String) throws(ArgosyError) {
        try database.query("DELETE FROM cron_states WHERE namespace = ? AND name = ?", [.text(namespace), .text(name)])
    }

    /// Workflows created by a CronWorkflow (by its label), newest first.
    public func cronRuns(namespace: String, cron: String) throws(ArgosyError) -> [WorkflowSummary] {
        try list(namespace: namespace).filter { $0.cronWorkflow == cron }
    }
}
