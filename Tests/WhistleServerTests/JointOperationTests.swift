import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing
import WhistleCore
import WhistleStore
import WhistleTestSupport

/// Joint operations (联合整治, issue 8) in 文昌湖区: the office schedules one led by the town
/// with the enforcement squad, the fire and market departments; clashes of the squad are refused,
/// a participant that never confirms climbs the acknowledge ladder, and the lead's outcomes move
/// the issues' tasks.
@Suite("Joint operations")
struct JointOperationTests {
    let logger = TestPostgres.logger
    let zone = TimeZone(identifier: "Asia/Shanghai")!
    let base = "/v1/tenants/wenchanghu"

    func at(_ text: String) -> Date { ISOMoment.parse(text, in: zone)! }

    func call(
        _ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, token: String, _ body: String? = nil,
        expect status: HTTPResponse.Status = .ok
    ) async throws -> [String: Any] {
        try await client.execute(
            uri: uri, method: method, headers: [.authorization: "Bearer \(token)"], body: body.map { ByteBuffer(string: $0) }
        ) { response in
            #expect(response.status == status, "\(method) \(uri): \(String(buffer: response.body))")
            return (try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]) ?? [:]
        }
    }

    func report(_ client: some TestClientProtocol, token: String, _ description: String) async throws -> Int64 {
        let issue = try await call(
            client, .post, "\(base)/issues", token: token,
            #"{"channel": "inspection", "compound": "sample-town-1-c1-a", "type": "sb-1", "description": "\#(description)"}"#, expect: .created)
        return try #require(issue["id"] as? NSNumber).int64Value
    }

    func tasks(_ client: some TestClientProtocol, issue: Int64, token: String) async throws -> [(department: String, state: String, measures: String?)] {
        let issue = try await call(client, .get, "\(base)/issues/\(issue)", token: token)
        return (issue["tasks"] as? [[String: Any]] ?? []).map {
            ($0["department"] as? String ?? "", $0["state"] as? String ?? "", $0["measures"] as? String)
        }
    }

    func plan(
        title: String = "3栋周边联合整治", lead: String = "sample-town-1-gov", participants: [String], issues: [Int64] = [], starts: String, ends: String,
        confirmDue: String? = nil
    ) -> String {
        var plan: [String: Any] = [
            "title": title, "purpose": "清理占道经营、消防通道堆物，现场整改供水设施", "place": "3栋楼下", "compounds": ["sample-town-1-c1-a"],
            "lead": lead, "participants": participants, "issues": issues, "startsAt": starts, "endsAt": ends,
        ]
        plan["confirmDue"] = confirmDue
        return String(decoding: try! JSONSerialization.data(withJSONObject: plan), as: UTF8.self)
    }

    func rungs(_ db: TestDatabase, operation: Int64, department: String) async throws -> [String] {
        let rows = try await db.client.query(
            """
            SELECT rung FROM escalations WHERE operation_id = \(operation) AND department_code = \(department) AND track = 'confirm'
            ORDER BY escalation_id
            """, logger: logger)
        var result: [String] = []
        for try await rung in rows.decode(String.self) { result.append(rung) }
        return result
    }

    @Test("schedule, refuse a clash of the squad, warn of a department's overlap; a participant that never confirms is reminded then pressed; outcomes move the tasks")
    func wholeOperation() async throws {
        let db = try await TestPostgres.migratedDatabase("operations")
        try await db.loadSampleConfiguration()
        let clock = ManualClock(now: at("2026-09-28T09:00:00+08:00"))  // a Monday
        let routing = TenantRouting(try ConfigDirectory.read(TestPostgres.configDirectory))
        let office = try await db.token("wenchanghu", .office)
        let town = try await db.token("wenchanghu", .handler, department: "sample-town-1-gov")
        let squad = try await db.token("wenchanghu", .scheduler, department: "zhifa-squad-5")
        let fire = try await db.token("wenchanghu", .handler, department: "xiaofang")
        let market = try await db.token("wenchanghu", .handler, department: "shichang")
        let otherTown = try await db.token("wenchanghu", .handler, department: "sample-town-2-gov")
        let app = try testApplication(db, routing: routing, clock: { clock.now() })
        try await app.test(.router) { client in
            let daemon = await EscalationEndToEndTests.Daemon(db, routing: routing, clock: clock, node: "operations")
            let spot = try await report(client, token: office, "3栋二次供水水泵漏水")
            let later = try await report(client, token: office, "3栋供水管道老化，需更换")
            let refer = try await report(client, token: office, "3栋水箱被违规占用，需执法")

            // Bad plans: every field named, nothing written.
            var problem = try await call(
                client, .post, "\(base)/operations", token: office,
                #"{"title": "", "purpose": "x", "compounds": ["nowhere"], "lead": "sample-town-1-gov", "participants": ["nobody"], "startsAt": "2026-10-12T12:00:00+08:00", "endsAt": "2026-10-12T09:00:00+08:00"}"#,
                expect: .unprocessableContent)
            let fields = Set((problem["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String })
            #expect(fields.isSuperset(of: ["title", "compounds[0]", "participants[0]", "endsAt"]))
            _ = try await call(client, .post, "\(base)/operations", token: market, plan(participants: ["shichang"], starts: "2026-10-12T09:00:00+08:00", ends: "2026-10-12T12:00:00+08:00"), expect: .forbidden)
            #expect(try await db.scalar("SELECT count(*)::int FROM operations", as: Int.self) == 0)

            // The office schedules it for Monday 12 October, confirmations due Tuesday 29 September 17:30.
            let first = try await call(
                client, .post, "\(base)/operations", token: office,
                plan(participants: ["zhifa-squad-5", "xiaofang", "shichang"], issues: [spot, later, refer], starts: "2026-10-12T09:00:00+08:00",
                     ends: "2026-10-12T12:00:00+08:00", confirmDue: "2026-09-29T17:30:00+08:00"),
                expect: .created)
            let op = try #require(first["id"] as? NSNumber).int64Value
            let participants = first["participants"] as? [[String: Any]] ?? []
            #expect(participants.map { $0["department"] as? String ?? "" } == ["sample-town-1-gov", "shichang", "xiaofang", "zhifa-squad-5"])
            #expect(participants.allSatisfy { $0["state"] as? String == "invited" })
            #expect((first["warnings"] as? [String])?.isEmpty == true)
            #expect(try await db.scalar("SELECT count(*)::int FROM outbox WHERE event_kind = 'operation.scheduled'", as: Int.self) == 4)

            // The squad cannot be in two places at once: refused, naming the clash; nothing written.
            problem = try await call(
                client, .post, "\(base)/operations", token: office,
                plan(title: "夜市整治", lead: "sample-town-2-gov", participants: ["zhifa-squad-5"], starts: "2026-10-12T11:00:00+08:00", ends: "2026-10-12T13:00:00+08:00"),
                expect: .conflict)
            #expect(problem["type"] as? String == "https://whistle.example/problems/operation-clash")
            #expect((problem["detail"] as? String ?? "").contains("执法中队五队"))
            #expect((problem["detail"] as? String ?? "").contains("#\(op)"))
            #expect(try await db.scalar("SELECT count(*)::int FROM operations", as: Int.self) == 1)
            // Right after it ends is no clash; the fire department's overlap is only a warning.
            _ = try await call(
                client, .post, "\(base)/operations", token: office,
                plan(title: "夜市整治", lead: "sample-town-2-gov", participants: ["zhifa-squad-5"], starts: "2026-10-12T12:00:00+08:00", ends: "2026-10-12T14:00:00+08:00"),
                expect: .created)
            let overlap = try await call(
                client, .post, "\(base)/operations", token: otherTown,
                plan(title: "消防检查", lead: "sample-town-2-gov", participants: ["xiaofang"], starts: "2026-10-12T10:00:00+08:00", ends: "2026-10-12T11:00:00+08:00"),
                expect: .created)
            let warnings = overlap["warnings"] as? [String] ?? []
            #expect(warnings.count == 1 && warnings.first?.contains("#\(op)") == true)
            // Scheduled by the lead's own people: the lead's confirmation is given.
            #expect((overlap["participants"] as? [[String: Any]] ?? []).first { $0["lead"] as? Bool == true }?["state"] as? String == "confirmed")
            let cancelled = try await call(
                client, .post, "\(base)/operations/\(try #require(overlap["id"] as? NSNumber))/cancel", token: otherTown, #"{"reason": "消防救援支队另有任务"}"#)
            #expect(cancelled["state"] as? String == "cancelled")

            // Confirmations: the town, the squad and the fire department; the market department never does.
            _ = try await call(client, .post, "\(base)/operations/\(op)/confirm", token: town, "{}")
            _ = try await call(client, .post, "\(base)/operations/\(op)/confirm", token: squad, "{}")
            _ = try await call(client, .post, "\(base)/operations/\(op)/confirm", token: fire, "{}")
            _ = try await call(client, .post, "\(base)/operations/\(op)/confirm", token: fire, "{}", expect: .conflict)
            _ = try await call(client, .post, "\(base)/operations/\(op)/confirm", token: otherTown, "{}", expect: .forbidden)
            _ = try await call(client, .get, "\(base)/operations/\(op)", token: otherTown, expect: .forbidden)
            let own = try await call(client, .get, "\(base)/operations", token: squad)
            #expect(own["count"] as? Int == 2)

            clock.advance(to: at("2026-09-29T17:29:00+08:00"))
            await daemon.settle()
            #expect(try await rungs(db, operation: op, department: "shichang") == [])
            clock.advance(to: at("2026-09-29T17:30:00+08:00"))
            await daemon.settle()
            #expect(try await rungs(db, operation: op, department: "shichang") == ["remind"])
            #expect(try await rungs(db, operation: op, department: "xiaofang") == [])
            // A working day later, 催办 to the deputy in charge, with its deduction, like a task not reported in.
            clock.advance(to: at("2026-09-30T17:30:00+08:00"))
            await daemon.settle()
            #expect(try await rungs(db, operation: op, department: "shichang") == ["remind", "urge"])
            let escalations = try await call(client, .get, "\(base)/escalations?department=shichang", token: office)
            let urge = try #require((escalations["items"] as? [[String: Any]] ?? []).first { $0["rung"] as? String == "urge" })
            #expect(urge["track"] as? String == "confirm")
            #expect((urge["operation"] as? NSNumber)?.int64Value == op)
            #expect(urge["task"] == nil)
            #expect(urge["targets"] as? [String] == ["deputyInCharge", "liaison"])
            let told = try await db.scalar(
                "SELECT count(*)::int FROM outbox WHERE event_kind = 'operation.escalated' AND department_code = 'shichang' AND message::text LIKE '%联合整治报到%'",
                as: Int.self)
            #expect(told == 2)
            let deductions = try await call(client, .get, "\(base)/deductions?month=2026-09", token: office)
            let market0 = (deductions["departments"] as? [[String: Any]] ?? []).first { $0["department"] as? String == "shichang" }
            #expect((market0?["points"] as? NSNumber)?.doubleValue == 0.5)
            // Nothing more climbs once the ladder has run out (two rungs), and it fired once each.
            clock.advance(to: at("2026-10-09T09:00:00+08:00"))
            await daemon.settle()
            #expect(try await rungs(db, operation: op, department: "shichang") == ["remind", "urge"])

            // Outcomes before it begins: refused.
            let early = #"{"outcomes": [{"issue": \#(spot), "outcome": "rectifiedOnSpot", "note": "现场更换水泵密封件"}]}"#
            _ = try await call(client, .post, "\(base)/operations/\(op)/outcomes", token: town, early, expect: .conflict)
            clock.advance(to: at("2026-10-12T12:00:00+08:00"))
            // Only the lead (or the office) records them.
            _ = try await call(client, .post, "\(base)/operations/\(op)/outcomes", token: fire, early, expect: .forbidden)
            _ = try await call(
                client, .post, "\(base)/operations/\(op)/outcomes", token: town, #"{"outcomes": [{"issue": 999999, "outcome": "rectifiedOnSpot", "note": "x"}, {"issue": \#(later), "outcome": "followUp", "note": "x"}]}"#,
                expect: .unprocessableContent)
            let held = try await call(
                client, .post, "\(base)/operations/\(op)/outcomes", token: town,
                #"""
                {"outcomes": [
                  {"issue": \#(spot), "outcome": "rectifiedOnSpot", "note": "现场更换水泵密封件"},
                  {"issue": \#(later), "outcome": "followUp", "department": "xiaofang", "note": "管道更换涉及消防管网，由消防部门跟进"},
                  {"issue": \#(refer), "outcome": "referred", "department": "zhifa-squad-5", "note": "违规占用水箱，移交执法中队立案"}
                ]}
                """#)
            #expect(held["state"] as? String == "held")
            #expect((held["outcomes"] as? [[String: Any]] ?? []).map { $0["outcome"] as? String ?? "" } == ["rectifiedOnSpot", "followUp", "referred"])
            let rectified = try await tasks(client, issue: spot, token: office)
            #expect(rectified.map(\.state) == ["rectified"])
            #expect(rectified.first?.measures?.contains("联合整治 #\(op) 现场整改") == true)
            let followed = try await tasks(client, issue: later, token: office)
            #expect(Set(followed.map { "\($0.department):\($0.state)" }) == ["sample-town-1-gov:dispatched", "xiaofang:dispatched"])
            let referred = try await tasks(client, issue: refer, token: office)
            #expect(Set(referred.map { "\($0.department):\($0.state)" }) == ["sample-town-1-gov:withdrawn", "zhifa-squad-5:dispatched"])
            // Recorded once: the same issue again is refused; a late confirmation of a held operation too.
            _ = try await call(client, .post, "\(base)/operations/\(op)/outcomes", token: office, early, expect: .unprocessableContent)
            _ = try await call(client, .post, "\(base)/operations/\(op)/confirm", token: market, "{}", expect: .conflict)
            let timeline = try await client.execute(
                uri: "\(base)/issues/\(spot)/timeline", method: .get, headers: [.authorization: "Bearer \(office)"]
            ) { String(buffer: $0.body) }
            #expect(timeline.contains("issue.operationOutcome"))
            try await daemon.stop()
        }
    }

    @Test("a participant's confirmation ladder the calendar stopped at the year's end resumes once the calendar covers the next year")
    func confirmationCaughtUp() async throws {
        let db = try await TestPostgres.migratedDatabase("operations_catch_up")
        try await db.loadSampleConfiguration()
        let clock = ManualClock(now: at("2026-12-29T09:00:00+08:00"))
        let config = try ConfigDirectory.read(TestPostgres.configDirectory)
        let routing = TenantRouting(config)
        let office = try await db.token("wenchanghu", .office)
        let app = try testApplication(db, routing: routing, clock: { clock.now() })
        try await app.test(.router) { client in
            let daemon = await EscalationEndToEndTests.Daemon(db, routing: routing, clock: clock, node: "operations-stopped")
            let scheduled = try await call(
                client, .post, "\(base)/operations", token: office,
                plan(participants: ["shichang"], starts: "2026-12-31T14:00:00+08:00", ends: "2026-12-31T17:00:00+08:00", confirmDue: "2026-12-31T09:00:00+08:00"),
                expect: .created)
            let op = try #require(scheduled["id"] as? NSNumber).int64Value
            // Reminded at the deadline; the press a working day later falls in 2027, which the calendar does not cover.
            clock.advance(to: at("2026-12-31T09:00:00+08:00"))
            await daemon.settle()
            try await daemon.stop()
            #expect(try await rungs(db, operation: op, department: "shichang") == ["remind"])
            let stopped = try await db.scalar(
                "SELECT count(DISTINCT details->>'department')::int FROM events WHERE kind = 'escalation.unscheduled' AND subject_id = \(String(op))", as: Int.self)
            #expect(stopped == 2)  // the market department and the town (the lead, invited by the office)
            #expect(try await db.scalar("SELECT count(*)::int FROM timers WHERE kind = 'ladder.confirm' AND state = 'armed'", as: Int.self) == 0)

            let same = try await DeadlineCatchUp(database: db.database, routing: routing).run(now: clock.now())
            #expect(same.laddersResumed == 0 && same.stillUncounted == 2)

            let extended = TenantRouting(try extendedThrough2027(config))
            let caught = try await DeadlineCatchUp(database: db.database, routing: extended).run(now: clock.now())
            #expect(caught.laddersResumed == 2 && caught.stillUncounted == 0)
            let press = try extended.tenants["wenchanghu"]!.policy!.calendar.addWorkingDays(from: at("2026-12-31T09:00:00+08:00"), days: 1, in: zone)
            #expect(ISOMoment.format(press, in: zone).hasPrefix("2027-01-"))
            let armed = try await db.scalar(
                "SELECT due_at FROM timers WHERE kind = 'ladder.confirm' AND subject_id = \("\(op):shichang") AND state = 'armed'", as: Date.self)
            #expect(armed == press)
            let event = try await db.scalar(
                "SELECT details->>'rung' FROM events WHERE kind = 'escalation.rescheduled' AND subject_id = \(String(op)) AND details->>'department' = 'shichang'",
                as: String.self)
            #expect(event == "urge")
            #expect(try await DeadlineCatchUp(database: db.database, routing: extended).run(now: clock.now()) == DeadlineCatchUp.Outcome())

            // Confirming meanwhile stops the town's; the market department is pressed.
            let town = try await db.token("wenchanghu", .handler, department: "sample-town-1-gov")
            _ = try await call(client, .post, "\(base)/operations/\(op)/confirm", token: town, "{}")
            let resumed = await EscalationEndToEndTests.Daemon(db, routing: extended, clock: clock, node: "operations-resumed")
            clock.advance(to: press)
            await resumed.settle()
            #expect(try await rungs(db, operation: op, department: "shichang") == ["remind", "urge"])
            #expect(try await rungs(db, operation: op, department: "sample-town-1-gov") == ["remind"])
            try await resumed.stop()
        }
    }
}
