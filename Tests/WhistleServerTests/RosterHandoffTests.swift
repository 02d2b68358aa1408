import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing
import WhistleCore
import WhistleStore
import WhistleTestSupport

/// A task routed to a specialist team goes to the member on duty and is handed on at the end of
/// the shift when nobody reported in (issue 8), on the Chongqing sample's police-station roster.
@Suite("Hand-off of a team's task at shift end")
struct RosterHandoffTests {
    let logger = TestPostgres.logger
    let zone = TimeZone(identifier: "Asia/Shanghai")!

    func at(_ text: String) -> Date { ISOMoment.parse(text, in: zone)! }

    /// The sample configuration; `dayOnly` drops the station's weekly on-call layer, leaving nights uncovered.
    func routing(dayOnly: Bool = false) throws -> TenantRouting {
        var config = try ConfigDirectory.read(TestPostgres.configDirectory)
        let index = try #require(config.tenants.firstIndex { $0.directory.tenant.code == "chongqing-demo" })
        if dayOnly {
            let team = try #require(config.tenants[index].rosters.teams.firstIndex { $0.team == "pcs" })
            config.tenants[index].rosters.teams[team].roster.rotations.removeAll { $0.code == "duty" }
        }
        return TenantRouting(config)
    }

    func onDuty(_ routing: TenantRouting, at moment: Date) throws -> String? {
        let tenant = try #require(routing.tenants["chongqing-demo"])
        let team = try #require(tenant.rosters.teams.first { $0.team == "pcs" })
        return try team.roster.onDuty(at: moment, calendar: try #require(tenant.policy).calendar)?.member
    }

    func post(
        _ client: some TestClientProtocol, _ uri: String, token: String, _ body: String = "{}", expect status: HTTPResponse.Status = .ok
    ) async throws -> [String: Any] {
        try await client.execute(uri: uri, method: .post, headers: [.authorization: "Bearer \(token)"], body: ByteBuffer(string: body)) { response in
            #expect(response.status == status, "\(uri): \(String(buffer: response.body))")
            return (try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]) ?? [:]
        }
    }

    /// A blocked fire lane at a compound of the sample town: the station's task and the issue's answer.
    func report(_ client: some TestClientProtocol, token: String) async throws -> (task: Int64, answer: [String: Any]) {
        let issue = try await post(
            client, "/v1/tenants/chongqing-demo/issues", token: token,
            #"{"channel": "whistle", "compound": "sample-town-1-c1-a", "type": "fire-exits", "description": "3栋楼下消防车通道被私家车长期占用"}"#,
            expect: .created)
        let task = try #require((issue["tasks"] as? [[String: Any]] ?? []).first { $0["department"] as? String == "pcs" })
        return (try #require(task["id"] as? NSNumber).int64Value, task)
    }

    /// The task's hand-off events, in order, as (kind, from, to).
    func handoffs(_ db: TestDatabase, task: Int64) async throws -> [(kind: String, from: String, to: String?)] {
        let rows = try await db.client.query(
            """
            SELECT kind, details->>'from', details->>'to' FROM events
            WHERE subject_kind = 'task' AND subject_id = \(String(task)) AND kind IN ('task.handedOff', 'task.handoffFailed')
            ORDER BY event_id
            """, logger: logger)
        var result: [(String, String, String?)] = []
        for try await row in rows.decode((String, String, String?).self) { result.append(row) }
        return result
    }

    func assignee(_ db: TestDatabase, task: Int64) async throws -> String? {
        try await db.scalar("SELECT assignee FROM tasks WHERE task_id = \(task)", as: String?.self) ?? nil
    }

    @Test("the day's officer gets the task; unacknowledged at 17:30 it goes to the on-call officer, next morning to the next day's; reporting in stops it")
    func handsOnUntilAcknowledged() async throws {
        let db = try await TestPostgres.migratedDatabase("handoff")
        try await db.loadSampleConfiguration()
        let clock = ManualClock(now: at("2026-09-28T09:00:00+08:00"))  // a Monday, a working day
        let routing = try routing()
        let office = try await db.token("chongqing-demo", .office)
        let handler = try await db.token("chongqing-demo", .handler, department: "pcs")
        let app = try testApplication(db, routing: routing, clock: { clock.now() })
        try await app.test(.router) { client in
            let daemon = await EscalationEndToEndTests.Daemon(db, routing: routing, clock: clock, node: "handoff")
            let (task, answer) = try await report(client, token: office)
            let first = try #require(try onDuty(routing, at: clock.now()))
            #expect(answer["assignee"] as? String == first)
            #expect(try await assignee(db, task: task) == first)

            // 17:29: still the day's officer.
            clock.advance(to: at("2026-09-28T17:29:00+08:00"))
            await daemon.settle()
            #expect(try await handoffs(db, task: task).isEmpty)

            // 17:30, the day window closes with nobody reported in: the on-call officer of the week.
            clock.advance(to: at("2026-09-28T17:30:00+08:00"))
            await daemon.settle()
            let onCall = try #require(try onDuty(routing, at: clock.now()))
            try #require(onCall != first, "the sample roster should put another officer on call this week")
            var events = try await handoffs(db, task: task)
            #expect(events.map(\.kind) == ["task.handedOff"])
            #expect(events.first?.from == first && events.first?.to == onCall)
            #expect(try await assignee(db, task: task) == onCall)
            let told = try await db.scalar(
                "SELECT count(*)::int FROM outbox WHERE event_kind = 'task.handedOff' AND department_code = 'pcs' AND message::text LIKE '%任务转交%'",
                as: Int.self)
            #expect(told == 1)

            // Tuesday 08:30: the next working day's officer.
            clock.advance(to: at("2026-09-29T08:30:00+08:00"))
            await daemon.settle()
            let second = try #require(try onDuty(routing, at: clock.now()))
            events = try await handoffs(db, task: task)
            if second != onCall {
                #expect(events.map(\.kind) == ["task.handedOff", "task.handedOff"])
                #expect(events.last?.from == onCall && events.last?.to == second)
            }
            #expect(try await assignee(db, task: task) == second)

            // The station reports in: no more hand-offs, and the timeline shows both that were recorded.
            _ = try await post(client, "/v1/tenants/chongqing-demo/tasks/\(task)/acknowledge", token: handler)
            let before = try await handoffs(db, task: task).count
            clock.advance(to: at("2026-10-09T09:00:00+08:00"))
            await daemon.settle()
            #expect(try await handoffs(db, task: task).count == before)
            #expect(try await db.scalar("SELECT count(*)::int FROM timers WHERE subject_id = \(String(task)) AND kind = 'handoff' AND state = 'armed'", as: Int.self) == 0)
            let issueID = try #require(try await issueOf(db, task: task))
            let timeline = try await client.execute(
                uri: "/v1/tenants/chongqing-demo/issues/\(issueID)/timeline", method: .get, headers: [.authorization: "Bearer \(office)"]
            ) { String(buffer: $0.body) }
            #expect(timeline.contains("task.handedOff"))
            try await daemon.stop()
        }
    }

    func issueOf(_ db: TestDatabase, task: Int64) async throws -> NSNumber? {
        try await db.scalar("SELECT issue_id FROM tasks WHERE task_id = \(task)", as: Int64.self).map { NSNumber(value: $0) }
    }

    @Test("a gap in the roster is an event, not a silent stop: the task waits for the next officer on duty; one reported in the gap goes to them too")
    func gapWaitsForNextShift() async throws {
        let db = try await TestPostgres.migratedDatabase("handoff_gap")
        try await db.loadSampleConfiguration()
        let clock = ManualClock(now: at("2026-09-28T09:00:00+08:00"))
        let routing = try routing(dayOnly: true)
        let office = try await db.token("chongqing-demo", .office)
        let app = try testApplication(db, routing: routing, clock: { clock.now() })
        try await app.test(.router) { client in
            let daemon = await EscalationEndToEndTests.Daemon(db, routing: routing, clock: clock, node: "gap")
            let (day, _) = try await report(client, token: office)
            let first = try #require(try await assignee(db, task: day))

            // 17:30 with nobody on call: recorded, the task stays with the day's officer.
            clock.advance(to: at("2026-09-28T17:30:00+08:00"))
            await daemon.settle()
            var events = try await handoffs(db, task: day)
            #expect(events.map(\.kind) == ["task.handoffFailed"])
            let retry = try await db.scalar(
                "SELECT details->>'retryAt' FROM events WHERE kind = 'task.handoffFailed' AND subject_id = \(String(day))", as: String.self)
            #expect(retry == "2026-09-29T08:30:00+08:00")
            #expect(try await assignee(db, task: day) == first)

            // 20:00, a report in the gap: nobody is assigned yet.
            clock.advance(to: at("2026-09-28T20:00:00+08:00"))
            let (night, answer) = try await report(client, token: office)
            #expect(answer["assignee"] == nil)
            #expect(try await assignee(db, task: night) == nil)

            // Tuesday 08:30: both go to the day's officer.
            clock.advance(to: at("2026-09-29T08:30:00+08:00"))
            await daemon.settle()
            let second = try #require(try onDuty(routing, at: clock.now()))
            #expect(try await assignee(db, task: day) == second)
            #expect(try await assignee(db, task: night) == second)
            events = try await handoffs(db, task: night)
            #expect(events.map(\.kind) == ["task.handedOff"])
            #expect(events.first?.from == "" && events.first?.to == second)
            try await daemon.stop()
        }
    }

    @Test("a sick day through the API: the waiting task goes to the stand-in when it starts, back when it is cancelled; only the team's scheduler or the office may make one")
    func overrideThroughAPI() async throws {
        let db = try await TestPostgres.migratedDatabase("handoff_override")
        try await db.loadSampleConfiguration()
        let clock = ManualClock(now: at("2026-09-28T09:00:00+08:00"))
        let routing = try routing()
        let office = try await db.token("chongqing-demo", .office)
        let scheduler = try await db.token("chongqing-demo", .scheduler, department: "pcs")
        let handler = try await db.token("chongqing-demo", .handler, department: "pcs")
        let app = try testApplication(db, routing: routing, clock: { clock.now() })
        try await app.test(.router) { client in
            let daemon = await EscalationEndToEndTests.Daemon(db, routing: routing, clock: clock, node: "override")
            let (task, _) = try await report(client, token: office)
            let first = try #require(try await assignee(db, task: task))
            let standIn = try #require(["m1", "m2", "m3"].first { $0 != first })
            let base = "/v1/tenants/chongqing-demo/teams/pcs/overrides"
            func sickDay(_ member: String) -> String {
                #"{"member": "\#(member)", "from": "2026-09-28T10:00:00+08:00", "to": "2026-09-28T17:30:00+08:00", "reason": "病假"}"#
            }
            _ = try await post(client, base, token: handler, sickDay(standIn), expect: .forbidden)
            let bad = try await post(client, base, token: scheduler, sickDay("nobody"), expect: .unprocessableContent)
            #expect((bad["errors"] as? [[String: Any]])?.first?["field"] as? String == "member")
            #expect(try await db.scalar("SELECT count(*)::int FROM roster_overrides", as: Int.self) == 0)
            let made = try await post(client, base, token: scheduler, sickDay(standIn), expect: .created)
            let id = try #require(made["id"] as? NSNumber)
            #expect(made["memberName"] as? String != nil)

            // Nothing moves before it starts; at 10:00 the stand-in has the task.
            clock.advance(to: at("2026-09-28T09:59:00+08:00"))
            await daemon.settle()
            #expect(try await handoffs(db, task: task).isEmpty)
            clock.advance(to: at("2026-09-28T10:00:00+08:00"))
            await daemon.settle()
            var events = try await handoffs(db, task: task)
            #expect(events.map(\.kind) == ["task.handedOff"])
            #expect(events.last?.from == first && events.last?.to == standIn)
            let reason = try await db.scalar(
                "SELECT details->>'reason' FROM events WHERE kind = 'task.handedOff' AND subject_id = \(String(task))", as: String.self)
            #expect(reason == "排班调整，转交当班人员")
            let duty = try await client.execute(
                uri: "/v1/tenants/chongqing-demo/teams/pcs/on-duty?at=2026-09-28T11:00:00%2B08:00", method: .get,
                headers: [.authorization: "Bearer \(handler)"]
            ) { try JSONSerialization.jsonObject(with: Data(buffer: $0.body)) as? [String: Any] ?? [:] }
            #expect(duty["member"] as? String == standIn && duty["source"] as? String == "override")

            // Cancelled at 11:00: the day's officer has it back; cancelling twice is a conflict.
            clock.advance(to: at("2026-09-28T11:00:00+08:00"))
            _ = try await post(client, "\(base)/\(id)/cancel", token: office)
            _ = try await post(client, "\(base)/\(id)/cancel", token: office, expect: .conflict)
            await daemon.settle()
            events = try await handoffs(db, task: task)
            #expect(events.count == 2 && events.last?.from == standIn && events.last?.to == first)
            #expect(try await assignee(db, task: task) == first)
            let current = try await client.execute(uri: base, method: .get, headers: [.authorization: "Bearer \(handler)"]) {
                try JSONSerialization.jsonObject(with: Data(buffer: $0.body)) as? [String: Any] ?? [:]
            }
            #expect(current["count"] as? Int == 0)
            let all = try await client.execute(uri: "\(base)?all=true", method: .get, headers: [.authorization: "Bearer \(handler)"]) {
                try JSONSerialization.jsonObject(with: Data(buffer: $0.body)) as? [String: Any] ?? [:]
            }
            #expect(all["count"] as? Int == 1)
            try await daemon.stop()
        }
    }

    @Test("at the year's end a team's task still goes to the officer on duty; the shift that runs into the next year is handed on once the calendar covers it")
    func yearEnd() async throws {
        let db = try await TestPostgres.migratedDatabase("handoff_year_end")
        try await db.loadSampleConfiguration()
        let clock = ManualClock(now: at("2026-12-31T09:00:00+08:00"))  // a Thursday, the calendar's last working day
        let routing = try routing()
        let office = try await db.token("chongqing-demo", .office)
        let app = try testApplication(db, routing: routing, clock: { clock.now() })
        try await app.test(.router) { client in
            let daemon = await EscalationEndToEndTests.Daemon(db, routing: routing, clock: clock, node: "year-end")
            let (task, answer) = try await report(client, token: office)
            let first = try #require(try onDuty(routing, at: clock.now()))
            #expect(answer["assignee"] as? String == first)
            let armed = "SELECT due_at FROM timers WHERE subject_id = '\(task)' AND kind = 'handoff' AND state = 'armed'"
            #expect(try await db.scalar(PostgresQuery(unsafeSQL: armed), as: Date.self) == at("2026-12-31T17:30:00+08:00"))

            // 17:30: the on-call officer gets it; that shift runs into 2027, so its end is not known and nothing is armed.
            clock.advance(to: at("2026-12-31T17:30:00+08:00"))
            await daemon.settle()
            try await daemon.stop()
            let onCall = try #require(try onDuty(routing, at: clock.now()))
            #expect(try await assignee(db, task: task) == onCall)
            #expect(try await db.scalar(PostgresQuery(unsafeSQL: armed), as: Date.self) == nil)

            clock.advance(to: at("2026-12-31T20:00:00+08:00"))
            let same = try await DeadlineCatchUp(database: db.database, routing: routing).run(now: clock.now())
            #expect(same.handoffsResumed == 0 && same.stillUncounted >= 1)

            // The 2027 notice is added and the daemon restarts the same evening.
            var config = try ConfigDirectory.read(TestPostgres.configDirectory)
            let index = try #require(config.tenants.firstIndex { $0.directory.tenant.code == "chongqing-demo" })
            config = try extendedThrough2027(config, calendar: config.tenants[index].directory.tenant.calendar)
            let extended = TenantRouting(config)
            let caught = try await DeadlineCatchUp(database: db.database, routing: extended).run(now: clock.now())
            #expect(caught.handoffsResumed == 1 && caught.stillUncounted == 0)
            #expect(try await db.scalar("SELECT count(*)::int FROM events WHERE subject_id = \(String(task)) AND kind = 'task.handoffResumed'", as: Int.self) == 1)
            #expect(try await DeadlineCatchUp(database: db.database, routing: extended).run(now: clock.now()) == DeadlineCatchUp.Outcome())

            // The hand-off fires at once: the on-call officer keeps it until the shift's end, now known, then the next officer gets it.
            let resumed = await EscalationEndToEndTests.Daemon(db, routing: extended, clock: clock, node: "year-end-resumed")
            await resumed.settle()
            #expect(try await assignee(db, task: task) == onCall)
            let end = try #require(try await db.scalar(PostgresQuery(unsafeSQL: armed), as: Date.self))
            #expect(ISOMoment.format(end, in: zone).hasPrefix("2027-01-"))
            clock.advance(to: end)
            await resumed.settle()
            #expect(try await assignee(db, task: task) == (try onDuty(extended, at: end)))
            #expect(try await db.scalar(PostgresQuery(unsafeSQL: armed), as: Date.self).map { $0 > end } == true)
            try await resumed.stop()
        }
    }
}
