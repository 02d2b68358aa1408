import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing
import WhistleCore
import WhistleStore
import WhistleTestSupport

/// When the ladder stops, moves and climbs its shorter acknowledge ladder, and what happens when
/// nobody can be told.
@Suite("The escalation ladder's rules")
struct EscalationRulesTests {
    let logger = TestPostgres.logger
    let zone = TimeZone(identifier: "Asia/Shanghai")!

    func at(_ text: String) -> Date { ISOMoment.parse(text, in: zone)! }

    /// 濉溪县 with a reporting-in limit of 4 hours and its directory changed by `directory`; with
    /// `through2027`, its calendar also covers 2027 (`extendedThrough2027`).
    func routing(
        acknowledgeHours: Int? = 4, through2027: Bool = false, ladder: EscalationLadder? = nil, directory change: (inout Directory) -> Void = { _ in }
    ) throws -> TenantRouting {
        var config = try ConfigDirectory.read(TestPostgres.configDirectory)
        let index = try #require(config.tenants.firstIndex { $0.directory.tenant.code == "suixi" })
        config.tenants[index].deadlines.defaults.acknowledgeHours = acknowledgeHours
        if let ladder { config.tenants[index].escalation = ladder }
        change(&config.tenants[index].directory)
        if through2027 { config = try extendedThrough2027(config, calendar: config.tenants[index].directory.tenant.calendar) }
        return TenantRouting(config)
    }

    func count(_ db: TestDatabase, _ query: PostgresQuery) async throws -> Int { try await db.scalar(query, as: Int.self) ?? -1 }

    func rungs(_ db: TestDatabase, task: Int64, track: String) async throws -> [String] {
        let rows = try await db.client.query(
            "SELECT rung FROM escalations WHERE task_id = \(task) AND track = \(track) ORDER BY escalation_id", logger: logger)
        var result: [String] = []
        for try await rung in rows.decode(String.self) { result.append(rung) }
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

    func get(_ client: some TestClientProtocol, _ uri: String, token: String) async throws -> [String: Any] {
        try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
            #expect(response.status == .ok, "\(uri): \(String(buffer: response.body))")
            return try responseJSON(response.body)
        }
    }

    /// Intake of an rw-01 report (县住建局 leads, 濉溪镇 is responsible); the two task ids.
    func report(_ client: some TestClientProtocol, token: String) async throws -> (zjj: Int64, town: Int64, issue: [String: Any]) {
        let issue = try await post(
            client, "/v1/tenants/suixi/issues", token: token,
            #"{"channel": "whistle", "compound": "suixi-town-c1-a", "type": "rw-01", "description": "小区无物业服务"}"#, expect: .created)
        let tasks = issue["tasks"] as? [[String: Any]] ?? []
        func id(_ department: String) -> Int64 { (tasks.first { $0["department"] as? String == department }?["id"] as? NSNumber)?.int64Value ?? 0 }
        return (id("zjj"), id("suixi-town-gov"), issue)
    }

    @Test("the acknowledge ladder stops when the department reports in; an approved extension moves the rectify ladder; rectifying stops it")
    func stopsAndMoves() async throws {
        let db = try await TestPostgres.migratedDatabase("ladder_rules")
        try await db.loadSampleConfiguration()
        let clock = ManualClock(now: at("2026-09-21T09:00:00+08:00"))
        let routing = try routing()
        let office = try await db.token("suixi", .office)
        let handler = try await db.token("suixi", .handler, department: "zjj")
        let app = try testApplication(db, routing: routing, clock: { clock.now() })
        try await app.test(.router) { client in
            let daemon = await EscalationEndToEndTests.Daemon(db, routing: routing, clock: clock, node: "rules")
            let (zjj, town, issue) = try await report(client, token: office)
            let task = (issue["tasks"] as? [[String: Any]] ?? []).first { $0["department"] as? String == "zjj" } ?? [:]
            #expect(task["acknowledgeDue"] as? String == "2026-09-21T13:00:00+08:00")

            // Four hours without reporting in: the reminder, for both departments.
            clock.advance(to: at("2026-09-21T13:00:00+08:00"))
            await daemon.settle()
            #expect(try await rungs(db, task: zjj, track: "acknowledge") == ["remind"])
            #expect(try await rungs(db, task: town, track: "acknowledge") == ["remind"])
            // 县住建局 reports in; 濉溪镇 does not and is pressed a working day later.
            _ = try await post(client, "/v1/tenants/suixi/tasks/\(zjj)/acknowledge", token: handler)
            clock.advance(to: at("2026-09-22T13:00:00+08:00"))
            await daemon.settle()
            #expect(try await rungs(db, task: zjj, track: "acknowledge") == ["remind"])
            #expect(try await rungs(db, task: town, track: "acknowledge") == ["remind", "urge"])
            let urge = try #require(
                try await db.scalar(
                    "SELECT targets FROM escalations WHERE task_id = \(town) AND track = 'acknowledge' AND rung = 'urge'", as: [String].self))
            #expect(urge == ["deputyInCharge", "liaison"])

            // 县住建局 asks for more time before its deadline (29 September); the office grants 9 October.
            _ = try await post(
                client, "/v1/tenants/suixi/tasks/\(zjj)/request-extension", token: handler,
                #"{"until": "2026-10-09T09:00:00+08:00", "reason": "需协调业主委员会"}"#)
            _ = try await post(client, "/v1/tenants/suixi/tasks/\(zjj)/approve-extension", token: office)
            let moved = try await db.scalar(
                "SELECT due_at FROM timers WHERE subject_id = \(String(zjj)) AND kind = 'ladder.rectify' AND state = 'armed'", as: Date.self)
            #expect(moved == at("2026-10-08T09:00:00+08:00"))  // the reminder: a working day before 9 October

            // The old deadline passes: 濉溪镇 is reminded and pressed, 县住建局 is not.
            clock.advance(to: at("2026-09-29T09:00:00+08:00"))
            await daemon.settle()
            #expect(try await rungs(db, task: zjj, track: "rectify") == [])
            #expect(try await rungs(db, task: town, track: "rectify") == ["remind", "urge"])
            clock.advance(to: at("2026-10-08T09:00:00+08:00"))
            await daemon.settle()
            #expect(try await rungs(db, task: zjj, track: "rectify") == ["remind"])

            // Rectified before the new deadline: the ladder stops there.
            _ = try await post(client, "/v1/tenants/suixi/tasks/\(zjj)/start", token: handler)
            _ = try await post(client, "/v1/tenants/suixi/tasks/\(zjj)/rectify", token: handler, #"{"measures": "已引入物业服务企业并建立台账"}"#)
            clock.advance(to: at("2026-10-30T09:00:00+08:00"))
            await daemon.settle()
            #expect(try await rungs(db, task: zjj, track: "rectify") == ["remind"])
            #expect(try await rungs(db, task: town, track: "rectify") == ["remind", "urge", "supervise", "talk"])

            // The department sees its own escalations, not another's; deductions list per department.
            let own = try await get(client, "/v1/tenants/suixi/escalations", token: handler)
            #expect((own["items"] as? [[String: Any]] ?? []).allSatisfy { $0["department"] as? String == "zjj" })
            #expect(own["count"] as? Int == 2)
            try await client.execute(
                uri: "/v1/tenants/suixi/escalations?department=suixi-town-gov", method: .get, headers: [.authorization: "Bearer \(handler)"]
            ) { response in #expect(response.status == .forbidden) }
            let september = try await get(client, "/v1/tenants/suixi/deductions?month=2026-09", token: office)
            let departments = september["departments"] as? [[String: Any]] ?? []
            // 县住建局's reminders cost nothing; 濉溪镇: 0.5 (not reported in) + 0.5 (催办) + 1 (督办, due 30 September,
            // fired when the clock jumped to October: it counts in the month it was due).
            #expect(departments.map { $0["department"] as? String } == ["suixi-town-gov"])
            #expect(departments.first?["points"] as? Double == 2.0)
            #expect(departments.first?["departmentName"] as? String == "濉溪镇人民政府")
            try await client.execute(
                uri: "/v1/tenants/suixi/deductions?month=2026-13", method: .get, headers: [.authorization: "Bearer \(office)"]
            ) { response in #expect(response.status == .unprocessableContent) }
            try await daemon.stop()
        }
    }

    @Test("a rung nobody can be told of is an event and shows in the office's view; dead deliveries are listed, retried, and then arrive")
    func nobodyNotified() async throws {
        let db = try await TestPostgres.migratedDatabase("ladder_unnotified")
        try await db.loadSampleConfiguration()
        let clock = ManualClock(now: at("2026-09-21T09:00:00+08:00"))
        let receivers = LoopbackReceivers(clock: clock, secrets: ["office": "office-secret"])
        try await receivers.serving {
            // No defaults: 濉溪镇 has no channel at all; 县住建局's webhook points at a receiver that is down.
            let routing = try routing(acknowledgeHours: nil) { directory in
                directory.defaultChannels = []
                for index in directory.departments.indices where directory.departments[index].code == "zjj" {
                    directory.departments[index].channels = [NotifyChannel(kind: .webhook, url: "\(receivers.base())/hook/office", secret: "office-secret")]
                }
            }
            receivers.setDown("office", true)
            let office = try await db.token("suixi", .office)
            let app = try testApplication(db, routing: routing, clock: { clock.now() })
            try await app.test(.router) { client in
                let daemon = await EscalationEndToEndTests.Daemon(db, routing: routing, clock: clock, node: "unnotified")
                let (zjj, town, _) = try await report(client, token: office)
                // Nobody at 濉溪镇 can be told of its task either: said at dispatch.
                let untold = try await db.scalar(
                    "SELECT details->>'reason' FROM events WHERE kind = 'task.unnotified' AND subject_id = \(String(town))", as: String.self)
                #expect(untold?.contains("未配置通知渠道") == true)
                #expect(try await count(db, "SELECT count(*)::int FROM events WHERE kind = 'task.unnotified' AND subject_id = \(String(zjj))") == 0)
                clock.advance(to: at("2026-09-28T09:00:00+08:00"))
                await daemon.settle()

                // 濉溪镇: nobody to tell, said at once.
                let reason = try await db.scalar(
                    "SELECT details->>'reason' FROM events WHERE kind = 'escalation.unnotified' AND subject_id = \(String(town))", as: String.self)
                #expect(reason?.contains("未配置通知渠道") == true)
                var attention = try await get(client, "/v1/tenants/suixi/escalations?attention=true", token: office)
                #expect((attention["items"] as? [[String: Any]] ?? []).map { ($0["task"] as? NSNumber)?.int64Value } == [town])

                // 县住建局: every attempt fails (ten, with backoff), then the delivery is dead and the rung unnotified.
                for _ in 0..<12 {
                    clock.advance(by: 3600)
                    await daemon.dispatcher.deliverDue()
                }
                let dead = try await get(client, "/v1/tenants/suixi/notifications?state=dead", token: office)
                // The whistle at dispatch and the reminder, each after ten attempts.
                let all = dead["items"] as? [[String: Any]] ?? []
                #expect(all.compactMap { $0["eventKind"] as? String }.sorted() == ["task.dispatched", "task.escalated"])
                #expect(all.allSatisfy { $0["attempts"] as? Int == 10 })
                let items = all.filter { $0["eventKind"] as? String == "task.escalated" }
                #expect(items.count == 1)
                #expect(items.first?["attempts"] as? Int == 10)
                #expect((items.first?["lastError"] as? String)?.contains("503") == true)
                #expect((items.first?["endpoint"] as? String)?.hasSuffix("/hook/office") == true)
                #expect(
                    try await db.scalar(
                        "SELECT count(*)::int FROM events WHERE kind = 'escalation.unnotified' AND subject_id = \(String(zjj))", as: Int.self) == 1)
                attention = try await get(client, "/v1/tenants/suixi/escalations?attention=true", token: office)
                #expect(Set((attention["items"] as? [[String: Any]] ?? []).compactMap { ($0["task"] as? NSNumber)?.int64Value }) == [zjj, town])
                #expect(receivers.all.isEmpty)

                // The receiver is back; the office sends the dead letter again and it arrives, once.
                receivers.setDown("office", false)
                let id = try #require((items.first?["id"] as? NSNumber)?.int64Value)
                let retried = try await post(client, "/v1/tenants/suixi/notifications/\(id)/retry", token: office)
                #expect(retried["state"] as? String == "pending")
                _ = try await post(client, "/v1/tenants/suixi/notifications/\(id)/retry", token: office, expect: .conflict)
                await daemon.dispatcher.deliverDue()
                #expect(receivers.all.count == 1)
                #expect(receivers.all.first?.deliveryKey == items.first?["deliveryKey"] as? String)
                let notified = try await db.scalar(
                    "SELECT notified FROM escalations WHERE task_id = \(zjj) AND rung = 'remind'", as: String.self)
                #expect(notified == "delivered")
                let handler = try await db.token("suixi", .handler, department: "zjj")
                try await client.execute(
                    uri: "/v1/tenants/suixi/notifications", method: .get, headers: [.authorization: "Bearer \(handler)"]
                ) { response in #expect(response.status == .forbidden) }
                try await daemon.stop()
            }
        }
    }

    @Test("where the calendar runs out, the supervision order still goes out and the office is told its deadline could not be counted")
    func calendarRunsOut() async throws {
        let db = try await TestPostgres.migratedDatabase("ladder_calendar")
        try await db.loadSampleConfiguration()
        let clock = ManualClock(now: at("2026-12-21T09:00:00+08:00"))
        let routing = try routing(acknowledgeHours: nil)
        let office = try await db.token("suixi", .office)
        let app = try testApplication(db, routing: routing, clock: { clock.now() })
        try await app.test(.router) { client in
            let daemon = await EscalationEndToEndTests.Daemon(db, routing: routing, clock: clock, node: "calendar")
            let (zjj, _, _) = try await report(client, token: office)
            clock.advance(to: at("2026-12-29T09:00:00+08:00"))
            await daemon.settle()
            #expect(try await rungs(db, task: zjj, track: "rectify") == ["remind", "urge", "supervise"])
            let reason = try await db.scalar(
                "SELECT details->>'reason' FROM events WHERE kind = 'escalation.unscheduled' AND subject_id = \(String(zjj))", as: String.self)
            #expect(reason?.contains("2027") == true)
            let due = try await db.scalar(
                "SELECT document->'fields' @> '[{\"label\": \"办结时限\", \"value\": \"未设定\"}]' FROM escalations WHERE task_id = \(zjj) AND rung = 'supervise'",
                as: Bool.self)
            #expect(due == true)
            // Nothing further is armed, and the scheduler does not keep failing on it.
            #expect(try await db.scalar("SELECT count(*)::int FROM timers WHERE subject_id = \(String(zjj)) AND kind = 'ladder.rectify' AND state = 'armed'", as: Int.self) == 0)
            #expect(daemon.scheduler.status.failedClaims == 0)
            try await daemon.stop()
        }
    }

    @Test("a task whose rectify deadline falls past the calendar still reports in on time, and gets that deadline once the calendar covers it")
    func deadlineCaughtUp() async throws {
        let db = try await TestPostgres.migratedDatabase("ladder_catch_up_deadline")
        try await db.loadSampleConfiguration()
        // Monday 28 December: five working days reach into 2027, which the sample calendar does not cover.
        let clock = ManualClock(now: at("2026-12-28T09:00:00+08:00"))
        let routing = try routing()
        let office = try await db.token("suixi", .office)
        let app = try testApplication(db, routing: routing, clock: { clock.now() })
        try await app.test(.router) { client in
            let (zjj, _, issue) = try await report(client, token: office)
            let task = (issue["tasks"] as? [[String: Any]] ?? []).first { $0["department"] as? String == "zjj" } ?? [:]
            #expect(task["rectifyDue"] == nil || task["rectifyDue"] is NSNull)
            // Reporting in is wall time: it is due, and its ladder armed, whatever the calendar.
            #expect(task["acknowledgeDue"] as? String == "2026-12-28T13:00:00+08:00")
            #expect(try await count(db, "SELECT count(*)::int FROM timers WHERE subject_id = \(String(zjj)) AND kind IN ('acknowledge', 'ladder.acknowledge') AND state = 'armed'") == 2)
            #expect(try await count(db, "SELECT count(*)::int FROM timers WHERE subject_id = \(String(zjj)) AND kind IN ('rectify', 'ladder.rectify')") == 0)
            #expect(try await count(db, "SELECT count(*)::int FROM events WHERE subject_id = \(String(zjj)) AND kind = 'task.deadlineUnset'") == 1)
            let undated = try await count(db, "SELECT count(*)::int FROM tasks WHERE rectify_due IS NULL")
            #expect(undated >= 1)

            // A restart with the same calendar changes nothing and says nothing new.
            let same = try await DeadlineCatchUp(database: db.database, routing: routing).run(now: clock.now())
            #expect(same.deadlinesSet == 0 && same.stillUncounted == undated)
            #expect(try await count(db, "SELECT count(*)::int FROM events WHERE kind = 'task.deadlineSet'") == 0)

            // The 2027 notice is added and the daemon restarts: the deadline is counted from the dispatch.
            clock.advance(to: at("2026-12-29T10:00:00+08:00"))
            let extended = try self.routing(through2027: true)
            let caught = try await DeadlineCatchUp(database: db.database, routing: extended).run(now: clock.now())
            #expect(caught.deadlinesSet == undated && caught.stillUncounted == 0)
            let due = try await db.scalar("SELECT rectify_due FROM tasks WHERE task_id = \(zjj)", as: Date.self)
            let expected = try extended.tenants["suixi"]!.policy!.deadlines(dispatchedAt: at("2026-12-28T09:00:00+08:00")).rectifyDue
            #expect(due == expected)
            #expect(ISOMoment.format(try #require(due), in: zone).hasPrefix("2027-01-"))
            #expect(try await db.scalar("SELECT original_rectify_due = rectify_due AND row_version = 2 FROM tasks WHERE task_id = \(zjj)", as: Bool.self) == true)
            #expect(try await db.scalar("SELECT due_at FROM timers WHERE subject_id = \(String(zjj)) AND kind = 'rectify' AND state = 'armed'", as: Date.self) == due)
            #expect(try await db.scalar("SELECT details->>'rung' FROM timers WHERE subject_id = \(String(zjj)) AND kind = 'ladder.rectify' AND state = 'armed'", as: String.self) == "remind")
            let set = try await db.scalar(
                "SELECT details->>'rectifyDue' FROM events WHERE subject_id = \(String(zjj)) AND kind = 'task.deadlineSet'", as: String.self)
            #expect(set == ISOMoment.format(try #require(due), in: zone))
            let read = try await get(client, "/v1/tenants/suixi/issues/\(issue["id"] as? NSNumber ?? 0)", token: office)
            let readTask = (read["tasks"] as? [[String: Any]] ?? []).first { $0["department"] as? String == "zjj" } ?? [:]
            #expect(readTask["rectifyDue"] as? String == set)

            // Counted once: the next start finds nothing to do.
            let again = try await DeadlineCatchUp(database: db.database, routing: extended).run(now: clock.now())
            #expect(again == DeadlineCatchUp.Outcome())
            #expect(try await count(db, "SELECT count(*)::int FROM events WHERE kind = 'task.deadlineSet'") == undated)

            // The rungs now climb: the reminder a working day before the deadline.
            let daemon = await EscalationEndToEndTests.Daemon(db, routing: extended, clock: clock, node: "catch-up")
            clock.advance(to: try #require(due))
            await daemon.settle()
            #expect(try await rungs(db, task: zjj, track: "rectify").prefix(2) == ["remind", "urge"])
            try await daemon.stop()
        }
    }

    @Test("a ladder whose first rung falls past the calendar is told at dispatch, and armed once the calendar covers it")
    func firstRungCaughtUp() async throws {
        let db = try await TestPostgres.migratedDatabase("ladder_first_rung")
        try await db.loadSampleConfiguration()
        let clock = ManualClock(now: at("2026-12-21T09:00:00+08:00"))
        // An office's own ladder that first presses four working days after the deadline.
        let late = EscalationLadder(
            rectify: [EscalationRung(code: "urge", action: .urge, anchor: .rectifyDue, offset: EscalationOffset(4, .workingDays), targets: [.handler])],
            acknowledge: [])
        let routing = try routing(acknowledgeHours: nil, ladder: late)
        let office = try await db.token("suixi", .office)
        let app = try testApplication(db, routing: routing, clock: { clock.now() })
        try await app.test(.router) { client in
            let (zjj, _, issue) = try await report(client, token: office)
            let due = try #require(try await db.scalar("SELECT rectify_due FROM tasks WHERE task_id = \(zjj)", as: Date.self))
            #expect(ISOMoment.format(due, in: zone).hasPrefix("2026-12-"))
            // The deadline stands; the rung after it cannot be counted, and the office hears so.
            #expect(try await count(db, "SELECT count(*)::int FROM timers WHERE subject_id = \(String(zjj)) AND kind = 'rectify' AND state = 'armed'") == 1)
            #expect(try await count(db, "SELECT count(*)::int FROM timers WHERE subject_id = \(String(zjj)) AND kind = 'ladder.rectify'") == 0)
            let stopped = try await db.scalar(
                """
                SELECT (details->>'track') || ' ' || (details->>'issue') || ' ' || (details->>'reason') FROM events
                WHERE subject_id = \(String(zjj)) AND kind = 'escalation.unscheduled'
                """, as: String.self)
            #expect(stopped?.hasPrefix("rectify \(issue["id"] as? NSNumber ?? 0) ") == true)
            #expect(stopped?.contains("2027") == true)
            let timeline = try await get(client, "/v1/tenants/suixi/issues/\(issue["id"] as? NSNumber ?? 0)/timeline", token: office)
            let kinds = (timeline["items"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
            #expect(kinds.contains("escalation.unscheduled"))

            // The next year is added: the rung is armed where the calendar now puts it.
            let extended = try self.routing(acknowledgeHours: nil, through2027: true, ladder: late)
            let caught = try await DeadlineCatchUp(database: db.database, routing: extended).run(now: clock.now())
            #expect(caught.laddersResumed >= 1 && caught.stillUncounted == 0)
            let press = try extended.tenants["suixi"]!.policy!.calendar.addWorkingDays(from: due, days: 4, in: zone)
            #expect(ISOMoment.format(press, in: zone).hasPrefix("2027-01-"))
            #expect(try await db.scalar("SELECT due_at FROM timers WHERE subject_id = \(String(zjj)) AND kind = 'ladder.rectify' AND state = 'armed'", as: Date.self) == press)
            #expect(try await db.scalar("SELECT details->>'rung' FROM events WHERE subject_id = \(String(zjj)) AND kind = 'escalation.rescheduled'", as: String.self) == "urge")
        }
    }

    @Test("an extension into a year the calendar does not cover stops the ladder with an event, not silently, and the catch-up resumes it")
    func extensionPastTheCalendar() async throws {
        let db = try await TestPostgres.migratedDatabase("ladder_extension_2027")
        try await db.loadSampleConfiguration()
        let clock = ManualClock(now: at("2026-12-21T09:00:00+08:00"))
        let routing = try routing(acknowledgeHours: nil)
        let office = try await db.token("suixi", .office)
        let handler = try await db.token("suixi", .handler, department: "zjj")
        let app = try testApplication(db, routing: routing, clock: { clock.now() })
        try await app.test(.router) { client in
            let (zjj, _, _) = try await report(client, token: office)
            #expect(try await count(db, "SELECT count(*)::int FROM timers WHERE subject_id = \(String(zjj)) AND kind = 'ladder.rectify' AND state = 'armed'") == 1)
            clock.advance(to: at("2026-12-22T10:00:00+08:00"))
            _ = try await post(client, "/v1/tenants/suixi/tasks/\(zjj)/acknowledge", token: handler)
            _ = try await post(
                client, "/v1/tenants/suixi/tasks/\(zjj)/request-extension", token: handler,
                #"{"until": "2027-01-08T09:00:00+08:00", "reason": "冬季施工条件不足"}"#)
            _ = try await post(client, "/v1/tenants/suixi/tasks/\(zjj)/approve-extension", token: office)
            // The new deadline is wall time and stands; the reminder a working day before it cannot be counted.
            #expect(try await db.scalar("SELECT due_at FROM timers WHERE subject_id = \(String(zjj)) AND kind = 'rectify' AND state = 'armed'", as: Date.self) == at("2027-01-08T09:00:00+08:00"))
            #expect(try await count(db, "SELECT count(*)::int FROM timers WHERE subject_id = \(String(zjj)) AND kind = 'ladder.rectify' AND state = 'armed'") == 0)
            #expect(try await count(db, "SELECT count(*)::int FROM events WHERE subject_id = \(String(zjj)) AND kind = 'escalation.unscheduled' AND details->>'track' = 'rectify'") == 1)

            let extended = try self.routing(acknowledgeHours: nil, through2027: true)
            let caught = try await DeadlineCatchUp(database: db.database, routing: extended).run(now: clock.now())
            #expect(caught.laddersResumed == 1 && caught.stillUncounted == 0)
            #expect(try await db.scalar("SELECT due_at FROM timers WHERE subject_id = \(String(zjj)) AND kind = 'ladder.rectify' AND state = 'armed'", as: Date.self) == at("2027-01-07T09:00:00+08:00"))
        }
    }

    @Test("a ladder the calendar stopped resumes once the calendar covers the supervision order's deadline")
    func ladderCaughtUp() async throws {
        let db = try await TestPostgres.migratedDatabase("ladder_catch_up_rungs")
        try await db.loadSampleConfiguration()
        let clock = ManualClock(now: at("2026-12-21T09:00:00+08:00"))
        let routing = try routing(acknowledgeHours: nil)
        let office = try await db.token("suixi", .office)
        let app = try testApplication(db, routing: routing, clock: { clock.now() })
        try await app.test(.router) { client in
            let daemon = await EscalationEndToEndTests.Daemon(db, routing: routing, clock: clock, node: "stopped")
            let (zjj, _, _) = try await report(client, token: office)
            clock.advance(to: at("2026-12-29T09:00:00+08:00"))
            await daemon.settle()
            try await daemon.stop()
            #expect(try await rungs(db, task: zjj, track: "rectify") == ["remind", "urge", "supervise"])
            #expect(try await db.scalar("SELECT supervision_due IS NULL FROM tasks WHERE task_id = \(zjj)", as: Bool.self) == true)
            let stopped = try await count(db, "SELECT count(DISTINCT subject_id)::int FROM events WHERE kind = 'escalation.unscheduled'")
            #expect(stopped >= 1)

            let same = try await DeadlineCatchUp(database: db.database, routing: routing).run(now: clock.now())
            #expect(same.laddersResumed == 0 && same.stillUncounted == stopped)
            #expect(try await count(db, "SELECT count(*)::int FROM timers WHERE subject_id = \(String(zjj)) AND kind = 'ladder.rectify' AND state = 'armed'") == 0)

            let extended = try self.routing(acknowledgeHours: nil, through2027: true)
            let caught = try await DeadlineCatchUp(database: db.database, routing: extended).run(now: clock.now())
            #expect(caught.laddersResumed == stopped && caught.stillUncounted == 0)
            // The order's five working days from when it was due, and the talk armed at their end.
            let orderDue = try #require(try await db.scalar("SELECT due_at FROM escalations WHERE task_id = \(zjj) AND rung = 'supervise'", as: Date.self))
            let supervisionDue = try #require(try await db.scalar("SELECT supervision_due FROM tasks WHERE task_id = \(zjj)", as: Date.self))
            #expect(supervisionDue == (try extended.tenants["suixi"]!.policy!.calendar.addWorkingDays(from: orderDue, days: 5, in: zone)))
            #expect(ISOMoment.format(supervisionDue, in: zone).hasPrefix("2027-01-"))
            #expect(try await db.scalar("SELECT due_at FROM timers WHERE subject_id = \(String(zjj)) AND kind = 'ladder.rectify' AND state = 'armed'", as: Date.self) == supervisionDue)
            let event = try await db.scalar(
                "SELECT details->>'rung' || ' ' || (details->>'supervisionDue') FROM events WHERE subject_id = \(String(zjj)) AND kind = 'escalation.rescheduled'",
                as: String.self)
            #expect(event == "talk " + ISOMoment.format(supervisionDue, in: zone))
            // Those the order went to with "未设定" are told the deadline the talk will follow.
            let told = try await db.scalar(
                """
                SELECT count(*)::int FROM outbox WHERE event_kind = 'escalation.rescheduled' AND department_code IS NOT NULL
                  AND message::text LIKE \("%督办整改时限补定%") AND message::text LIKE \("%" + EscalationNotice.chineseMoment(supervisionDue, in: zone) + "%")
                """, as: Int.self)
            #expect((told ?? 0) >= 1)
            let orderRecipients = try await db.scalar(
                "SELECT count(*)::int FROM outbox WHERE event_kind = 'task.escalated' AND escalation_id = (SELECT escalation_id FROM escalations WHERE task_id = \(zjj) AND rung = 'supervise')",
                as: Int.self)
            let reminded = try await db.scalar(
                "SELECT count(*)::int FROM outbox WHERE event_kind = 'escalation.rescheduled' AND escalation_id = (SELECT escalation_id FROM escalations WHERE task_id = \(zjj) AND rung = 'supervise')",
                as: Int.self)
            #expect(reminded == orderRecipients)

            let again = try await DeadlineCatchUp(database: db.database, routing: extended).run(now: clock.now())
            #expect(again == DeadlineCatchUp.Outcome())

            // The talk fires when the order's deadline passes.
            let resumed = await EscalationEndToEndTests.Daemon(db, routing: extended, clock: clock, node: "resumed")
            clock.advance(to: supervisionDue)
            await resumed.settle()
            #expect(try await rungs(db, task: zjj, track: "rectify") == ["remind", "urge", "supervise", "talk"])
            try await resumed.stop()
        }
    }
}
