import ArgumentParser
import Foundation
import WhistleStore

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Apply pending SQL migrations and exit (--status only reports them).")

    @OptionGroup var common: CommonOptions

    @Flag(name: .long, help: "Only print applied and pending migrations.")
    var status = false

    func run() async throws {
        try await reportingFailures {
            let logger = common.makeLogger("whistle")
            let config = try common.readConfiguration()
            let migrations = try Migration.load(from: try Migration.locateDirectory(explicit: common.sqlDir))
            let prepared = try await DatabaseBootstrap.prepare(
                url: common.databaseURL(settings: config.settings), dataDirectory: common.dataDirectory(settings: config.settings),
                attach: true, logger: logger)
            defer { try? prepared.embedded?.stop() }
            let client = try DatabaseBootstrap.makeClient(prepared.settings, poolSize: 2, logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await client.run() }
                defer { group.cancelAll() }
                let migrator = Migrator(client: client, migrations: migrations, logger: logger)
                if status {
                    let current = try await migrator.status()
                    for migration in migrations {
                        print("\(current.pending.contains(migration.version) ? "pending" : "applied")  \(migration.fileName)")
                    }
                } else {
                    let applied = try await migrator.migrate()
                    print(applied.isEmpty ? "up to date (\(migrations.count) migrations)" : "applied: \(applied.joined(separator: ", "))")
                }
            }
        }
    }
}
