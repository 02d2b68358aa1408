import Foundation
import PostgresNIO
import Testing
import WhistleTestSupport
@testable import WhistleStore

@Suite("Embedded PostgreSQL")
struct EmbeddedPostgresTests {
    func makeEmbedded(_ directory: URL) throws -> EmbeddedPostgres {
        var options = EmbeddedPostgres.Options(dataDirectory: directory)
        options.durable = false
        options.database = "app"
        return try EmbeddedPostgres(options: options, logger: TestPostgres.logger)
    }

    func temporaryDirectory() -> URL {
        URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("whistle-embedded-\(UUID().uuidString.prefix(8))/pgdata")
    }

    func query(_ settings: DatabaseSettings, _ sql: String) async throws -> [String] {
        let connection = try await PostgresConnection.connect(
            configuration: .init(unixSocketPath: unixPath(settings), username: settings.username, password: nil, database: settings.database),
            id: 1, logger: TestPostgres.logger)
        defer { Task { try? await connection.close() } }
        var values: [String] = []
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestPostgres.logger)
        for try await row in rows {
            values.append((try? row.decode(String.self)) ?? "")
        }
        return values
    }

    func unixPath(_ settings: DatabaseSettings) -> String {
        if case .unixSocket(let path) = settings.endpoint { return path }
        return ""
    }

    @Test("creates a cluster, keeps its data across a restart")
    func restart() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        let embedded = try makeEmbedded(directory)
        let settings = try embedded.start()
        #expect(unixPath(settings).hasPrefix(directory.path) || unixPath(settings).hasPrefix("/tmp"))
        try await embedded.createDatabase("app", settings: settings)
        _ = try await query(settings, "CREATE TABLE kept (note text)")
        _ = try await query(settings, "INSERT INTO kept VALUES ('还在')")
        try embedded.stop()
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("postmaster.pid").path))

        let again = try embedded.start()
        defer { try? embedded.stop() }
        try await embedded.createDatabase("app", settings: again)
        #expect(try await query(again, "SELECT note FROM kept") == ["还在"])
    }

    @Test("a server left running by a killed daemon is taken over on the next start")
    func leftoverServer() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        let first = try makeEmbedded(directory)
        let settings = try first.start()
        try await first.createDatabase("app", settings: settings)
        _ = try await query(settings, "CREATE TABLE survived (x int)")
        // The daemon dies without stopping its server: a new daemon starts on the same folder.
        let second = try makeEmbedded(directory)
        let restarted = try second.start()
        defer { try? second.stop() }
        #expect(try await query(restarted, "SELECT count(*)::text FROM survived") == ["0"])
    }

    @Test("a stale postmaster.pid whose process is gone is cleared")
    func stalePidFile() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        let embedded = try makeEmbedded(directory)
        _ = try embedded.start()
        try embedded.stop()
        // A pid that cannot belong to a running process (above the kernel's pid_max default).
        let pidFile = directory.appendingPathComponent("postmaster.pid")
        try "4194999\n\(directory.path)\n1700000000\n5432\n".write(to: pidFile, atomically: true, encoding: .utf8)
        if ProcessRunner.isRoot, let user = ProcessRunner.defaultUser() {
            try FileManager.default.setAttributes([.ownerAccountName: user], ofItemAtPath: pidFile.path)
        }
        let settings = try embedded.start()
        defer { try? embedded.stop() }
        try await embedded.createDatabase("app", settings: settings)
        #expect(try await query(settings, "SELECT 'ok'") == ["ok"])
    }

    @Test("a data folder that holds something else is refused with a clear reason")
    func foreignFolder() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try "not a cluster".write(to: directory.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        do {
            _ = try makeEmbedded(directory).start()
            Issue.record("expected a refusal")
        } catch {
            #expect(String(describing: error).contains("holds no PostgreSQL cluster"))
        }
    }

    @Test("an unreachable server is one clear error")
    func unreachable() async throws {
        let port = try EmbeddedPostgres.freeLoopbackPort()
        let settings = DatabaseSettings(endpoint: .tcp(host: "127.0.0.1", port: port), username: "u", database: "d")
        do {
            try await DatabaseBootstrap.checkReachable(settings, logger: TestPostgres.logger)
            Issue.record("expected an error")
        } catch let error as StoreError {
            #expect(error.description.hasPrefix("cannot reach PostgreSQL at u@127.0.0.1:\(port)/d"))
            #expect(!error.description.contains("\n"))
        }
    }
}
