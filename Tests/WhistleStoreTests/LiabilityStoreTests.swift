import Foundation
import PostgresNIO
import Testing
import WhistleCore
import WhistleTestSupport
@testable import WhistleStore

@Suite("Liability lists in the database")
struct LiabilityStoreTests {
    @Test("loading is idempotent; a version edited in place is kept beside its earlier text; rows never change")
    func history() async throws {
        let db = try await TestPostgres.migratedDatabase("liability_store")
        var config = try ConfigDirectory.read(TestPostgres.configDirectory)
        try await DirectoryStore(database: db.database).load(config.tenants)
        let store = LiabilityStore(database: db.database)
        let first = try await store.load(config.tenants)
        #expect(first.count == 5)
        #expect(first.allSatisfy { $0.outcome == .new })
        let again = try await store.load(config.tenants)
        #expect(again.map(\.outcome) == Array(repeating: .unchanged, count: 5))
        #expect(again.map(\.listID) == first.map(\.listID))

        // Edit yongning's list in place (same version name, other text).
        let index = try #require(config.tenants.firstIndex { $0.directory.tenant.code == "yongning" })
        let original = try #require(config.tenants[index].listTexts["2023-05"])
        config.tenants[index].listTexts["2023-05"]?.text = original.text + "\n# 修订：补充说明\n"
        let edited = try await store.load(config.tenants)
        let yongning = try #require(edited.first { $0.tenant == "yongning" })
        #expect(yongning.outcome == .changedInPlace)
        #expect(yongning.listID != first.first { $0.tenant == "yongning" }?.listID)
        let history = try await store.history("yongning")
        #expect(history.map(\.version) == ["2023-05", "2023-05"])
        #expect(history.first?.listID == yongning.listID)
        #expect(try await store.history("suixi").count == 1)

        await #expect(throws: (any Error).self) {
            try await db.client.query("UPDATE liability_lists SET title = 'x'", logger: TestPostgres.logger)
        }
        await #expect(throws: (any Error).self) {
            try await db.client.query("DELETE FROM liability_lists", logger: TestPostgres.logger)
        }
        // Issues and tasks name list rows without a foreign key (0011): removing one must be impossible.
        await #expect(throws: (any Error).self) {
            try await db.client.query("TRUNCATE liability_lists CASCADE", logger: TestPostgres.logger)
        }
        #expect(try await db.scalar("SELECT count(*)::int FROM liability_lists", as: Int.self) ?? 0 > 0)
        let summary = try #require(
            try await db.scalar("SELECT types::text FROM liability_lists WHERE tenant_id = 'yongning' ORDER BY list_id LIMIT 1", as: String.self))
        #expect(summary.contains("\"lead\": [\"xfdd\", \"gaj\", \"zhifa\"]"))
        #expect(summary.contains("@territorial"))
    }
}
