import Foundation
import PostgresNIO
import Testing
import WhistleCore
import WhistleTestSupport
@testable import WhistleStore

@Suite("Directory loading")
struct DirectoryStoreTests {
    @Test("the sample configuration holds the five seed jurisdictions and is valid")
    func sampleConfiguration() throws {
        let config = try ConfigDirectory.read(TestPostgres.configDirectory)
        #expect(Set(config.tenants.map(\.directory.tenant.code)) == ["wenchanghu", "suixi", "yongning", "zaozhuang", "chongqing-demo"])
        for tenant in config.tenants {
            let directory = tenant.directory
            #expect(!directory.territories.isEmpty, "\(directory.tenant.code) has no territories")
            #expect(!directory.compounds.isEmpty, "\(directory.tenant.code) has no compounds")
            #expect(directory.departments.contains { $0.kind == .territorial })
            #expect(directory.departments.contains { $0.kind == .functional })
            // Roles and placeholders only: nothing that looks like a phone number or an e-mail address.
            for department in directory.departments {
                for person in department.people {
                    #expect(!(person.name ?? "").contains { $0.isNumber })
                    for contact in person.contacts {
                        #expect(!contact.address.contains("@"))
                    }
                }
            }
        }
    }

    @Test("loading writes every tenant; loading the same files again writes nothing")
    func idempotentLoad() async throws {
        let db = try await TestPostgres.migratedDatabase("load")
        let first = try await db.loadSampleConfiguration()
        #expect(first.count == 5)
        #expect(first.allSatisfy { $0.changed })
        let config = try ConfigDirectory.read(TestPostgres.configDirectory)
        let departments = config.tenants.reduce(0) { $0 + $1.directory.departments.count }
        #expect(try await db.scalar("SELECT count(*)::int FROM departments WHERE active", as: Int.self) == departments)
        #expect(try await db.scalar("SELECT count(*)::int FROM tenants", as: Int.self) == 5)

        let xmin = try await db.scalar("SELECT max(xmin::text::bigint)::bigint FROM departments", as: Int64.self)
        let second = try await db.loadSampleConfiguration()
        #expect(second.allSatisfy { !$0.changed })
        #expect(try await db.scalar("SELECT count(*)::int FROM config_loads", as: Int.self) == 5)
        #expect(try await db.scalar("SELECT max(xmin::text::bigint)::bigint FROM departments", as: Int64.self) == xmin)
    }

    @Test("an entry removed from the configuration becomes inactive, and comes back when restored")
    func removedEntry() async throws {
        let db = try await TestPostgres.migratedDatabase("removed")
        let config = try ConfigDirectory.read(TestPostgres.configDirectory)
        var tenant = try #require(config.tenants.first { $0.directory.tenant.code == "yongning" })
        let store = DirectoryStore(database: db.database)
        try await store.load([tenant])
        let removed = try #require(tenant.directory.departments.first { $0.kind == .functional && $0.parent == nil })
        let isReferenced = tenant.directory.departments.contains { $0.parent == removed.code }
        try #require(!isReferenced)
        tenant.directory.departments.removeAll { $0.code == removed.code }
        tenant.directoryText += "\n# without \(removed.code)\n"
        try await store.load([tenant])
        let visible = try await store.departments("yongning").map(\.code)
        #expect(!visible.contains(removed.code))
        #expect(
            try await db.scalar("SELECT active FROM departments WHERE tenant_id = 'yongning' AND code = \(removed.code)", as: Bool.self) == false)
    }

    @Test("loading is all-or-nothing: one failing tenant leaves every tenant unwritten")
    func allOrNothing() async throws {
        let db = try await TestPostgres.migratedDatabase("atomic")
        let config = try ConfigDirectory.read(TestPostgres.configDirectory)
        var broken = try #require(config.tenants.first { $0.directory.tenant.code == "suixi" })
        // Bypass validation, as a bug or a concurrent edit could: a territorial department of a territory that does not exist.
        broken.directory.departments.append(Department(code: "ghost", name: "不存在镇", kind: .territorial, territory: "nowhere"))
        broken.directoryText += "\n# broken\n"
        let store = DirectoryStore(database: db.database)
        await #expect(throws: (any Error).self) {
            try await store.load(config.tenants.filter { $0.directory.tenant.code != "suixi" } + [broken])
        }
        #expect(try await db.scalar("SELECT count(*)::int FROM tenants", as: Int.self) == 0)
        #expect(try await db.scalar("SELECT count(*)::int FROM departments", as: Int.self) == 0)
        #expect(try await db.scalar("SELECT count(*)::int FROM config_loads", as: Int.self) == 0)
    }

    @Test("a broken file is reported with file, line and column, and nothing is read")
    func brokenFile() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("whistle-config-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let good = root.appendingPathComponent("tenants/good")
        let bad = root.appendingPathComponent("tenants/bad")
        try FileManager.default.createDirectory(at: good, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: bad, withIntermediateDirectories: true)
        // Tenants count working days in calendar 'cn': the folder needs it to be otherwise valid.
        try FileManager.default.copyItem(
            at: TestPostgres.configDirectory.appendingPathComponent("calendars"), to: root.appendingPathComponent("calendars"))
        try "tenant:\n  code: good\n  name: 好县\n  kind: county\n  source: t\n".write(
            to: good.appendingPathComponent("directory.yaml"), atomically: true, encoding: .utf8)
        try "tenant:\n  code: bad\n  name: 坏县\n  kind: county\n  source: t\ndepartments:\n  - code: x\n    name: 部门\n    kind: bureau\n"
            .write(to: bad.appendingPathComponent("directory.yaml"), atomically: true, encoding: .utf8)
        do {
            _ = try ConfigDirectory.read(root)
            Issue.record("expected the broken file to be reported")
        } catch {
            #expect(error.errors.count == 1)
            let problem = try #require(error.errors.first)
            #expect(problem.file.hasSuffix("tenants/bad/directory.yaml"))
            #expect(problem.line == 9)
            #expect(problem.column == 11)
            #expect(problem.reason.contains("'bureau' is not one of"))
        }
    }

    @Test("directory queries return the tenant's territories, compounds and departments")
    func queries() async throws {
        let db = try await TestPostgres.migratedDatabase("queries")
        try await db.loadSampleConfiguration()
        let store = DirectoryStore(database: db.database)
        let territories = try await store.territories("yongning")
        #expect(!territories.isEmpty)
        let compounds = try await store.compounds("yongning")
        #expect(!compounds.isEmpty)
        let one = try #require(compounds.first)
        #expect(try await store.compounds("yongning", territory: one.territory).contains { $0.code == one.code })
        #expect(try await store.compounds("yongning", code: one.code).count == 1)
        let departments = try await store.departments("yongning")
        #expect(departments.contains { $0.kind == "territorial" && $0.territory != nil })
        #expect(departments.contains { !$0.people.isEmpty })
        await #expect(throws: StoreError.self) { try await store.territories("atlantis") }
    }
}
