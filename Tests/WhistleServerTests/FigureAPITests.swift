import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing
import WhistleCore
import WhistleStore
import WhistleTestSupport

/// The figures, rankings, campaigns' progress and the monthly report (issue 7), checked against a
/// fixture counted by hand: yongning, November 2026, a 24-hour acknowledge limit and 5 working
/// days to rectify.
///
/// | issue | compound | what happens | tasks (zjj, zhifa, town) |
/// | --- | --- | --- | --- |
/// | I1 | yanghe-c1-a | all report in within the hour, rectify on day 2, verified, closed, 满意 | 3 in time, 3 rectified in time |
/// | I2 | yanghe-c1-a | zjj reports in after 30 h and rectifies late; zhifa never reports in; the town reports in only | 1 in time |
/// | I3 | wangyuan-c1-a | zjj reports in within the hour; nothing else | 1 in time |
/// | I4 | yanghe-c1-b | no type: waits for triage | none |
/// | I5 | yanghe-c1-a | merged into I1 | withdrawn |
/// | I6 | yanghe-c1-a | reported in October | outside the month |
@Suite("Figures, rankings and campaigns against a hand-counted fixture")
struct FigureAPITests {
    static let zone = TimeZone(identifier: "Asia/Shanghai")!
    let logger = TestPostgres.logger
    let base = "/v1/tenants/yongning"
    static let office = "office"

    static func at(_ text: String) -> Date { ISOMoment.parse(text, in: zone)! }

    /// yongning with an acknowledge limit of 24 hours and a campaign of our own.
    static func routing() throws -> TenantRouting {
        var config = try ConfigDirectory.read(TestPostgres.configDirectory)
        let index = try #require(config.tenants.firstIndex { $0.directory.tenant.code == "yongning" })
        config.tenants[index].deadlines.defaults.acknowledgeHours = 24
        config.tenants[index].campaigns = try CampaignPlan.parse(
            """
            campaigns:
              - code: yn-test
                name: 物业提升测试行动
                from: 2026-10-01
                to: 2026-12-31
                phases:
                  - {name: 排查阶段, from: 2026-10-01, to: 2026-10-31}
                  - {name: 整治阶段, to: 2026-12-31}
                targets:
                  - {code: rate, name: 问题整改率, rate: rectification, atLeast: 0.9}
                  - {code: showcase, name: 物业服务示范小区, compounds: 2, of: 7}
                monthlyReport: {day: 10, at: "09:00"}
            """, file: "campaigns.yaml")
        return TenantRouting(config)
    }

    func send(
        _ client: some TestClientProtocol, _ uri: String, method: HTTPRequest.Method = .post, token: String, _ body: String = "{}",
        expect status: HTTPResponse.Status = .ok
    ) async throws -> [String: Any] {
        try await client.execute(uri: uri, method: method, headers: [.authorization: "Bearer \(token)"], body: ByteBuffer(string: body)) { response in
            #expect(response.status == status, "\(uri): \(String(buffer: response.body))")
            return (try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]) ?? [:]
        }
    }

    func report(_ client: some TestClientProtocol, token: String, compound: String, type: String?, at: String? = nil) async throws -> (Int64, [String: Int64]) {
        let typeField = type.map { #""type": "\#($0)", "# } ?? ""
        let reported = at.map { #""reportedAt": "\#($0)", "# } ?? ""
        let issue = try await send(
            client, "\(base)/issues", token: token, #"{"channel": "whistle", "compound": "\#(compound)", \#(typeField)\#(reported)"description": "物业擅自签订服务合同"}"#,
            expect: .created)
        var tasks: [String: Int64] = [:]
        for task in issue["tasks"] as? [[String: Any]] ?? [] {
            tasks[task["department"] as? String ?? ""] = (task["id"] as? NSNumber)?.int64Value
        }
        return (try #require(issue["id"] as? NSNumber).int64Value, tasks)
    }

    /// The fixture of the table above; returns I2's zjj task.
    func fixture(_ client: some TestClientProtocol, _ clock: ManualClock, _ db: TestDatabase, admin: String) async throws -> Int64 {
        let (i1, t1) = try await report(client, token: admin, compound: "yanghe-c1-a", type: "zl-2")
        let (_, t2) = try await report(client, token: admin, compound: "yanghe-c1-a", type: "zl-2")
        let (_, t3) = try await report(client, token: admin, compound: "wangyuan-c1-a", type: "zl-2")
        _ = try await report(client, token: admin, compound: "yanghe-c1-b", type: nil)
        let (i5, _) = try await report(client, token: admin, compound: "yanghe-c1-a", type: "zl-2")
        _ = try await report(client, token: admin, compound: "yanghe-c1-a", type: "zl-2", at: "2026-10-15T10:00:00+08:00")
        #expect(t1.keys.sorted() == ["yanghe-gov", "zhifa", "zjj"] && t3.keys.sorted() == ["wangyuan-gov", "zhifa", "zjj"])
        _ = try await send(client, "\(base)/issues/\(i5)/merge", token: admin, #"{"into": \#(i1)}"#)
        func act(_ task: Int64?, _ action: String, _ body: String = "{}") async throws {
            _ = try await send(client, "\(base)/tasks/\(try #require(task))/\(action)", token: admin, body)
        }
        clock.advance(by: 3600)  // 10:00, within the 24 hours
        for task in t1.values { try await act(task, "acknowledge") }
        try await act(t2["yanghe-gov"], "acknowledge")
        try await act(t3["zjj"], "acknowledge")
        clock.advance(by: 29 * 3600)  // 11-03 15:00: 30 hours after dispatch, late
        try await act(t2["zjj"], "acknowledge")
        clock.advance(by: 18 * 3600)  // 11-04 09:00: well before the deadline of 11-09 09:00
        for task in t1.values {
            try await act(task, "rectify", #"{"measures": "已责令整改并恢复原状"}"#)
            try await act(task, "verify")
            try await act(task, "close")
        }
        _ = try await send(client, "\(base)/issues/\(i1)/return-visit", token: admin, #"{"satisfaction": "满意"}"#)
        clock.advance(by: 6 * 86400)  // 11-10 09:00: after the deadline
        try await act(t2["zjj"], "rectify", #"{"measures": "逾期后整改"}"#)
        clock.advance(by: 2 * 86400)  // 11-12 09:00, when the figures are read
        // Three rungs fired on I2's zjj task: a reminder, an urge of 0.5 points, and a notice still in draft (3 points that do not count yet).
        let task = try #require(t2["zjj"])
        for (rung, action, points, state) in [("remind", "reminder", 0, "issued"), ("urge", "urge", 0.5, "issued"), ("notice", "publicNotice", 3, "draft")] {
            _ = try await db.client.query(
                """
                INSERT INTO escalations (tenant_id, task_id, issue_id, department_code, track, rung, action, due_at, fired_at, deduction, targets, state)
                SELECT tenant_id, task_id, issue_id, department_code, 'rectify', \(rung), \(action), now(), now(), \(points), '{handler}', \(state)
                FROM tasks WHERE task_id = \(task)
                """, logger: logger)
        }
        return task
    }

    func group(_ figures: [String: Any], _ key: String) -> [String: Any] {
        (figures["groups"] as? [[String: Any]] ?? []).first { $0["key"] as? String == key } ?? [:]
    }

    func counts(_ group: [String: Any]) -> [String: Int] {
        (group["counts"] as? [String: Any] ?? [:]).compactMapValues { ($0 as? NSNumber)?.intValue }
    }

    func rate(_ group: [String: Any], _ kind: String) -> String {
        let rates = group["rates"] as? [[String: Any]] ?? []
        guard let rate = rates.first(where: { $0["kind"] as? String == kind }) else { return "?" }
        let value = (rate["numerator"] as? NSNumber)?.intValue ?? -1
        let of = (rate["denominator"] as? NSNumber)?.intValue ?? -1
        return "\(value)/\(of)"
    }

    func get(_ client: some TestClientProtocol, _ uri: String, token: String, expect status: HTTPResponse.Status = .ok) async throws -> [String: Any] {
        try await send(client, uri, method: .get, token: token, expect: status)
    }

    @Test("the month's figures by department, territory, type and month match the hand count; rankings and the CSV follow them")
    func figures() async throws {
        let db = try await TestPostgres.migratedDatabase("figures_fixture")
        try await db.loadSampleConfiguration()
        let routing = try Self.routing()
        let admin = try await db.token("yongning", .admin)
        let clock = ManualClock(now: Self.at("2026-11-02T09:00:00+08:00"))
        let app = try testApplication(db, routing: routing, clock: { clock.now() })
        try await app.test(.router) { client in
            _ = try await fixture(client, clock, db, admin: admin)
            let month = "month=2026-11"

            // The whole month, by territory (compounds rolled up) and in total.
            let towns = try await get(client, "\(base)/figures?by=territory&\(month)", token: admin)
            let total = try #require(towns["total"] as? [String: Any])
            let expected: [String: Int] = [
                "received": 4, "issuesRectified": 1, "issuesClosed": 1, "returnVisits": 1, "satisfied": 1, "tasks": 9, "acknowledgeDecided": 9,
                "acknowledgedInTime": 5, "tasksRectified": 4, "rectifiedInTime": 3, "tasksVerified": 3, "tasksClosed": 3, "overdueNow": 5,
            ]
            #expect(counts(total).filter { expected[$0.key] != nil } == expected)
            #expect(rate(total, "response") == "5/9" && rate(total, "rectification") == "1/4" && rate(total, "taskRectification") == "4/9")
            #expect(rate(total, "onTimeRectification") == "3/4" && rate(total, "closure") == "1/4" && rate(total, "satisfaction") == "1/1")
            #expect((total["counts"] as? [String: Any])?["escalations"] as? [String: Int] == ["reminder": 1, "urge": 1, "publicNotice": 1])
            #expect(((total["counts"] as? [String: Any])?["deductions"] as? NSNumber)?.doubleValue == 0.5)
            #expect(counts(group(towns, "yanghe"))["received"] == 3 && counts(group(towns, "yanghe"))["tasks"] == 6)
            #expect(counts(group(towns, "wangyuan"))["received"] == 1 && counts(group(towns, "wangyuan"))["overdueNow"] == 3)
            #expect(counts(group(towns, "lijun"))["received"] == 0)
            #expect((towns["definitions"] as? [[String: Any]])?.count == FigureRate.Kind.allCases.count)

            // By department: an issue counts once for each department with a task on it.
            let departments = try await get(client, "\(base)/figures?by=department&\(month)", token: admin)
            let zjj = group(departments, "zjj")
            #expect(counts(zjj)["received"] == 3 && counts(zjj)["tasks"] == 3 && counts(zjj)["overdueNow"] == 1)
            #expect(rate(zjj, "response") == "2/3" && rate(zjj, "taskRectification") == "2/3" && rate(zjj, "onTimeRectification") == "1/2")
            #expect(rate(group(departments, "zhifa"), "response") == "1/3" && counts(group(departments, "zhifa"))["overdueNow"] == 2)
            #expect(rate(group(departments, "yanghe-gov"), "taskRectification") == "1/2" && counts(group(departments, "yanghe-gov"))["received"] == 2)
            #expect(rate(group(departments, "wangyuan-gov"), "response") == "0/1")

            // By type (the untyped issue waits for triage) and by month (October's issue apart).
            let types = try await get(client, "\(base)/figures?by=type&\(month)", token: admin)
            #expect(counts(group(types, "zl-2"))["received"] == 3 && counts(group(types, ""))["received"] == 1)
            #expect((group(types, "") ["name"] as? String) == "未分类（待分派）")
            let months = try await get(client, "\(base)/figures?by=month&from=2026-10-01&to=2026-11-30", token: admin)
            #expect((months["groups"] as? [[String: Any]])?.compactMap { $0["key"] as? String } == ["2026-10", "2026-11"])
            #expect(counts(group(months, "2026-10"))["received"] == 1 && counts(group(months, "2026-11"))["received"] == 4)

            // Rankings follow the same counts.
            let ranking = try await get(client, "\(base)/rankings?of=department&\(month)", token: admin)
            let ranked = ranking["ranked"] as? [[String: Any]] ?? []
            #expect(ranked.compactMap { $0["key"] as? String } == ["zjj", "yanghe-gov", "zhifa", "wangyuan-gov"])
            #expect(ranked.compactMap { ($0["rank"] as? NSNumber)?.intValue } == [1, 2, 3, 4])
            #expect(ranking["title"] as? String == "任务整改率")
            let townRanking = try await get(client, "\(base)/rankings?of=territory&rate=response&\(month)", token: admin)
            #expect((townRanking["ranked"] as? [[String: Any]])?.compactMap { $0["key"] as? String } == ["yanghe", "wangyuan"])

            // The spreadsheet: BOM, a header with every rate, one row per department and the total.
            try await client.execute(uri: "\(base)/figures.csv?by=department&\(month)", method: .get, headers: [.authorization: "Bearer \(admin)"]) { response in
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                #expect(text.hasPrefix("\u{FEFF}代码,部门,受理问题"))
                #expect(text.contains("响应率,整改率,任务整改率,按期整改率,销号率,满意率"))
                #expect(text.contains("zjj,永宁县住房和城乡建设局,3,1,1,1,1,3,3,2,2,1,1,1,1,3,0.5,66.7%,33.3%,66.7%,50.0%,33.3%,100.0%\r\n"))
                // The departments' total counts each issue with a task once (I4 waits for triage: it has none).
                #expect(text.contains(",合计,3,1,1,1,1,9,9,5,4,3,3,3,5,3,0.5,55.6%,33.3%,44.4%,75.0%,33.3%,100.0%\r\n"))
            }

            // The same answers once the refresher has kept the days' cells (what remains live is
            // the days changed since and what falls due today).
            #expect(try await FigureRefresher(database: db.database, logger: logger).refresh(tenant: "yongning") > 0)
            let answered: [(String, [String: Any])] = [
                ("figures?by=territory&\(month)", towns), ("figures?by=department&\(month)", departments), ("figures?by=type&\(month)", types),
                ("figures?by=month&from=2026-10-01&to=2026-11-30", months), ("rankings?of=department&\(month)", ranking),
            ]
            for (uri, before) in answered {
                let after = try await get(client, "\(base)/\(uri)", token: admin)
                #expect(NSDictionary(dictionary: after).isEqual(to: before), "\(uri)")
            }
            #expect(try await db.scalar("SELECT count(*)::int8 FROM figure_cells WHERE tenant_id = 'yongning'", as: Int64.self) ?? 0 > 0)

            // Bad parameters are problems naming the field; a reporter sees no figures.
            for (query, field) in [("by=street", "by"), ("month=2026-13", "month"), ("from=yesterday", "from"), ("from=2026-11-05&to=2026-11-01", "to")] {
                let problem = try await get(client, "\(base)/figures?\(query)", token: admin, expect: .badRequest)
                #expect((problem["errors"] as? [[String: Any]])?.first?["field"] as? String == field)
            }
            _ = try await get(client, "\(base)/rankings?of=month", token: admin, expect: .badRequest)
            _ = try await get(client, "\(base)/rankings?rate=speed", token: admin, expect: .badRequest)
            let reporter = try await db.token("yongning", .reporter)
            _ = try await get(client, "\(base)/figures", token: reporter, expect: .forbidden)
        }
    }

    @Test("a campaign's progress, the office's record of compounds reaching a target, and its monthly report sent once on its day")
    func campaign() async throws {
        let db = try await TestPostgres.migratedDatabase("figures_campaign")
        try await db.loadSampleConfiguration()
        let routing = try Self.routing()
        let admin = try await db.token("yongning", .admin)
        let office = try await db.token("yongning", .office)
        let handler = try await db.token("yongning", .handler, department: "zjj")
        let clock = ManualClock(now: Self.at("2026-11-02T09:00:00+08:00"))
        let app = try testApplication(db, routing: routing, clock: { clock.now() })
        try await app.test(.router) { client in
            _ = try await fixture(client, clock, db, admin: admin)
            let campaign = "\(base)/campaigns/yn-test"
            var read = try await get(client, campaign, token: handler)
            var progress = try #require(read["progress"] as? [String: Any])
            #expect((progress["phase"] as? [String: Any])?["name"] as? String == "整治阶段")
            var targets = progress["targets"] as? [[String: Any]] ?? []
            // Since October: I1–I4 and I6 received, I1 rectified.
            #expect(targets.first?["summary"] as? String == "整改率 20.0%（1/5），目标 ≥ 90.0%")
            #expect(targets.map { $0["status"] as? String } == ["open", "open"])

            let attain = "\(campaign)/targets/showcase/compounds"
            _ = try await send(client, attain, token: office, #"{"compound": "yanghe-c1-a", "note": "验收达标"}"#, expect: .created)
            _ = try await send(client, attain, token: office, #"{"compound": "yanghe-c1-a"}"#, expect: .conflict)
            _ = try await send(client, attain, token: office, #"{"compound": "nowhere"}"#, expect: .unprocessableContent)
            _ = try await send(client, attain, token: handler, #"{"compound": "wangyuan-c1-a"}"#, expect: .forbidden)
            _ = try await send(client, "\(campaign)/targets/rate/compounds", token: office, #"{"compound": "wangyuan-c1-a"}"#, expect: .unprocessableContent)
            _ = try await send(client, "\(base)/campaigns/none", method: .get, token: office, expect: .notFound)
            _ = try await send(client, attain, token: office, #"{"compound": "wangyuan-c1-a"}"#, expect: .created)
            read = try await get(client, campaign, token: office)
            targets = (read["progress"] as? [String: Any])?["targets"] as? [[String: Any]] ?? []
            #expect(targets.last?["summary"] as? String == "已达标 2 / 目标 2 个小区（共 7 个）" && targets.last?["status"] as? String == "met")
            _ = try await send(client, "\(attain)/wangyuan-c1-a/withdraw", token: office, "{}", expect: .unprocessableContent)
            _ = try await send(client, "\(attain)/wangyuan-c1-a/withdraw", token: office, #"{"reason": "复查未达标"}"#)
            _ = try await send(client, "\(attain)/wangyuan-c1-a/withdraw", token: office, #"{"reason": "再撤"}"#, expect: .notFound)
            progress = try #require(try await get(client, campaign, token: office)["progress"] as? [String: Any])
            #expect((progress["targets"] as? [[String: Any]])?.last?["attained"] as? Int == 1)
            let records = try await get(client, "\(campaign)/attainments", token: office)["items"] as? [[String: Any]] ?? []
            #expect(records.count == 2 && records.first { $0["compound"] as? String == "wangyuan-c1-a" }?["withdrawReason"] as? String == "复查未达标")
            #expect(records.first { $0["compound"] as? String == "yanghe-c1-a" }?["withdrawnAt"] == nil)

            // October's report: not before the 10th at 09:00, then once, however many daemons run it.
            let early = ManualClock(now: Self.at("2026-11-10T08:59:59+08:00"))
            let second = try await TestDatabase.sameDatabase(as: db)
            let one = MonthlyReporter(database: db.database, routing: routing, clock: early, logger: logger)
            let other = MonthlyReporter(database: second.database, routing: routing, clock: early, logger: logger)
            #expect(await one.sendDue().isEmpty)
            early.advance(by: 1)
            async let first = one.sendDue()
            async let again = other.sendDue()
            let sent = await first + again
            #expect(sent == ["yongning/yn-test/2026-10"])
            #expect(await one.sendDue().isEmpty)
            #expect(try await db.scalar("SELECT count(*)::int FROM monthly_reports", as: Int.self) == 1)
            let rows = try await db.client.query(
                "SELECT department_code, message->>'title', message::text FROM outbox WHERE event_kind = 'report.monthly'", logger: logger)
            var outbox: [(String, String, String)] = []
            for try await row in rows.decode((String, String, String).self) { outbox.append(row) }
            #expect(outbox.map(\.0) == ["\(Self.office)"])
            #expect(outbox.first?.1 == "物业提升测试行动 2026年10月工作进展")
            #expect(outbox.first?.2.contains("受理问题 1 件") == true)
            #expect(outbox.first?.2.contains("当前阶段：整治阶段") == true)
            #expect(try await db.scalar("SELECT count(*)::int FROM events WHERE kind = 'report.monthlySent' AND subject_id = 'yn-test'", as: Int.self) == 1)
            let reports = try await get(client, "\(campaign)/reports", token: handler)["items"] as? [[String: Any]] ?? []
            #expect(reports.count == 1 && reports.first?["month"] as? String == "2026-10")
            let body = reports.first?["report"] as? [String: Any]
            #expect(((body?["total"] as? [String: Any])?["received"] as? NSNumber)?.intValue == 1)
            // November's comes on 12-10.
            early.advance(by: 30 * 86400)
            #expect(await one.sendDue() == ["yongning/yn-test/2026-11"])
        }
    }

    @Test("a monthly report the office has no channel for is still stored, and recorded as unsent with the reason")
    func unsentReport() async throws {
        let db = try await TestPostgres.migratedDatabase("figures_unsent")
        try await db.loadSampleConfiguration()
        var config = try ConfigDirectory.read(TestPostgres.configDirectory)
        let index = try #require(config.tenants.firstIndex { $0.directory.tenant.code == "yongning" })
        config.tenants[index].directory.defaultChannels = []
        for n in config.tenants[index].directory.departments.indices { config.tenants[index].directory.departments[n].channels = [] }
        config.tenants[index].campaigns = [
            CampaignPlan(code: "quiet", name: "无渠道测试", from: CivilDate(2026, 1, 1), to: CivilDate(2026, 12, 31), monthlyReport: .init(day: 3))
        ]
        let routing = TenantRouting(config)
        let clock = ManualClock(now: Self.at("2026-03-03T09:00:00+08:00"))
        let sent = await MonthlyReporter(database: db.database, routing: routing, clock: clock, logger: logger).sendDue()
        #expect(sent == ["yongning/quiet/2026-02"])
        #expect(try await db.scalar("SELECT count(*)::int FROM monthly_reports WHERE campaign = 'quiet'", as: Int.self) == 1)
        #expect(try await db.scalar("SELECT count(*)::int FROM outbox WHERE event_kind = 'report.monthly'", as: Int.self) == 0)
        #expect(
            try await db.scalar(
                "SELECT details->>'reason' FROM events WHERE kind = 'report.monthlyUnsent' AND subject_id = 'quiet'", as: String.self)
                == "工作专班办公室未配置通知渠道")
    }
}
