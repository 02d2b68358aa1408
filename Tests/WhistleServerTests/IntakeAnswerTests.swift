import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing
import WhistleCore
import WhistleStore
import WhistleTestSupport
@testable import WhistleServer

/// Intake answers with the issue built from what it wrote (no read-back), in one call of
/// `whistle_intake`: the answer must be exactly what reading the issue returns afterwards.
@Suite("Intake: the answer is the issue as stored, written in one statement")
struct IntakeAnswerTests {
    let db: TestDatabase
    let routing: TenantRouting
    /// A moment with sub-microsecond digits, which PostgreSQL rounds.
    static let now = Date(timeIntervalSince1970: 1_790_760_600.123_456_789)

    init() async throws {
        db = try await TestPostgres.migratedDatabase("intake_answer")
        try await db.loadSampleConfiguration()
        routing = TenantRouting(try ConfigDirectory.read(TestPostgres.configDirectory))
    }

    static let bodies = [
        // Routed, with a household, a reporter and the channel's own fields.
        #"{"channel": "visit", "compound": "yanghe-c1-a", "building": "b1", "household": "1-302", "type": "zz-2", "description": "  楼下消防通道被私家车堵死 ", "reporter": {"name": "张三", "phone": "13812345678"}, "details": {"visitor": "社区网格员"}}"#,
        // The same again: flagged as a possible duplicate of the first.
        #"{"channel": "hotline", "compound": "yanghe-c1-a", "type": "zz-2", "description": "消防通道又被堵了", "reportedAt": "2026-09-30T09:15:30.5+08:00"}"#,
        // No type: the triage queue.
        #"{"channel": "whistle", "compound": "yanghe-c1-b", "description": "说不清归谁管的问题"}"#,
        // A type the list does not have: triage, with the type kept.
        #"{"channel": "app", "compound": "yanghe-c1-b", "type": "no-such-type", "description": "未知类型"}"#,
        // A type with a territorial department.
        #"{"channel": "inspection", "compound": "yanghe-c1-b", "type": "zz-1", "description": "垃圾桶满了", "details": {"inspectedAt": "2026-09-30"}}"#,
    ]

    @Test("for routed, duplicate and triaged reports, masked and unmasked, the intake answer equals the issue read afterwards")
    func answerEqualsReadBack() async throws {
        let reporter: HTTPFields = [.authorization: "Bearer \(try await db.token("yongning", .reporter))"]
        let office: HTTPFields = [.authorization: "Bearer \(try await db.token("yongning", .office))"]
        let app = try testApplication(db, routing: routing, clock: { Self.now })
        try await app.test(.router) { client in
            var flagged = 0
            for headers in [reporter, office] {
                for body in Self.bodies {
                    let answered = try await client.execute(
                        uri: "/v1/tenants/yongning/issues", method: .post, headers: headers, body: ByteBuffer(string: body)
                    ) { response in
                        #expect(response.status == .created)
                        return try JSONDecoder().decode(IssueRecord.self, from: Data(buffer: response.body))
                    }
                    let read = try await client.execute(uri: "/v1/tenants/yongning/issues/\(answered.id)", method: .get, headers: headers) { response in
                        #expect(response.status == .ok)
                        return try JSONDecoder().decode(IssueRecord.self, from: Data(buffer: response.body))
                    }
                    #expect(answered == read, "\(body)")
                    if !answered.possibleDuplicates.isEmpty { flagged += 1 }
                }
            }
            // Every report but the very first of each compound and type has an earlier one open.
            #expect(flagged >= 5)
        }
    }

    @Test("the statement text the bench gives pgbench writes the issue the intake writes, quotes and all")
    func statementText() async throws {
        let store = IssueStore(database: db.database)
        let tenant = try #require(routing.tenants["yongning"])
        let report = IssueIntake(
            channel: .whistle, compound: "yanghe-c1-b", type: "zz-1", description: "O'Neil's 单元门口: 垃圾 $1 ::jsonb",
            reportedAt: Self.now)
        let (expected, _) = try await store.intake(report, tenant: "yongning", routing: tenant, now: Self.now, actor: "bench")
        let text = try await store.intakeStatementText(report, tenant: "yongning", routing: tenant, now: Self.now, actor: "bench")
        var written: Int64?
        for try await id in try await db.database.client.query(PostgresQuery(unsafeSQL: text), logger: db.database.logger).decode(Int64.self) {
            written = id
        }
        let id = try #require(written)
        let issue = try #require(try await store.issue(id, tenant: "yongning", zone: tenant.timeZone, unmasked: true))
        #expect(issue.description == report.description)
        #expect(issue.id != expected.id)
        #expect(issue.tasks.map(\.department) == expected.tasks.map(\.department))
        #expect(issue.tasks.map(\.rectifyDue) == expected.tasks.map(\.rectifyDue))
        #expect(issue.receivedAt == expected.receivedAt)
        #expect(issue.possibleDuplicates == [expected.id])
    }

    @Test("the intake's events and timers are those the statements one by one wrote: received, duplicate, triaged, dispatched with the issue")
    func trail() async throws {
        let store = IssueStore(database: db.database)
        let tenant = try #require(routing.tenants["yongning"])
        let zone = tenant.timeZone
        func intake(_ type: String?) -> IssueIntake {
            IssueIntake(channel: .hotline, compound: "yanghe-c1-a", type: type, description: "电动车楼道充电", reportedAt: Self.now)
        }
        let (first, _) = try await store.intake(intake("zz-2"), tenant: "yongning", routing: tenant, now: Self.now, actor: "hotline:1")
        let (second, _) = try await store.intake(intake("zz-2"), tenant: "yongning", routing: tenant, now: Self.now, actor: "hotline:1")
        let (triaged, _) = try await store.intake(intake(nil), tenant: "yongning", routing: tenant, now: Self.now, actor: "hotline:1")
        #expect(second.possibleDuplicates == [first.id])
        let kinds = { (id: Int64) async throws -> [String] in
            try await store.timeline(id, tenant: "yongning", zone: zone)?.map(\.kind) ?? []
        }
        #expect(try await kinds(first.id) == ["issue.received"] + Array(repeating: "task.dispatched", count: first.tasks.count))
        #expect(try await kinds(second.id) == ["issue.received", "issue.possibleDuplicate"] + Array(repeating: "task.dispatched", count: second.tasks.count))
        #expect(try await kinds(triaged.id) == ["issue.received", "issue.triaged"])
        let events = try #require(try await store.timeline(second.id, tenant: "yongning", zone: zone))
        let dispatched = events.filter { $0.kind == "task.dispatched" }
        for (event, task) in zip(dispatched, second.tasks.sorted { $0.id < $1.id }) {
            let details = try JSONDecoder().decode([String: String].self, from: Data(event.details.utf8))
            #expect(event.subjectID == String(task.id))
            #expect(details["issue"] == String(second.id))
            #expect(details["department"] == task.department)
            #expect(details["rectifyDue"] == task.rectifyDue)
            #expect(event.actor == "hotline:1")
        }
        let received = try JSONDecoder().decode([String: String].self, from: Data(try #require(events.first).details.utf8))
        #expect(received == ["channel": "hotline", "compound": "yanghe-c1-a", "type": "zz-2", "listVersion": "2023-05"])
        let armed = try await db.scalar(
            PostgresQuery(
                unsafeSQL: """
                    SELECT count(*)::int FROM timers t JOIN tasks k ON k.task_id::text = t.subject_id
                    WHERE t.state = 'armed' AND t.kind = 'rectify' AND t.due_at = k.rectify_due AND k.issue_id = \(second.id)
                    """), as: Int.self)
        #expect(armed == second.tasks.count)
    }

    @Test("deadlines beyond the scheduler's horizon notify nobody; those within it notify at once")
    func notifiesWithinHorizon() async throws {
        let tenant = try #require(routing.tenants["yongning"])
        let intake = IssueIntake(channel: .app, compound: "yanghe-c1-a", type: "zz-5", description: "遛狗不拴绳", reportedAt: Self.now)
        let quiet = IssueStore(database: db.database, timerNotifyHorizon: 3600)
        let heard = IssueStore(database: db.database, timerNotifyHorizon: 30 * 86_400)
        let (payload, loud) = try await db.client.withConnection { listener in
            try await listener.listen(on: TimerStore.channel) { notifications -> (String?, IssueRecord) in
                // The rectify deadline is days away: beyond an hour's horizon, within thirty days'.
                _ = try await quiet.intake(intake, tenant: "yongning", routing: tenant, now: Self.now, actor: "test")
                let (loud, _) = try await heard.intake(intake, tenant: "yongning", routing: tenant, now: Self.now, actor: "test")
                for try await notification in notifications { return (notification.payload, loud) }
                return (nil, loud)
            }
        }
        // Notifications arrive in commit order: the first one heard is the second issue's.
        let timerID = try #require(payload?.split(separator: " ").first.flatMap { Int64($0) })
        let subject = try await db.scalar(PostgresQuery(unsafeSQL: "SELECT subject_id FROM timers WHERE timer_id = \(timerID)"), as: String.self)
        #expect(loud.tasks.map { String($0.id) }.contains(subject ?? ""))
    }
}
