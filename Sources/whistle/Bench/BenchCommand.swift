import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import WhistleCore
import WhistleStore

/// `whistle bench …`: the figures of the design's quality bars, one per line as `name: value unit`.
/// Build with `swift build -c release` first; debug builds are many times slower.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure the quality bars (run a release build: swift build -c release).",
        subcommands: [BenchRoute.self, BenchIntake.self, BenchWheel.self, BenchRestart.self, BenchStorm.self, BenchReports.self])

    static func figure(_ name: String, _ value: Double, _ unit: String, decimals: Int = 1) {
        print("\(name): \(String(format: "%.\(decimals)f", value)) \(unit)")
    }

    static func progress(_ line: String) {
        FileHandle.standardError.write(Data("bench: \(line)\n".utf8))
    }

    /// Warnings only: a bench prints its figures and progress, not the daemon's logs.
    static var logger: Logger {
        var logger = Logger(label: "whistle.bench")
        logger.logLevel = .warning
        return logger
    }

    static func warnIfDebug() {
        #if DEBUG
            progress("warning: this is a debug build; figures are not comparable (swift build -c release)")
        #endif
    }
}

/// Where a database bench runs: a given server, or a throw-away durable cluster of its own.
struct BenchDatabase: ParsableArguments {
    @Option(name: .long, help: "A PostgreSQL server to use (a new database is created on it); default: a throw-away embedded cluster.")
    var databaseURL: String?

    @Option(name: .long, help: "The configuration folder whose tenants are loaded (default: config).")
    var config: String = "config"

    @Option(name: .long, help: "Folder of the SQL migrations (default: ./sql or beside the executable).")
    var sqlDir: String?

    /// A migrated database with the sample tenants; `body` runs with its settings, then everything is removed.
    func withDatabase<T: Sendable>(
        logger: Logger, _ body: (DatabaseSettings, Database) async throws -> T
    ) async throws -> T {
        var embedded: EmbeddedPostgres?
        var folder: URL?
        let server: DatabaseSettings
        if let databaseURL {
            server = try DatabaseSettings(url: databaseURL)
        } else {
            let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("whistle-bench-\(getpid())")
            folder = directory
            BenchCommand.progress("starting a durable PostgreSQL cluster in \(directory.path)")
            let cluster = try EmbeddedPostgres(options: .init(dataDirectory: directory.appendingPathComponent("pgdata")), logger: logger)
            server = try cluster.start()
            embedded = cluster
        }
        defer {
            try? embedded?.stop()
            if let folder { try? FileManager.default.removeItem(at: folder) }
        }
        let name = "whistle_bench_\(getpid())"
        try await EmbeddedPostgres.createDatabase(name, settings: server, logger: logger)
        let settings = server.with(database: name)
        let client = try DatabaseBootstrap.makeClient(settings, poolSize: 8, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let database = Database(client: client, logger: logger)
            let migrations = try Migration.load(from: try Migration.locateDirectory(explicit: sqlDir))
            _ = try await Migrator(client: client, migrations: migrations, logger: logger).migrate()
            let configuration = try ConfigDirectory.read(URL(fileURLWithPath: config))
            _ = try await DirectoryStore(database: database).load(configuration.tenants)
            let result = try await body(settings, database)
            if databaseURL != nil {
                BenchCommand.progress("the bench database \(name) stays on the given server: DROP DATABASE \(name) when done")
            }
            return result
        }
    }

    /// Inserts `count` armed timers spread evenly over `[from, from + span)`, quietly (no notification per row).
    static func insertTimers(_ count: Int, from: Date, span: TimeInterval, database: Database, logger: Logger) async throws {
        let chunk = 100_000
        var done = 0
        while done < count {
            let n = min(chunk, count - done)
            let offset = done
            try await database.withSystemTransaction { connection in
                try await connection.query("SELECT set_config('whistle.quiet_timers', 'on', true)", logger: logger)
                try await connection.query(
                    """
                    INSERT INTO timers (tenant_id, subject_kind, subject_id, kind, due_at)
                    SELECT (ARRAY['wenchanghu','suixi','yongning','zaozhuang','chongqing-demo'])[1 + g % 5], 'task', 'b' || g,
                           'rectify', \(from)::timestamptz + (g * \(span / Double(count))) * interval '1 second'
                    FROM generate_series(\(offset), \(offset + n - 1)) g
                    """, logger: logger)
            }
            done += n
            BenchCommand.progress("armed \(done) of \(count) timers")
        }
        try await database.client.query("VACUUM ANALYZE timers", logger: logger)
    }
}
