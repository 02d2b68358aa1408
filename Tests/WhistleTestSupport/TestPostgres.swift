import Foundation
import Logging
import PostgresNIO
import WhistleCore
import WhistleStore

#if canImport(Glibc)
    import Glibc
#endif

/// One throw-away PostgreSQL cluster per test process, in a temporary folder on its own port,
/// with one database per suite so suites run in parallel without touching each other.
public enum TestPostgres {
    /// The repository root, found from this file's place.
    public static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    public static var sqlDirectory: URL { repositoryRoot.appendingPathComponent("sql") }
    public static var configDirectory: URL { repositoryRoot.appendingPathComponent("config") }

    public static let logger: Logger = {
        var logger = Logger(label: "whistle-test")
        logger.logLevel = ProcessInfo.processInfo.environment["TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        return logger
    }()

    private static let cluster = Task<DatabaseSettings, any Error> {
        removeLeftoverClusters()
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("whistle-test-\(getpid())")
        try? FileManager.default.removeItem(at: directory)
        var options = EmbeddedPostgres.Options(dataDirectory: directory.appendingPathComponent("pgdata"))
        options.durable = false
        options.maxConnections = 300
        let embedded = try EmbeddedPostgres(options: options, logger: logger)
        let settings = try embedded.start()
        clusterToStop = (embedded, directory.path)
        atexit {
            guard let (embedded, path) = TestPostgres.clusterToStop else { return }
            try? embedded.stop()
            try? FileManager.default.removeItem(atPath: path)
        }
        return settings
    }

    nonisolated(unsafe) static var clusterToStop: (EmbeddedPostgres, String)?

    /// Clusters of test runs that died without cleaning up: their server is stopped and the folder removed.
    private static func removeLeftoverClusters() {
        let temporary = NSTemporaryDirectory()
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: temporary) else { return }
        for name in names where name.hasPrefix("whistle-test-") {
            guard let pid = Int32(name.dropFirst("whistle-test-".count)), pid != getpid() else { continue }
            if kill(pid, 0) == 0 || errno == EPERM { continue }
            let path = URL(fileURLWithPath: temporary).appendingPathComponent(name)
            if let embedded = try? EmbeddedPostgres(options: .init(dataDirectory: path.appendingPathComponent("pgdata")), logger: logger) {
                try? embedded.stop()
            }
            try? FileManager.default.removeItem(at: path)
        }
    }

    /// The cluster's settings (the maintenance connection); started on first use.
    public static func serverSettings() async throws -> DatabaseSettings {
        try await cluster.value
    }

    /// A new, empty database on the test cluster, with a running client; not yet migrated.
    public static func emptyDatabase(_ label: String) async throws -> TestDatabase {
        let server = try await serverSettings()
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let name = "t_\(label.lowercased().filter { $0.isLetter || $0.isNumber })_\(suffix)"
        try await EmbeddedPostgres.createDatabase(name, settings: server, logger: logger)
        return try TestDatabase(settings: server.with(database: name))
    }

    /// A new database with every migration of `sql/` applied.
    public static func migratedDatabase(_ label: String) async throws -> TestDatabase {
        let database = try await emptyDatabase(label)
        try await database.migrator().migrate()
        return database
    }

    /// The repository's migrations.
    public static func migrations() throws -> [Migration] {
        try Migration.load(from: sqlDirectory)
    }
}

/// A database of the test cluster with a pooled client running in the background.
public final class TestDatabase: Sendable {
    public let settings: DatabaseSettings
    public let client: PostgresClient
    public let database: Database
    private let runner: Task<Void, Never>

    init(settings: DatabaseSettings) throws {
        self.settings = settings
        client = try DatabaseBootstrap.makeClient(settings, poolSize: 10, logger: TestPostgres.logger)
        database = Database(client: client, logger: TestPostgres.logger)
        let client = self.client
        runner = Task { await client.run() }
    }

    deinit {
        runner.cancel()
    }

    public func migrator(_ migrations: [Migration]? = nil) throws -> Migrator {
        Migrator(client: client, migrations: try migrations ?? TestPostgres.migrations(), logger: TestPostgres.logger)
    }

    /// Loads the repository's sample tenants from `config/`: directories, then liability lists.
    @discardableResult
    public func loadSampleConfiguration() async throws -> [DirectoryStore.LoadResult] {
        let config = try ConfigDirectory.read(TestPostgres.configDirectory)
        let results = try await DirectoryStore(database: database).load(config.tenants)
        try await LiabilityStore(database: database).load(config.tenants)
        try await EscalationStore(database: database).register(config.tenants)
        return results
    }

    /// The single value of a system-context query, for assertions.
    public func scalar<T: PostgresDecodable & Sendable>(_ query: PostgresQuery, as type: T.Type = T.self) async throws -> T? {
        let rows = try await client.query(query, logger: TestPostgres.logger)
        for try await value in rows.decode(T.self) { return value }
        return nil
    }
}

extension TestDatabase {
    /// A second client on the same database, as a second daemon would have.
    public static func sameDatabase(as other: TestDatabase) async throws -> TestDatabase {
        try TestDatabase(settings: other.settings)
    }
}

extension TestDatabase {
    /// A fresh credential's bearer token for `tenant`, as `whistle tokens create` makes it.
    public func token(_ tenant: String, _ role: Role, department: String? = nil, name: String = "测试") async throws -> String {
        try await CredentialStore(database: database).create(tenant: tenant, role: role, department: department, name: name).token
    }
}
