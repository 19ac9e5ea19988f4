import ArgosyModel
import Foundation

extension SQLiteStore {
    /// Takes every key for `holder` in one transaction, or none. `limits` gives each key's capacity.
    /// Waiters are served by priority, then first come first served. Returns the first key that is full.
    public func acquireLocks(keys: [String], limits: [String: Int], holder: String, priority: Int, now: Date)
        throws(ArgosyError) -> (key: String, held: Int, limit: Int)?
    {
        do {
            return try database.transaction { () throws -> (key: String, held: Int, limit: Int)? in
                var blocked: (key: String, held: Int, limit: Int)?
                for key in keys {
                    let mine = try database.query(
                        "SELECT 1 AS x FROM locks WHERE key = ? AND holder = ?", [.text(key), .text(holder)])
                    if !mine.isEmpty { continue }
                    let limit = limits[key] ?? 1
                    let held =
                        try database.query("SELECT COUNT(*) AS n FROM locks WHERE key = ?", [.text(key)])
                        .first?.int("n") ?? 0
                    try database.query(
                        "INSERT OR IGNORE INTO lock_waiters (key, holder, priority, since) VALUES (?, ?, ?, ?)",
                        [.text(key), .text(holder), .integer(priority), SQLValue(now)])
                    let queue = try database.query(
                        "SELECT holder FROM lock_waiters WHERE key = ? ORDER BY priority DESC, since, rowid",
                        [.text(key)]
                    ).compactMap { $0.string("holder") }
                    let position = queue.firstIndex(of: holder) ?? queue.count
                    if held + position >= limit, blocked == nil { blocked = (key, held, limit) }
                }
                if blocked != nil { return blocked }
                for key in keys {
                    try database.query(
                        "INSERT OR IGNORE INTO locks (key, holder, acquired_at) VALUES (?, ?, ?)",
                        [.text(key), .text(holder), SQLValue(now)])
                    try database.query(
                        "DELETE FROM lock_waiters WHERE key = ? AND holder = ?", [.text(key), .text(holder)])
                }
                return nil
            }
        } catch let error as ArgosyError {
            throw error
        } catch {
            throw ArgosyError(.io, "\(error)")
        }
    }

    /// Gives back every lock (and place in a queue) of `holder` and of holders under it (`holder/…`).
    public func releaseLocks(holder: String) throws(ArgosyError) {
        try inTransaction { () throws(ArgosyError) in
            for table in ["locks", "lock_waiters"] {
                try database.query(
                    "DELETE FROM \(table) WHERE holder = ? OR holder LIKE ? ESCAPE '\\'",
                    [.text(holder), .text(Self.likeEscaped(holder) + "/%")])
            }
        }
    }

    /// Who holds `key`, oldest first.
    public func lockHolders(key: String) throws(ArgosyError) -> [String] {
        try database.query("SELECT holder FROM locks WHERE key = ? ORDER BY acquired_at, rowid", [.text(key)])
            .compactMap { $0.string("holder") }
    }

    static func likeEscaped(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
    }
}
