import ArgosyModel
import CSQLite
import Foundation

/// A SQLite connection. One per process and store, shared by its threads: statements are serialized by a lock,
/// and a transaction holds it from its BEGIN to its COMMIT, so no other thread's statement runs inside it.
public final class SQLiteDatabase: @unchecked Sendable {
    private var handle: OpaquePointer?
    /// Recursive: the thread in a transaction runs its statements (and nested transactions) under it.
    private let lock = NSRecursiveLock()
    /// Transactions open on the thread holding `lock`: nested ones are savepoints.
    private var depth = 0
    private var statements: [String: OpaquePointer] = [:]
    public let path: String

    /// Opens (creating if needed) the database at `path` in WAL mode with a busy timeout, so several
    /// `argosy` processes can share one store.
    public init(path: String) throws(ArgosyError) {
        self.path = path
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        guard sqlite3_open_v2(path, &db, flags, nil) == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(db)
            throw ArgosyError(.io, "cannot open database \(path): \(message)")
        }
        handle = db
        sqlite3_busy_timeout(db, 10_000)
        try execute("PRAGMA journal_mode=WAL")
        try execute("PRAGMA synchronous=FULL")
        try execute("PRAGMA foreign_keys=ON")
    }

    deinit {
        for (_, s) in statements { sqlite3_finalize(s) }
        sqlite3_close(handle)
    }

    private var errorMessage: String { String(cString: sqlite3_errmsg(handle)) }

    /// Runs SQL with no result rows (may hold several statements).
    public func execute(_ sql: String) throws(ArgosyError) {
        lock.lock()
        defer { lock.unlock() }
        var error: UnsafeMutablePointer<CChar>?
        if sqlite3_exec(handle, sql, nil, nil, &error) != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? errorMessage
            sqlite3_free(error)
            throw ArgosyError(.io, "database error: \(message)")
        }
    }

    /// Runs one statement with bound values, returning its rows.
    @discardableResult
    public func query(_ sql: String, _ values: [SQLValue] = []) throws(ArgosyError) -> [SQLRow] {
        try run(sql, values).rows
    }

    /// Runs one statement that changes rows, returning how many it changed.
    @discardableResult
    public func update(_ sql: String, _ values: [SQLValue] = []) throws(ArgosyError) -> Int {
        try run(sql, values).changes
    }

    private func run(_ sql: String, _ values: [SQLValue]) throws(ArgosyError) -> (rows: [SQLRow], changes: Int) {
        lock.lock()
        defer { lock.unlock() }
        let statement = try prepared(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (i, v) in values.enumerated() {
            let index = Int32(i + 1)
            switch v {
            case .null: sqlite3_bind_null(statement, index)
            case .integer(let n): sqlite3_bind_int64(statement, index, Int64(n))
            case .real(let d): sqlite3_bind_double(statement, index, d)
            case .text(let s): sqlite3_bind_text(statement, index, s, -1, SQLITE_TRANSIENT_VALUE)
            }
        }
        var rows: [SQLRow] = []
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw ArgosyError(.io, "database error: \(errorMessage)") }
            var row = SQLRow()
            for c in 0..<sqlite3_column_count(statement) {
                let name = String(cString: sqlite3_column_name(statement, c))
                switch sqlite3_column_type(statement, c) {
                case SQLITE_INTEGER: row.values[name] = .integer(Int(sqlite3_column_int64(statement, c)))
                case SQLITE_FLOAT: row.values[name] = .real(sqlite3_column_double(statement, c))
                case SQLITE_NULL: row.values[name] = .null
                default: row.values[name] = .text(String(cString: sqlite3_column_text(statement, c)))
                }
            }
            rows.append(row)
        }
        return (rows, Int(sqlite3_changes(handle)))
    }

    /// Runs `body` in an immediate transaction, committing when it returns and rolling back when it throws. Inside
    /// another transaction it is a savepoint: its changes are undone alone when it throws, and they last only if
    /// the outer transaction commits.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        let savepoint = depth == 0 ? nil : "argosy_\(depth)"
        try execute(savepoint.map { "SAVEPOINT \($0)" } ?? "BEGIN IMMEDIATE")
        let rollback = savepoint.map { "ROLLBACK TO \($0); RELEASE \($0)" } ?? "ROLLBACK"
        depth += 1
        let result: T
        do {
            result = try body()
        } catch {
            depth -= 1
            try? execute(rollback)
            throw error
        }
        depth -= 1
        do {
            try execute(savepoint.map { "RELEASE \($0)" } ?? "COMMIT")
        } catch {
            try? execute(rollback)  // a COMMIT that failed (busy, I/O) leaves the transaction open
            throw error
        }
        return result
    }

    /// Changes whenever another connection commits: a cheap way to notice other processes' writes.
    public func dataVersion() -> Int {
        (try? query("PRAGMA data_version").first?.int("data_version")) ?? 0
    }

    /// Changes whenever anyone writes: another connection commits (`data_version`) or this one changes rows.
    public func changeVersion() -> StoreVersion {
        lock.lock()
        defer { lock.unlock() }
        return StoreVersion(others: dataVersion(), own: Int64(sqlite3_total_changes64(handle)))
    }

    private func prepared(_ sql: String) throws(ArgosyError) -> OpaquePointer {
        if let s = statements[sql] { return s }
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw ArgosyError(.io, "database error: \(errorMessage) in \(sql.prefix(80))")
        }
        statements[sql] = statement
        return statement
    }
}

/// sqlite3's SQLITE_TRANSIENT: copy bound text before returning.
let SQLITE_TRANSIENT_VALUE = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A value bound to or read from SQL.
public enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int)
    case real(Double)
    case text(String)

    public init(_ s: String?) { self = s.map { .text($0) } ?? .null }
    public init(_ d: Date?) { self = d.map { .real($0.timeIntervalSince1970) } ?? .null }
}

/// One result row, by column name.
public struct SQLRow: Sendable {
    public var values: [String: SQLValue] = [:]

    public func string(_ column: String) -> String? {
        switch values[column] {
        case .text(let s): s
        case .integer(let n): String(n)
        case .real(let d): String(d)
        default: nil
        }
    }

    public func int(_ column: String) -> Int? {
        switch values[column] {
        case .integer(let n): n
        case .real(let d): Int(saturating: d)
        case .text(let s): Int(s)
        default: nil
        }
    }

    public func date(_ column: String) -> Date? {
        switch values[column] {
        case .real(let d): Date(timeIntervalSince1970: d)
        case .integer(let n): Date(timeIntervalSince1970: Double(n))
        default: nil
        }
    }
}
