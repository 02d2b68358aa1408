import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing
import WhistleCore
import WhistleStore
import WhistleTestSupport

/// The whistle (吹哨): a department hears of its task when it is dispatched, in the same
/// transaction, whichever way the task came (intake, classifying a triaged issue, a team's roster).
@Suite("The whistle to each department at dispatch")
struct DispatchNoticeAPITests {
    let logger = TestPostgres.logger
    let zone = TimeZone(identifier: "Asia/Shanghai")!

    func at(_ text: String) -> Date { ISOMoment.parse(text, in: zone)! }

    /// The outbox's dispatch notices: department, first line, mentions.
    func notices(_ db: TestDatabase) async throws -> [(department: String, line: String, mentions: [String])] {
        let rows = try await db.client.query(
            """
            SELECT department_code, message->'lines'->>0, mentions FROM outbox WHERE event_kind = 'task.dispatched' ORDER BY outbox_id
            """, logger: logger)
        var result: [(String, String, [String])] = []
        for try await row in rows.decode((String, String, [String]).self) { result.append(row) }
        return result
    }

    func post(_ client: some TestClientProtocol, _ uri: String, token: String, _ body: String, expect status: HTTPResponse.Status) async throws -> [String: Any] {
        try await client.execute(uri: uri, method: .post, headers: [.authorization: "Bearer \(token)"], body: ByteBuffer(string: body)) { response in
            #expect(response.status == status, "\(uri): \(String(buffer: response.body))")
            return (try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]) ?? [:]
        }
    }

    func ids(_ issue: [String: Any]) -> (issue: Int64, tasks: [String: Int64]) {
        let tasks = (issue["tasks"] as? [[String: Any]] ?? []).reduce(into: [String: Int64]()) {
            $0[$1["department"] as? String ?? ""] = ($1["id"] as? NSNumber)?.int64Value
        }
        return ((issue["id"] as? NSNumber)?.int64Value ?? 0, tasks)
    }

    @Test("intake tells every routed department, naming the issue and its own task; the reporter's text stays as written")
    func intake() async throws {
        let db = try await TestPostgres.migratedDatabase("dispatch_notice_intake")
        try await db.loadSampleConfiguration()
        let routing = TenantRouting(try ConfigDirectory.read(TestPostgres.configDirectory))
        let office = try await db.token("yongning", .office)
        let app = try testApplication(db, routing: routing, clock: { self.at("2026-09-21T09:00:00+08:00") })
        try await app.test(.router) { client in
            let answer = try await post(
                client, "/v1/tenants/yongning/issues", token: office,
                #"{"channel": "visit", "compound": "yanghe-c1-a", "building": "b1", "household": "1-302", "type": "zz-2", "description": "楼道堆物 #{issue} 未清"}"#,
                expect: .created)
            let (issue, tasks) = ids(answer)
            #expect(tasks.count >= 2)
            let told = try await notices(db)
            // The sample departments name no channel of their own: the tenant's default (the log), once per department.
            #expect(Set(told.map(\.department)) == Set(tasks.keys))
            #expect(told.count == tasks.count)
            for notice in told {
                let task = try #require(tasks[notice.department])
                #expect(notice.line.contains("（问题 #\(issue)，任务 #\(task)）派给您单位"), "\(notice.line)")
                #expect(!notice.line.contains("#{"))
            }
            let description = try await db.scalar(
                "SELECT message->'lines'->>1 FROM outbox WHERE event_kind = 'task.dispatched' LIMIT 1", as: String.self)
            #expect(description == "楼道堆物 #{issue} 未清")
            #expect(try await db.scalar("SELECT count(*)::int FROM events WHERE kind = 'task.unnotified'", as: Int.self) == 0)
        }
    }

    @Test("classifying a triaged issue tells the departments it dispatches to")
    func classify() async throws {
        let db = try await TestPostgres.migratedDatabase("dispatch_notice_classify")
        try await db.loadSampleConfiguration()
        let routing = TenantRouting(try ConfigDirectory.read(TestPostgres.configDirectory))
        let office = try await db.token("yongning", .office)
        let app = try testApplication(db, routing: routing, clock: { self.at("2026-09-21T09:00:00+08:00") })
        try await app.test(.router) { client in
            let triaged = try await post(
                client, "/v1/tenants/yongning/issues", token: office, #"{"channel": "hotline", "compound": "yanghe-c1-a", "description": "说不清归谁管"}"#,
                expect: .created)
            #expect(try await notices(db).isEmpty)
            let issue = ids(triaged).issue
            let classified = try await post(
                client, "/v1/tenants/yongning/issues/\(issue)/classify", token: office, #"{"type": "zz-2", "rowVersion": 1}"#, expect: .ok)
            let tasks = ids(classified).tasks
            #expect(!tasks.isEmpty)
            let told = try await notices(db)
            #expect(Set(told.map(\.department)) == Set(tasks.keys))
            for notice in told {
                let task = try #require(tasks[notice.department])
                #expect(notice.line.contains("（问题 #\(issue)，任务 #\(task)）"), "\(notice.line)")
            }
        }
    }

    @Test("a team's task tells the team's channels, naming and @-mentioning the officer on duty")
    func team() async throws {
        let db = try await TestPostgres.migratedDatabase("dispatch_notice_team")
        try await db.loadSampleConfiguration()
        let routing = TenantRouting(try ConfigDirectory.read(TestPostgres.configDirectory))
        let tenant = try #require(routing.tenants["chongqing-demo"])
        let moment = at("2026-09-28T09:00:00+08:00")
        let team = try #require(tenant.rosters.teams.first { $0.team == "pcs" })
        let policy = try #require(tenant.policy)
        let duty = try #require(try team.roster.onDuty(at: moment, calendar: policy.calendar)?.member)
        let member = try #require(team.members.first { $0.code == duty })
        let office = try await db.token("chongqing-demo", .office)
        let app = try testApplication(db, routing: routing, clock: { moment })
        try await app.test(.router) { client in
            _ = try await post(
                client, "/v1/tenants/chongqing-demo/issues", token: office,
                #"{"channel": "whistle", "compound": "sample-town-1-c1-a", "type": "fire-exits", "description": "消防车通道被占用"}"#, expect: .created)
            let station = try await notices(db).filter { $0.department == "pcs" }
            #expect(!station.isEmpty)
            #expect(station.allSatisfy { $0.line.contains("（当班：\(member.name)）") })
            #expect(station.allSatisfy { $0.mentions == (member.mobile.map { [$0] } ?? []) })
        }
    }
}
