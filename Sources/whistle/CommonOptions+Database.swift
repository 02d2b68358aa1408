import Foundation
import Logging
import WhistleStore

extension CommonOptions {
    /// Runs `body` on the daemon's database, migrated, with the configuration: with the embedded
    /// PostgreSQL it uses the running daemon's server, or starts the cluster for the moment when
    /// no daemon runs.
    func withDatabase<T: Sendable>(_ body: (Database, ConfigDirectory) async throws -> T) async throws -> T {
        var logger = makeLogger("whistle")
        if logLevel == nil && environment["LOG_LEVEL"] == nil { logger.logLevel = .warning }
        let config = try readConfiguration()
        let prepared = try await DatabaseBootstrap.prepare(
            url: databaseURL(settings: config.settings), dataDirectory: dataDirectory(settings: config.settings), attach: true, logger: logger)
        defer { try? prepared.embedded?.stop() }
        let client = try DatabaseBootstrap.makeClient(prepared.settings, poolSize: 2, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let migrator = Migrator(client: client, migrations: try Migration.load(from: try Migration.locateDirectory(explicit: sqlDir)), logger: logger)
            guard try await migrator.status().pending.isEmpty else {
                throw CommandFailure("the database has pending migrations: start the daemon once, or run whistle migrate")
            }
            return try await body(Database(client: client, logger: logger), config)
        }
    }
}
