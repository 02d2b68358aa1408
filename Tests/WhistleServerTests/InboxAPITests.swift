import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing
import WhistleCore
import WhistleStore
import WhistleTestSupport
@testable import WhistleServer

@Suite("HTTP API: the department inbox")
struct InboxAPITests {
    let db: TestDatabase
    let routing: TenantRouting
    static let zone = TimeZone(identifier: "Asia/Shanghai")!
    static let start = ISOMoment.parse("2026-11-02T09:00:00+08:00", in: zone)!

    init() async throws {
        db = try await TestPostgres.migratedDatabase("inbox_api")
        try await db.loadSampleConfiguration()
        routing = TenantRouting(try ConfigDirectory.read(TestPostgres.configDirectory))
        // 14 issues an hour apart: 住建局 is on every zz-2 (responsible) and zl-2 (lead), 消防 on zz-2 only.
        let store = IssueStore(database: db.database)
        let tenant = routing.tenants["yongning"]!
        for index in 0..<14 {
            let at = Self.start.addingTimeInterval(Double(index) * 3600)
            let intake = IssueIntake(
                channel: .whistle, compound: index % 2 == 0 ? "yanghe-c1-a" : "wangyuan-c1-a", type: index % 3 == 0 ? "zl-2" : "zz-2",
                description: "问题 \(index)", reportedAt: at)
            _ = try await store.intake(intake, tenant: "yongning", routing: tenant, now: at, actor: "test")
        }
    }

    func app(now: Date) throws -> some ApplicationProtocol {
        try testApplication(db, routing: routing, clock: { now })
    }

    func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try responseJSON(buffer)
    }

    @Test("a handler pages through its own department's tasks by due time, each once, with a constant-size cursor")
    func paging() async throws {
        let housing: HTTPFields = [.authorization: "Bearer \(try await db.token("yongning", .handler, department: "zjj"))"]
        let expected = try await db.scalar("SELECT count(*)::int FROM tasks WHERE department_code = 'zjj'", as: Int.self)
        #expect(expected == 14)
        try await app(now: Self.start).test(.router) { client in
            var seen: [Int] = []
            var dues: [String] = []
            var after: String?
            var pages = 0
            repeat {
                let uri = "/v1/tenants/yongning/tasks?limit=5" + (after.map { "&after=\($0)" } ?? "")
                after = try await client.execute(uri: uri, method: .get, headers: housing) { response in
                    #expect(response.status == .ok)
                    let body = try json(response.body)
                    let items = try #require(body["items"] as? [[String: Any]])
                    #expect(items.allSatisfy { $0["department"] as? String == "zjj" })
                    seen += items.compactMap { $0["task"] as? Int }
                    dues += items.compactMap { $0["rectifyDue"] as? String }
                    return body["next"] as? String
                }
                pages += 1
            } while after != nil && pages < 10
            #expect(pages == 3)
            #expect(seen.count == 14)
            #expect(Set(seen).count == 14)
            #expect(dues == dues.sorted())
        }
    }

    @Test("filters: state, overdue, due before, territory, type; other departments' inboxes are refused")
    func filters() async throws {
        let housing: HTTPFields = [.authorization: "Bearer \(try await db.token("yongning", .handler, department: "zjj"))"]
        let office: HTTPFields = [.authorization: "Bearer \(try await db.token("yongning", .office))"]
        let reporter: HTTPFields = [.authorization: "Bearer \(try await db.token("yongning", .reporter))"]
        // Five working days after the first dispatches, some deadlines have passed.
        let later = ISOMoment.parse("2026-11-09T12:30:00+08:00", in: Self.zone)!
        try await app(now: later).test(.router) { client in
            func items(_ query: String, _ headers: HTTPFields) async throws -> [[String: Any]] {
                try await client.execute(uri: "/v1/tenants/yongning/tasks?limit=200&\(query)", method: .get, headers: headers) { response in
                    #expect(response.status == .ok, "\(query)")
                    return try json(response.body)["items"] as? [[String: Any]] ?? []
                }
            }
            let overdue = try await items("overdue=true", housing)
            #expect(overdue.count == 4)  // dispatched 09:00–12:00 on 11-02, due 11-09 at the same times
            #expect(overdue.allSatisfy { $0["overdue"] as? Bool == true })
            #expect(try await items("dueBefore=2026-11-09T10:30:00%2B08:00", housing).count == 2)
            #expect(try await items("type=zl-2", housing).count == 5)
            #expect(try await items("territory=wangyuan", housing).count == 7)
            #expect(try await items("state=acknowledged", housing).isEmpty)
            #expect(try await items("department=xfdd", office).count == 9)
            #expect(try await items("", office).count == 5 * 3 + 9 * 5)  // five zl-2 issues of 3 tasks, nine zz-2 of 5
            for (query, headers, status) in [
                ("department=xfdd", housing, HTTPResponse.Status.forbidden), ("", reporter, .forbidden), ("state=lost", office, .badRequest),
                ("overdue=yes", office, .badRequest), ("limit=0", office, .badRequest), ("after=%%%", office, .badRequest),
            ] {
                try await client.execute(uri: "/v1/tenants/yongning/tasks?\(query)", method: .get, headers: headers) { response in
                    #expect(response.status == status, "\(query)")
                }
            }
        }
    }
}
