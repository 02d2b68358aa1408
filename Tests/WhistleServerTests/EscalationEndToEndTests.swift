import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing
import WhistleCore
import WhistleStore
import WhistleTestSupport

/// A late task climbs 濉溪县's whole ladder (seed 001) on a manual clock, across the National Day
/// holiday of 2026, with the scheduler and the dispatcher as the daemon runs them and real HTTP
/// receivers on loopback.
@Suite("The escalation ladder, end to end", .serialized)
struct EscalationEndToEndTests {
    let logger = TestPostgres.logger
    let zone = TimeZone(identifier: "Asia/Shanghai")!

    static let secrets = [
        "office": "office-webhook-secret", "zjj": "SECzjj-robot-secret", "leader": "SECleader-robot-secret", "wecom-zjj": "zjj-wecom-key",
    ]

    func at(_ text: String) -> Date { ISOMoment.parse(text, in: zone)! }

    /// The sample configuration with 县住建局, the office and the leading group on the receivers.
    func routing(base: String) throws -> TenantRouting {
        var config = try ConfigDirectory.read(TestPostgres.configDirectory)
        let index = try #require(config.tenants.firstIndex { $0.directory.tenant.code == "suixi" })
        var directory = config.tenants[index].directory
        for (position, department) in directory.departments.enumerated() {
            var department = department
            switch department.code {
            case "zjj":
                department.channels = [
                    NotifyChannel(kind: .dingtalk, url: "\(base)/robot/send?access_token=zjj", secret: Self.secrets["zjj"]),
                    NotifyChannel(kind: .wecom, url: "\(base)/cgi-bin/webhook/send?key=\(Self.secrets["wecom-zjj"]!)", format: .markdown),
                ]
                let phones: [Person.Role: String] = [.principal: "13800000001", .deputyInCharge: "13800000002", .liaison: "13800000003", .handler: "13800000004"]
                for p in department.people.indices { department.people[p].contacts = [Contact(channel: .phone, address: phones[department.people[p].role]!)] }
            case "zhuanban-office":
                department.channels = [NotifyChannel(kind: .webhook, url: "\(base)/hook/office", secret: Self.secrets["office"])]
            case "zhuanban":
                department.channels = [NotifyChannel(kind: .dingtalk, url: "\(base)/robot/send?access_token=leader", secret: Self.secrets["leader"], format: .text)]
                for p in department.people.indices where department.people[p].role == .principal {
                    department.people[p].contacts = [Contact(channel: .phone, address: "13900000001")]
                }
            default:
                break
            }
            directory.departments[position] = department
        }
        config.tenants[index].directory = directory
        return TenantRouting(config)
    }

    /// A daemon's two long-running parts on the manual clock, with the timer actions `serve` wires;
    /// `restart` replaces them mid-walk.
    final class Daemon: Sendable {
        let scheduler: TimerScheduler
        let dispatcher: NotificationDispatcher
        let task: Task<Void, any Error>

        init(_ db: TestDatabase, routing: TenantRouting, clock: ManualClock, node: String) async {
            var settings = SchedulerSettings()
            settings.sweepSeconds = 60
            settings.refillSeconds = 3600
            var notifications = NotificationSettings()
            notifications.backoffBaseSeconds = 30
            dispatcher = NotificationDispatcher(
                database: db.database, routing: routing, settings: notifications, clock: clock, jitter: { 0.5 }, logger: TestPostgres.logger)
            let scheduler = TimerScheduler(
                database: db.database, settings: settings, clock: clock, node: node, action: TimerActions([EscalationEngine(routing: routing), RosterHandoff(routing: routing), OperationLadder(routing: routing)]),
                logger: TestPostgres.logger)
            self.scheduler = scheduler
            task = Task { try await scheduler.run() }
            await scheduler.waitForStatus { $0.isArmed && $0.listening }
        }

        /// Everything due by the clock's time fires, and every notification that can go, goes.
        func settle() async {
            await scheduler.settle()
            await dispatcher.deliverDue()
        }

        func stop() async throws {
            scheduler.stop()
            try await task.value
        }
    }

    func escalations(_ db: TestDatabase, task: Int64) async throws -> [(rung: String, due: Date, state: String, document: String?)] {
        let rows = try await db.client.query(
            "SELECT rung, due_at, state, document->>'kind' FROM escalations WHERE task_id = \(task) ORDER BY escalation_id", logger: logger)
        var result: [(String, Date, String, String?)] = []
        for try await row in rows.decode((String, Date, String, String?).self) { result.append(row) }
        return result
    }

    func post(
        _ client: some TestClientProtocol, _ uri: String, token: String, _ body: String = "{}", expect status: HTTPResponse.Status = .ok
    ) async throws -> [String: Any] {
        try await client.execute(uri: uri, method: .post, headers: [.authorization: "Bearer \(token)"], body: ByteBuffer(string: body)) { response in
            #expect(response.status == status, "\(uri): \(String(buffer: response.body))")
            return (try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]) ?? [:]
        }
    }

    @Test("every rung once, at its working-day moment across 国庆, to the right people, with its documents; a receiver that was down gets its message; a restart sends nothing twice")
    func wholeLadder() async throws {
        let db = try await TestPostgres.migratedDatabase("ladder_e2e")
        try await db.loadSampleConfiguration()
        let clock = ManualClock(now: at("2026-09-21T09:00:00+08:00"))  // a Monday
        let receivers = LoopbackReceivers(clock: clock, secrets: Self.secrets)
        try await receivers.serving {
            let routing = try routing(base: receivers.base())
            let office = try await db.token("suixi", .office)
            let leader = try await db.token("suixi", .leader, name: "组长")
            let app = try testApplication(db, routing: routing, clock: { clock.now() })
            try await app.test(.router) { client in
                var daemon = await Daemon(db, routing: routing, clock: clock, node: "first")
                let issue = try await post(
                    client, "/v1/tenants/suixi/issues", token: office,
                    #"{"channel": "whistle", "compound": "suixi-town-c1-a", "type": "rw-01", "description": "小区无物业服务，物业管理信息台账未建立"}"#,
                    expect: .created)
                let tasks = try #require(issue["tasks"] as? [[String: Any]])
                let zjj = try #require(tasks.first { $0["department"] as? String == "zjj" })
                let task = try #require((zjj["id"] as? NSNumber)?.int64Value)
                // Five working days from Monday 21 September: 中秋 (25–27 September) is skipped.
                #expect(zjj["rectifyDue"] as? String == "2026-09-29T09:00:00+08:00")
                let tag = "任务 #\(task)）"
                var seen = 0
                /// What the receivers got about this task since the last look.
                func news() -> [LoopbackReceivers.Received] {
                    let all = receivers.all
                    defer { seen = all.count }
                    return all[seen...].filter { $0.text.contains(tag) || $0.title.contains(tag) }
                }
                func names(_ items: [LoopbackReceivers.Received]) -> [String] { items.map { "\($0.kind):\($0.name)" }.sorted() }

                // The whistle: 县住建局 hears of its task at once, on its robots, with its deadline.
                await daemon.settle()
                let whistle = news()
                #expect(names(whistle) == ["dingtalk:zjj", "wecom:wecom-zjj"])
                #expect(whistle.allSatisfy { $0.text.contains("吹哨派单") && $0.text.contains("整改期限为2026年9月29日 09:00") })
                #expect(whistle.allSatisfy { $0.text.contains("问题 #\(issue["id"] as? NSNumber ?? 0)，任务 #\(task)）派给您单位，作为牵头部门办理") })
                #expect(whistle.allSatisfy { Set($0.mentions) == ["13800000003", "13800000004"] })

                // 提醒: one working day before the deadline, to the handler and the liaison.
                clock.advance(to: at("2026-09-28T08:59:00+08:00"))
                await daemon.settle()
                #expect(try await escalations(db, task: task).isEmpty)
                #expect(news().isEmpty)
                clock.advance(to: at("2026-09-28T09:00:00+08:00"))
                await daemon.settle()
                var fired = try await escalations(db, task: task)
                #expect(fired.map(\.rung) == ["remind"])
                var got = news()
                #expect(names(got) == ["dingtalk:zjj", "wecom:wecom-zjj"])
                #expect(got.allSatisfy { Set($0.mentions) == ["13800000003", "13800000004"] })
                #expect(got.allSatisfy { $0.text.contains("整改提醒") || $0.title == "整改提醒" })

                // 催办 when the deadline passes; WeCom's robot is down for a while and gets it later.
                receivers.setDown("wecom-zjj", true)
                clock.advance(to: at("2026-09-29T09:00:00+08:00"))
                await daemon.settle()
                got = news()
                #expect(names(got) == ["dingtalk:zjj"])
                #expect(Set(got.first?.mentions ?? []) == ["13800000002", "13800000003", "13800000004"])
                for _ in 0..<3 {
                    clock.advance(by: 120)  // past each backoff (30 s, 60 s, 120 s at the jitter's middle)
                    await daemon.settle()
                }
                #expect(news().isEmpty)
                receivers.setDown("wecom-zjj", false)
                clock.advance(by: 600)
                await daemon.settle()
                got = news()
                #expect(names(got) == ["wecom:wecom-zjj"])
                #expect(got.first?.text.contains("催办") == true)
                let urgeRow = try await db.scalar(
                    "SELECT attempts FROM outbox WHERE channel = 'wecom' AND escalation_id = (SELECT escalation_id FROM escalations WHERE task_id = \(task) AND rung = 'urge')",
                    as: Int.self)
                #expect((urgeRow ?? 0) >= 3)

                // 督办单 one working day after the deadline: the new deadline is 5 working days later,
                // across 国庆 (1–7 October) and the adjusted Saturday 10 October: 13 October.
                clock.advance(to: at("2026-09-30T09:00:00+08:00"))
                await daemon.settle()
                fired = try await escalations(db, task: task)
                #expect(fired.map(\.rung) == ["remind", "urge", "supervise"])
                #expect(fired.last?.document == "督办单")
                got = news()
                #expect(names(got) == ["dingtalk:zjj", "webhook:office", "wecom:wecom-zjj"])
                let order = try #require(got.first { $0.kind == "webhook" })
                #expect(order.text.contains("办结时限：2026年10月13日 09:00"))
                #expect(order.text.contains("原整改期限：2026年9月29日 09:00"))
                let supervisionDue = try await db.scalar("SELECT supervision_due FROM tasks WHERE task_id = \(task)", as: Date.self)
                #expect(supervisionDue == at("2026-10-13T09:00:00+08:00"))

                // The daemon restarts in the middle of the ladder.
                try await daemon.stop()
                daemon = await Daemon(db, routing: routing, clock: clock, node: "second")

                // Nothing during the holiday; 约谈 when the supervision order's deadline passes.
                clock.advance(to: at("2026-10-13T08:59:00+08:00"))
                await daemon.settle()
                #expect(try await escalations(db, task: task).count == 3)
                clock.advance(to: at("2026-10-13T09:00:00+08:00"))
                await daemon.settle()
                fired = try await escalations(db, task: task)
                #expect(fired.map(\.rung) == ["remind", "urge", "supervise", "talk"])
                #expect(fired.last?.state == "awaitingSchedule")
                got = news()
                #expect(names(got) == ["dingtalk:zjj", "webhook:office", "wecom:wecom-zjj"])
                #expect(got.contains { $0.text.contains("约谈待安排") })

                // The office sets time and place: the talk notice goes out as a document.
                let talkID = try #require(
                    try await db.scalar("SELECT escalation_id FROM escalations WHERE task_id = \(task) AND rung = 'talk'", as: Int64.self))
                let scheduled = try await post(
                    client, "/v1/tenants/suixi/escalations/\(talkID)/schedule-talk", token: office,
                    #"{"time": "2026-10-15T09:30:00+08:00", "place": "县住建局三楼会议室"}"#)
                #expect(scheduled["state"] as? String == "scheduled")
                let fields = ((scheduled["document"] as? [String: Any])?["fields"] as? [[String: String]]) ?? []
                let document = Dictionary(fields.map { ($0["label"] ?? "", $0["value"] ?? "") }, uniquingKeysWith: { a, _ in a })
                #expect(document["约谈时间"] == "2026年10月15日 09:30")
                #expect(document["约谈地点"] == "县住建局三楼会议室")
                #expect(document["约谈方式"] == "当面约谈")
                #expect(document["参加人员"]?.contains("分管副局长（濉溪县住房和城乡建设局）") == true)
                #expect(document["约谈事由"]?.contains("经督办仍未在时限") == true)
                await daemon.settle()
                got = news()
                #expect(names(got) == ["dingtalk:zjj", "webhook:office", "wecom:wecom-zjj"])
                #expect(got.allSatisfy { $0.text.contains("约谈通知") || $0.title == "约谈通知" })
                // Before the talk is held, nothing arms the notice.
                _ = try await post(
                    client, "/v1/tenants/suixi/escalations/\(talkID)/approve", token: leader, expect: .conflict)

                // The talk is held; the department promises 20 October.
                clock.advance(to: at("2026-10-15T11:00:00+08:00"))
                let held = try await post(
                    client, "/v1/tenants/suixi/escalations/\(talkID)/talk-outcome", token: office,
                    #"{"promisedBy": "2026-10-20T09:00:00+08:00", "note": "分管副局长承诺10月20日前办结"}"#)
                #expect(held["state"] as? String == "held")
                clock.advance(to: at("2026-10-20T09:00:00+08:00"))
                await daemon.settle()
                fired = try await escalations(db, task: task)
                #expect(fired.map(\.rung) == ["remind", "urge", "supervise", "talk", "notice"])
                #expect(fired.last?.state == "draft")
                got = news()
                #expect(names(got) == ["dingtalk:leader", "webhook:office"])
                #expect(got.first { $0.kind == "dingtalk" }?.mentions == ["13900000001"])
                // A draft counts nothing yet; the group leader approves, and every member unit hears of it.
                let noticeID = try #require(
                    try await db.scalar("SELECT escalation_id FROM escalations WHERE task_id = \(task) AND rung = 'notice'", as: Int64.self))
                _ = try await post(client, "/v1/tenants/suixi/escalations/\(noticeID)/approve", token: office, expect: .forbidden)
                let approved = try await post(client, "/v1/tenants/suixi/escalations/\(noticeID)/approve", token: leader)
                #expect(approved["state"] as? String == "approved")
                await daemon.settle()
                got = news()
                #expect(names(got) == ["dingtalk:zjj", "wecom:wecom-zjj"])
                #expect(got.allSatisfy { $0.text.contains("通报批评") })
                let published = try await db.scalar(
                    "SELECT count(DISTINCT department_code)::int FROM outbox WHERE event_kind = 'escalation.noticePublished' AND escalation_id = \(noticeID) AND state = 'delivered'",
                    as: Int.self)
                let members = routing.tenants["suixi"]!.directory.departments.filter { [.functional, .territorial, .team].contains($0.kind) }.count
                #expect(published == members)

                // 问责 five working days after the promise.
                clock.advance(to: at("2026-10-27T08:59:00+08:00"))
                await daemon.settle()
                #expect(try await escalations(db, task: task).count == 5)
                clock.advance(to: at("2026-10-27T09:00:00+08:00"))
                await daemon.settle()
                fired = try await escalations(db, task: task)
                #expect(fired.map(\.rung) == ["remind", "urge", "supervise", "talk", "notice", "accountability"])
                #expect(fired.last?.document == "问责移交函")
                got = news()
                #expect(names(got) == ["dingtalk:leader", "dingtalk:zjj", "webhook:office", "wecom:wecom-zjj"])
                #expect(got.first { $0.name == "zjj" && $0.kind == "dingtalk" }?.mentions == ["13800000001"])

                // The top of the ladder: nothing more, however long we wait.
                clock.advance(to: at("2026-12-31T09:00:00+08:00"))
                await daemon.settle()
                #expect(try await escalations(db, task: task).count == 6)
                #expect(news().isEmpty)

                // Deductions of the month, per department: 0.5 + 1 + 2 in September/October for 县住建局.
                let deductions = try await client.execute(
                    uri: "/v1/tenants/suixi/deductions?month=2026-10", method: .get, headers: [.authorization: "Bearer \(office)"]
                ) { response in try responseJSON(response.body) }
                let departments = deductions["departments"] as? [[String: Any]] ?? []
                let zjjPoints = departments.first { $0["department"] as? String == "zjj" }?["points"] as? Double
                #expect(zjjPoints == 10.0)  // talk 13 Oct, notice 20 Oct (approved), accountability 27 Oct
                try await daemon.stop()
            }

            // Each rung once (per task), each delivery once, every signature good.
            #expect(receivers.refusals.isEmpty, "\(receivers.refusals)")
            let keys = receivers.all.map(\.deliveryKey)
            #expect(Set(keys).count == keys.count, "a delivery arrived twice")
            let twice = try await db.scalar(
                "SELECT count(*)::int FROM (SELECT subject_id, details->>'rung', details->>'track' FROM events WHERE kind = 'task.escalated' GROUP BY 1, 2, 3 HAVING count(*) > 1) d",
                as: Int.self)
            #expect(twice == 0)
            let undelivered = try await db.scalar("SELECT count(*)::int FROM outbox WHERE state <> 'delivered'", as: Int.self)
            #expect(undelivered == 0)
        }
    }
}
