import Foundation
import PostgresNIO
import Testing
import WhistleTestSupport
@testable import WhistleStore

@Suite("Migrations")
struct MigratorTests {
    @Test("applies every migration once; a second run applies nothing")
    func idempotent() async throws {
        let db = try await TestPostgres.emptyDatabase("migrate")
        let migrations = try TestPostgres.migrations()
        let first = try await db.migrator().migrate()
        #expect(first == migrations.map(\.fileName))
        let second = try await db.migrator().migrate()
        #expect(second.isEmpty)
        let status = try await db.migrator().status()
        #expect(status.isCurrent)
        #expect(try await db.scalar("SELECT count(*)::int FROM whistle_migrations", as: Int.self) == migrations.count)
    }

    @Test("a changed, already-applied migration is refused with its file name")
    func changedMigration() async throws {
        let db = try await TestPostgres.migratedDatabase("changed")
        var migrations = try TestPostgres.migrations()
        migrations[0].sql += "\n-- edited afterwards\n"
        do {
            try await db.migrator(migrations).migrate()
            Issue.record("expected the edited migration to be refused")
        } catch let error as StoreError {
            guard case .migrationChanged(let file, _, _) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(file == migrations[0].fileName)
            #expect(error.description.contains(migrations[0].fileName))
        }
        await #expect(throws: StoreError.self) { try await db.migrator(migrations).status() }
    }

    @Test("a failing migration rolls back entirely and names file and line")
    func failingMigration() async throws {
        let db = try await TestPostgres.emptyDatabase("failing")
        let broken = [
            Migration(version: 1, name: "ok", fileName: "0001_ok.sql", sql: "CREATE TABLE kept (x int);"),
            Migration(
                version: 2, name: "broken", fileName: "0002_broken.sql",
                sql: "CREATE TABLE half (x int);\n\nINSERT INTO missing VALUES (1);\n"),
        ]
        do {
            try await db.migrator(broken).migrate()
            Issue.record("expected a failure")
        } catch let error as StoreError {
            #expect(error.description.contains("0002_broken.sql:3"))
            #expect(error.description.contains("missing"))
        }
        #expect(try await db.scalar("SELECT to_regclass('kept') IS NOT NULL", as: Bool.self) == true)
        #expect(try await db.scalar("SELECT to_regclass('half') IS NOT NULL", as: Bool.self) == false)
        #expect(try await db.scalar("SELECT count(*)::int FROM whistle_migrations", as: Int.self) == 1)
    }

    @Test("two daemons migrating at once are serialized: each migration is applied exactly once")
    func concurrent() async throws {
        let db = try await TestPostgres.emptyDatabase("concurrent")
        let other = try await TestDatabase.sameDatabase(as: db)
        let migrations = try TestPostgres.migrations()
        async let a = db.migrator().migrate()
        async let b = other.migrator().migrate()
        let (appliedA, appliedB) = try await (a, b)
        #expect((appliedA + appliedB).sorted() == migrations.map(\.fileName).sorted())
        #expect(try await db.scalar("SELECT count(*)::int FROM whistle_migrations", as: Int.self) == migrations.count)
    }

    @Test("a database migrated by a newer build is refused")
    func unknownApplied() async throws {
        let db = try await TestPostgres.migratedDatabase("newer")
        let migrations = try TestPostgres.migrations()
        try await db.client.query("INSERT INTO whistle_migrations (version, name, checksum) VALUES (9999, 'future', 'x')", logger: TestPostgres.logger)
        await #expect(throws: StoreError.self) { try await db.migrator(migrations).migrate() }
    }
}
