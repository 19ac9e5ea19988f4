import ArgosyModel
import Foundation

extension SQLiteStore {
    /// A memoized entry: the outputs a node saved under `key` in cache `cache`.
    public func memoEntry(namespace: String, cache: String, key: String) throws(ArgosyError) -> (
        outputs: Outputs?, savedAt: Date
    )? {
        guard
            let row = try database.query(
                "SELECT outputs, saved_at FROM memo_entries WHERE namespace = ? AND cache = ? AND key = ?",
                [.text(namespace), .text(cache), .text(key)]
            ).first
        else { return nil }
        let outputs = try row.string("outputs").map { (t) throws(ArgosyError) in try Self.decode(Outputs.self, t) }
        return (outputs, row.date("saved_at") ?? .distantPast)
    }

    public func saveMemoEntry(
        namespace: String, cache: String, key: String, nodeID: String, outputs: Outputs?, now: Date
    ) throws(ArgosyError) {
        try database.query(
            "INSERT OR REPLACE INTO memo_entries (namespace, cache, key, node_id, outputs, saved_at) VALUES (?, ?, ?, ?, ?, ?)",
            [
                .text(namespace), .text(cache), .text(key), .text(nodeID),
                SQLValue(try outputs.map { (o) throws(ArgosyError) in try Self.encode(o) }),
                SQLValue(now),
            ])
    }
}
