/// Errors of the storage layer that an operator or a client can act on.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    /// The PostgreSQL server packages are missing; `installHint` is the exact command to run.
    case postgresNotInstalled(installHint: String)
    /// An embedded-cluster step failed: `step` says which, `detail` what the tool printed.
    case embeddedPostgres(step: String, detail: String)
    /// The database URL could not be understood.
    case invalidDatabaseURL(String, reason: String)
    /// The database could not be reached.
    case unreachable(String, reason: String)
    /// No folder of SQL migrations was found.
    case migrationsNotFound(searched: [String])
    /// A migration file is malformed (bad name, duplicate number …).
    case invalidMigration(file: String, reason: String)
    /// A migration that was applied before has been edited since.
    case migrationChanged(file: String, applied: String, now: String)
    /// The database holds a migration this build does not know: it was migrated by a newer daemon.
    case unknownAppliedMigration(version: Int, name: String)
    /// A migration failed to apply; nothing of it was kept.
    case migrationFailed(file: String, reason: String)
    /// No tenant with this code.
    case tenantNotFound(String)

    public var description: String {
        switch self {
        case .postgresNotInstalled(let hint):
            return "PostgreSQL server binaries (initdb, postgres, pg_ctl) were not found on PATH or under /usr/lib/postgresql/*/bin; install them with: \(hint)"
        case .embeddedPostgres(let step, let detail):
            return "embedded PostgreSQL: \(step) failed: \(detail)"
        case .invalidDatabaseURL(let url, let reason):
            return "database URL '\(url)' is not valid: \(reason)"
        case .unreachable(let target, let reason):
            return "cannot reach PostgreSQL at \(target): \(reason)"
        case .migrationsNotFound(let searched):
            return "no SQL migrations found (looked in \(searched.joined(separator: ", "))); set WHISTLE_SQL_DIR or pass --sql-dir"
        case .invalidMigration(let file, let reason):
            return "migration \(file): \(reason)"
        case .migrationChanged(let file, let applied, let now):
            return "migration \(file) was changed after it was applied (checksum applied \(applied.prefix(12)), now \(now.prefix(12))); restore it and put the change in a new migration"
        case .unknownAppliedMigration(let version, let name):
            return "the database has migration \(version) (\(name)) which this build does not have: it was migrated by a newer version of whistle"
        case .migrationFailed(let file, let reason):
            return "migration \(file) failed and was rolled back: \(reason)"
        case .tenantNotFound(let code):
            return "no tenant '\(code)'"
        }
    }
}
