import ArgosyModel

/// The store's tables, by schema version, and the migrations between versions.
///
/// The version is SQLite's `user_version`. Version 0 is a new, empty file, or a home written before versions
/// were recorded (whose tables are those of version 1: `CREATE TABLE IF NOT EXISTS` keeps them). Each migration
/// runs in one immediate transaction with the version bump, so two processes opening a home at once do not both
/// migrate it, and a migration that fails leaves the store as it was. A store written by a newer release is
/// refused, never changed.
enum StoreSchema {
    /// The version this build writes.
    static var current: Int { migrations.count }

    /// `migrations[n]` takes a store from version n to n + 1.
    static let migrations: [String] = [version1]

    static func migrate(_ database: SQLiteDatabase) throws(ArgosyError) {
        if try version(database) == current { return }
        do { try database.transaction { () throws in try migrateLocked(database) } } catch {
            throw error as? ArgosyError ?? ArgosyError(.io, "\(error)")
        }
    }

    private static func migrateLocked(_ database: SQLiteDatabase) throws(ArgosyError) {
        let found = try version(database)  // again, under the write lock: another process may have migrated
        guard found <= current else {
            throw ArgosyError(
                .failedPrecondition,
                "the store was written by a newer Argosy (schema version \(found); this build knows up to \(current)): use that release, or a new ARGOSY_HOME"
            )
        }
        for step in found..<current {
            try database.execute(migrations[step])
        }
        try database.execute("PRAGMA user_version = \(current)")
    }

    static func version(_ database: SQLiteDatabase) throws(ArgosyError) -> Int {
        try database.query("PRAGMA user_version").first?.int("user_version") ?? 0
    }

    /// The tables of the first release, as homes written before schema versions hold them.
    static let version1 = """
        CREATE TABLE IF NOT EXISTS workflows (
            uid TEXT PRIMARY KEY,
            namespace TEXT NOT NULL,
            name TEXT NOT NULL,
            phase TEXT NOT NULL DEFAULT '',
            created_at REAL NOT NULL,
            started_at REAL,
            finished_at REAL,
            message TEXT,
            progress TEXT,
            manifest TEXT NOT NULL,
            outputs TEXT,
            lease_owner TEXT,
            lease_expires REAL,
            spec_version INTEGER NOT NULL DEFAULT 0,
            UNIQUE (namespace, name)
        );
        CREATE INDEX IF NOT EXISTS workflows_phase ON workflows (phase);
        CREATE TABLE IF NOT EXISTS nodes (
            workflow_uid TEXT NOT NULL REFERENCES workflows (uid) ON DELETE CASCADE,
            id TEXT NOT NULL,
            body TEXT NOT NULL,
            PRIMARY KEY (workflow_uid, id)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS node_children (
            workflow_uid TEXT NOT NULL REFERENCES workflows (uid) ON DELETE CASCADE,
            node_id TEXT NOT NULL,
            position INTEGER NOT NULL,
            child_id TEXT NOT NULL,
            PRIMARY KEY (workflow_uid, node_id, position)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS launches (
            workflow_uid TEXT NOT NULL REFERENCES workflows (uid) ON DELETE CASCADE,
            node_id TEXT NOT NULL,
            body TEXT NOT NULL,
            PRIMARY KEY (workflow_uid, node_id)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS requests (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            workflow_uid TEXT NOT NULL REFERENCES workflows (uid) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            argument TEXT
        );
        CREATE TABLE IF NOT EXISTS resources (
            kind TEXT NOT NULL,
            namespace TEXT NOT NULL,
            name TEXT NOT NULL,
            manifest TEXT NOT NULL,
            created_at REAL NOT NULL,
            PRIMARY KEY (kind, namespace, name)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS locks (
            key TEXT NOT NULL,
            holder TEXT NOT NULL,
            acquired_at REAL NOT NULL,
            PRIMARY KEY (key, holder)
        );
        CREATE TABLE IF NOT EXISTS lock_waiters (
            key TEXT NOT NULL,
            holder TEXT NOT NULL,
            priority INTEGER NOT NULL,
            since REAL NOT NULL,
            PRIMARY KEY (key, holder)
        );
        CREATE TABLE IF NOT EXISTS memo_entries (
            namespace TEXT NOT NULL,
            cache TEXT NOT NULL,
            key TEXT NOT NULL,
            node_id TEXT NOT NULL,
            outputs TEXT,
            saved_at REAL NOT NULL,
            PRIMARY KEY (namespace, cache, key)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS archived_workflows (
            uid TEXT PRIMARY KEY,
            namespace TEXT NOT NULL,
            name TEXT NOT NULL,
            phase TEXT NOT NULL,
            created_at REAL NOT NULL,
            started_at REAL,
            finished_at REAL,
            document TEXT NOT NULL,
            archived_at REAL NOT NULL
        );
        CREATE TABLE IF NOT EXISTS tokens (
            hash TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            namespaces TEXT NOT NULL,
            created_at REAL NOT NULL,
            revoked INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE IF NOT EXISTS cron_states (
            namespace TEXT NOT NULL,
            name TEXT NOT NULL,
            state TEXT NOT NULL,
            PRIMARY KEY (namespace, name)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS objects (
            kind TEXT NOT NULL,
            namespace TEXT NOT NULL,
            name TEXT NOT NULL,
            data TEXT NOT NULL,
            created_at REAL NOT NULL,
            PRIMARY KEY (kind, namespace, name)
        ) WITHOUT ROWID;
        """
}
