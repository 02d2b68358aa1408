import Foundation
import Logging
import PostgresNIO

/// Decides which PostgreSQL the daemon uses and makes sure it answers before anything starts.
public enum DatabaseBootstrap {
    /// The server to use and, when it is the embedded one, the handle to stop it with.
    public struct Prepared: Sendable {
        public var settings: DatabaseSettings
        public var embedded: EmbeddedPostgres?
    }

    /// With a URL, checks that the server answers; without one, creates and starts the embedded
    /// cluster under `dataDirectory` and creates its database.
    ///
    /// - Parameter attach: use the embedded server a running daemon serves on the folder, if any
    ///   (for commands such as `tokens` and `migrate`); it is left running.
    public static func prepare(url: String?, dataDirectory: URL, attach: Bool = false, logger: Logger) async throws -> Prepared {
        if let url {
            let settings = try DatabaseSettings(url: url)
            try await checkReachable(settings, logger: logger)
            return Prepared(settings: settings, embedded: nil)
        }
        let embedded = try EmbeddedPostgres(options: .init(dataDirectory: dataDirectory), logger: logger)
        if attach, let (settings, owner) = embedded.runningServer() {
            logger.info("using the PostgreSQL of the running daemon", metadata: ["pid": "\(owner)"])
            try await checkReachable(settings, logger: logger)
            return Prepared(settings: settings, embedded: nil)
        }
        let settings = try embedded.start()
        do {
            try await embedded.createDatabase(settings.database, settings: settings)
            try await checkReachable(settings, logger: logger)
        } catch {
            try? embedded.stop()
            throw error
        }
        return Prepared(settings: settings, embedded: embedded)
    }

    /// One connection attempt with a short timeout, so a wrong address is one clear line
    /// instead of a pool retrying in the background.
    public static func checkReachable(_ settings: DatabaseSettings, logger: Logger) async throws {
        do {
            let configuration = try PostgresConnection.Configuration(settings)
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
            try await connection.query("SELECT 1", logger: logger)
            try await connection.close()
        } catch {
            throw StoreError.unreachable(settings.description, reason: describeDatabaseError(error))
        }
    }

    /// A pooled client for `settings`.
    public static func makeClient(_ settings: DatabaseSettings, poolSize: Int, logger: Logger) throws -> PostgresClient {
        var configuration = try settings.clientConfiguration()
        configuration.options.maximumConnections = poolSize
        // Every statement of the daemon is short; PostgreSQL's JIT, triggered by the cost estimates
        // of a figure's aggregates, compiles for a second to save milliseconds.
        configuration.options.additionalStartupParameters.append(("jit", "off"))
        return PostgresClient(configuration: configuration, backgroundLogger: logger)
    }
}
