import PostgresNIO
import Testing
import WhistleTestSupport
@testable import WhistleStore

/// Row-level security walls tenants even against hand-written SQL run in a tenant's context.
@Suite("Tenant isolation (row-level security)", .serialized)
struct TenantIsolationTests {
    let db: TestDatabase

    init() async throws {
        db = try await TestPostgres.migratedDatabase("rls")
        try await db.loadSampleConfiguration()
    }

    func count(_ tenant: String, _ sql: String) async throws -> Int {
        try await db.database.withTenant(tenant) { connection in
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestPostgres.logger)
            for try await value in rows.decode(Int.self) { return value }
            return -1
        }
    }

    @Test("in tenant A's context, tenant B's rows cannot be read, even when asked for by id")
    func cannotRead() async throws {
        #expect(try await db.scalar("SELECT count(*)::int FROM departments WHERE tenant_id = 'suixi'", as: Int.self)! > 0)
        #expect(try await count("yongning", "SELECT count(*)::int FROM departments WHERE tenant_id = 'suixi'") == 0)
        #expect(try await count("yongning", "SELECT count(DISTINCT tenant_id)::int FROM departments") == 1)
        #expect(try await count("yongning", "SELECT count(*)::int FROM tenants") == 1)
        #expect(try await count("yongning", "SELECT count(*)::int FROM compounds WHERE tenant_id <> 'yongning'") == 0)
        #expect(try await count("yongning", "SELECT count(*)::int FROM department_people WHERE tenant_id = 'suixi'") == 0)
    }

    @Test("the directory is read-only for tenant sessions")
    func directoryReadOnly() async throws {
        await #expect(throws: (any Error).self) {
            try await db.database.withTenant("yongning") { connection in
                try await connection.query("UPDATE departments SET name = 'x' WHERE tenant_id = 'yongning'", logger: TestPostgres.logger)
            }
        }
    }

    @Test("in tenant A's context, tenant B's rows cannot be written, even where the role may write")
    func cannotWrite() async throws {
        // Later tables (issues, tasks) are writable by tenant sessions; grant writes here, in this
        // test's own database, so that only row-level security stands between the tenants.
        try await db.client.query("GRANT INSERT, UPDATE, DELETE ON departments, person_contacts TO whistle_tenant", logger: TestPostgres.logger)
        let before = try await db.scalar("SELECT count(*)::int FROM departments WHERE tenant_id = 'suixi' AND name <> 'x'", as: Int.self)
        do {
            try await db.database.withTenant("yongning") { connection in
                try await connection.query(
                    "INSERT INTO departments (tenant_id, code, name, kind) VALUES ('suixi', 'intruder', '冒名部门', 'functional')",
                    logger: TestPostgres.logger)
            }
            Issue.record("the insert into another tenant was accepted")
        } catch {
            #expect(sqlState(of: error) == "42501")
            #expect(describeDatabaseError(error).contains("row-level security"))
        }
        let (updatedOther, deletedOther, updatedOwn) = try await db.database.withTenant("yongning") { connection in
            func affected(_ query: PostgresQuery) async throws -> Int {
                let rows = try await connection.query(query, logger: TestPostgres.logger)
                var total = 0
                for try await value in rows.decode(Int.self) { total += value }
                return total
            }
            let updatedOther = try await affected(
                "WITH u AS (UPDATE departments SET name = 'x' WHERE tenant_id = 'suixi' RETURNING 1) SELECT count(*)::int FROM u")
            let deletedOther = try await affected(
                "WITH d AS (DELETE FROM person_contacts WHERE tenant_id <> 'yongning' RETURNING 1) SELECT count(*)::int FROM d")
            let updatedOwn = try await affected(
                "WITH u AS (UPDATE departments SET sample = sample WHERE tenant_id = 'yongning' RETURNING 1) SELECT count(*)::int FROM u")
            return (updatedOther, deletedOther, updatedOwn)
        }
        #expect(updatedOther == 0)
        #expect(deletedOther == 0)
        #expect(updatedOwn > 0)
        #expect(try await db.scalar("SELECT count(*)::int FROM departments WHERE tenant_id = 'suixi' AND name <> 'x'", as: Int.self) == before)
        #expect(try await db.scalar("SELECT count(*)::int FROM departments WHERE code = 'intruder'", as: Int.self) == 0)
        // Moving a row of one's own into another tenant is refused as well.
        await #expect(throws: (any Error).self) {
            try await db.database.withTenant("yongning") { connection in
                try await connection.query("UPDATE departments SET tenant_id = 'suixi' WHERE tenant_id = 'yongning'", logger: TestPostgres.logger)
            }
        }
    }

    @Test("outside any tenant context the tenant role sees nothing")
    func noTenantNoRows() async throws {
        let seen = try await db.database.withSystemTransaction { connection -> Int in
            try await connection.query("SET LOCAL ROLE whistle_tenant", logger: TestPostgres.logger)
            let rows = try await connection.query("SELECT count(*)::int FROM departments", logger: TestPostgres.logger)
            for try await value in rows.decode(Int.self) { return value }
            return -1
        }
        #expect(seen == 0)
    }
}
