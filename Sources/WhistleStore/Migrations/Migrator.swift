import Logging
import PostgresNIO

/// Applies the numbered SQL migrations, each in its own transaction, recorded with its checksum.
///
/// A session advisory lock serializes daemons that start at the same time: the second waits,
/// then finds nothing left to do.
public struct Migrator: Sendable {
    /// `'Whistle'` as a number: the advisory lock every migrating daemon takes.
    static let lockKey: Int64 = 0x57_68_69_73_74_6C_65

    public let client: PostgresClient
    public let migrations: [Migration]
    public let logger: Logger

    public init(client: PostgresClient, migrations: [Migration], logger: Logger) {
        self.client = client
        self.migrations = migrations
        self.logger = logger
    }

    /// What is applied and what is pending.
    public struct Status: Sendable, Hashable {
        public var applied: [Int]
        public var pending: [Int]
        public var isCurrent: Bool { pending.isEmpty }
    }

    /// Applies what is pending and returns the file names applied, after checking that
    /// nothing applied before has changed.
    @discardableResult
    public func migrate() async throws -> [String] {
        try await client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger)
            do {
                let result = try await migrateLocked(connection)
                try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                return result
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                throw error
            }
        }
    }

    private func migrateLocked(_ connection: PostgresConnection) async throws -> [String] {
        try await connection.query(
            """
            CREATE TABLE IF NOT EXISTS whistle_migrations (
                version     integer PRIMARY KEY,
                name        text NOT NULL,
                checksum    text NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now()
            )
            """, logger: logger)
        let pending = try await verify(connection)
        var applied: [String] = []
        for migration in pending {
            do {
                try await connection.withTransaction(logger: logger) { connection in
                    for statement in SQLScript.statements(migration.sql) {
                        do {
                            try await connection.query(PostgresQuery(unsafeSQL: statement.text), logger: logger)
                        } catch {
                            throw StoreError.migrationFailed(
                                file: "\(migration.fileName):\(statement.line)", reason: describeDatabaseError(error))
                        }
                    }
                    try await connection.query(
                        "INSERT INTO whistle_migrations (version, name, checksum) VALUES (\(migration.version), \(migration.name), \(migration.checksum))",
                        logger: logger)
                }
            } catch let error as PostgresTransactionError {
                if let inner = error.closureError { throw inner }
                throw StoreError.migrationFailed(file: migration.fileName, reason: describeDatabaseError(error))
            }
            logger.info("applied migration", metadata: ["file": "\(migration.fileName)"])
            applied.append(migration.fileName)
        }
        return applied
    }

    /// Checks applied migrations against the files and returns the pending ones.
    private func verify(_ connection: PostgresConnection) async throws -> [Migration] {
        let rows = try await connection.query("SELECT version, name, checksum FROM whistle_migrations ORDER BY version", logger: logger)
        var appliedVersions = Set<Int>()
        for try await (version, name, checksum) in rows.decode((Int, String, String).self) {
            guard let migration = migrations.first(where: { $0.version == version }) else {
                throw StoreError.unknownAppliedMigration(version: version, name: name)
            }
            if migration.checksum != checksum {
                throw StoreError.migrationChanged(file: migration.fileName, applied: checksum, now: migration.checksum)
            }
            appliedVersions.insert(version)
        }
        return migrations.filter { !appliedVersions.contains($0.version) }
    }

    /// Applied and pending versions, without changing anything; a changed migration is an error.
    public func status() async throws -> Status {
        try await client.withConnection { connection in
            let exists = try await connection.query("SELECT to_regclass('whistle_migrations') IS NOT NULL", logger: logger)
            var hasTable = false
            for try await value in exists.decode(Bool.self) { hasTable = value }
            guard hasTable else { return Status(applied: [], pending: migrations.map(\.version)) }
            let pending = try await verify(connection)
            let pendingVersions = pending.map(\.version)
            return Status(
                applied: migrations.map(\.version).filter { !pendingVersions.contains($0) }, pending: pendingVersions)
        }
    }
}
