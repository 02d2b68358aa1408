import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing
import WhistleCore
import WhistleStore
import WhistleTestSupport
@testable import WhistleServer

@Suite("HTTP API: intake and reclassification")
struct IssueAPITests {
    let db: TestDatabase
    let routing: TenantRouting
    let config: ConfigDirectory
    /// 17:30 on the eve of the 2026 National Day holiday.
    static let now = ISOMoment.parse("2026-09-30T17:30:00+08:00", in: TimeZone(identifier: "Asia/Shanghai")!)!

    init() async throws {
        db = try await TestPostgres.migratedDatabase("issue_api")
        try await db.loadSampleConfiguration()
        config = try ConfigDirectory.read(TestPostgres.configDirectory)
        routing = TenantRouting(config)
        reporter = [.authorization: "Bearer \(try await db.token("yongning", .reporter))"]
        office = [.authorization: "Bearer \(try await db.token("yongning", .office))"]
    }

    /// A grid worker who reports (sees residents' data masked) and the campaign office.
    let reporter: HTTPFields
    let office: HTTPFields

    func app() throws -> some ApplicationProtocol {
        try testApplication(db, routing: routing, clock: { Self.now })
    }

    func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try responseJSON(buffer)
    }

    func count(_ sql: String) async throws -> Int {
        try await db.scalar(PostgresQuery(unsafeSQL: sql), as: Int.self) ?? -1
    }

    static let visit = #"""
        {"channel": "visit", "compound": "yanghe-c1-a", "building": "b1", "household": "1-302", "type": "zz-2",
         "description": "楼下消防通道被私家车堵死", "reporter": {"name": "张三", "phone": "13812345678"}, "details": {"visitor": "社区网格员"}}
        """#

    @Test("a visit report becomes an issue with one task per department, deadlines in working days, timers and events")
    func intake() async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: "/v1/tenants/yongning/issues", method: .post, headers: reporter, body: ByteBuffer(string: Self.visit)) { response in
                #expect(response.status == .created)
                let issue = try json(response.body)
                let id = try #require(issue["id"] as? Int)
                #expect(response.headers[.location] == "/v1/tenants/yongning/issues/\(id)")
                #expect(issue["state"] as? String == "open")
                #expect(issue["listVersion"] as? String == "2023-05")
                #expect(issue["typeName"] as? String == "住宅小区车辆乱停、乱放，占用消防车道、堵塞消防通道")
                #expect((issue["reporter"] as? [String: Any])?["name"] as? String == "张*")
                #expect((issue["reporter"] as? [String: Any])?["phone"] as? String == "138****5678")
                let tasks = try #require(issue["tasks"] as? [[String: Any]])
                #expect(tasks.compactMap { $0["department"] as? String } == ["xfdd", "gaj", "zhifa", "zjj", "yanghe-gov"])
                #expect(tasks.compactMap { $0["role"] as? String } == ["lead", "coLead", "coLead", "responsible", "responsible"])
                #expect(tasks.allSatisfy { $0["rectifyDue"] as? String == "2026-10-13T17:30:00+08:00" })
                #expect(tasks.allSatisfy { $0["listID"] as? Int == issue["listID"] as? Int })
                #expect((tasks.last?["rule"] as? String)?.contains("属地，即小区所在的杨和镇") == true)
                #expect(try await count("SELECT count(*)::int FROM timers WHERE subject_kind = 'task' AND kind = 'rectify' AND state = 'armed' AND subject_id IN (SELECT task_id::text FROM tasks WHERE issue_id = \(id))") == 5)
                #expect(try await count("SELECT count(*)::int FROM events WHERE kind = 'task.dispatched' AND details->>'issue' = '\(id)'") == 5)
                #expect(try await db.scalar("SELECT reporter->>'phone' FROM issues WHERE issue_id = \(id)", as: String.self) == "13812345678")
            }
        }
    }

    @Test("without a type the issue waits in the office's triage queue; classifying it dispatches the tasks")
    func triageThenClassify() async throws {
        try await app().test(.router) { client in
            var id = 0
            try await client.execute(
                uri: "/v1/tenants/yongning/issues", method: .post, headers: reporter,
                body: ByteBuffer(string: #"{"channel": "hotline", "compound": "yanghe-c1-a", "description": "小区里有人私搭彩钢房"}"#)
            ) { response in
                #expect(response.status == .created)
                let issue = try json(response.body)
                id = try #require(issue["id"] as? Int)
                #expect(issue["state"] as? String == "triage")
                #expect((issue["triage"] as? [String: Any])?["reason"] as? String == "no-type")
                #expect((issue["tasks"] as? [Any])?.isEmpty == true)
            }
            try await client.execute(
                uri: "/v1/tenants/yongning/issues/\(id)/classify", method: .post, headers: office, body: ByteBuffer(string: #"{"type": "zz-2", "rowVersion": 1}"#)
            ) { response in
                #expect(response.status == .ok)
                let issue = try json(response.body)
                #expect(issue["state"] as? String == "open")
                #expect(issue["rowVersion"] as? Int == 2)
                #expect((issue["tasks"] as? [[String: Any]])?.count == 5)
            }
            // Reclassify: 私搭乱建 (lead 综合执法局 then 自然资源局; responsible 住建局 and the town).
            try await client.execute(
                uri: "/v1/tenants/yongning/issues/\(id)/classify", method: .post, headers: office, body: ByteBuffer(string: #"{"type": "zz-4", "rowVersion": 1}"#)
            ) { response in
                #expect(response.status == .conflict)
                #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
            }
            let before = try await db.scalar("SELECT task_id FROM tasks WHERE issue_id = \(id) AND department_code = 'zhifa'", as: Int64.self)
            try await client.execute(
                uri: "/v1/tenants/yongning/issues/\(id)/classify", method: .post, headers: office, body: ByteBuffer(string: #"{"type": "zz-4", "rowVersion": 2}"#)
            ) { response in
                #expect(response.status == .ok)
                let issue = try json(response.body)
                #expect(issue["type"] as? String == "zz-4")
                let tasks = try #require(issue["tasks"] as? [[String: Any]])
                let live = tasks.filter { $0["state"] as? String != "withdrawn" }
                #expect(live.compactMap { $0["department"] as? String } == ["zhifa", "zrzy", "zjj", "yanghe-gov"])
                #expect(live.compactMap { $0["role"] as? String } == ["lead", "coLead", "responsible", "responsible"])
                #expect(tasks.filter { $0["state"] as? String == "withdrawn" }.compactMap { $0["department"] as? String }.sorted() == ["gaj", "xfdd"])
                // The department that stays keeps its task (and so its history).
                #expect(Int64(live.first?["id"] as? Int ?? 0) == before)
            }
            #expect(try await count("SELECT count(*)::int FROM timers WHERE state = 'cancelled' AND kind = 'rectify' AND subject_id IN (SELECT task_id::text FROM tasks WHERE issue_id = \(id) AND state = 'withdrawn')") == 2)
            try await client.execute(uri: "/v1/tenants/yongning/issues/\(id)/timeline", method: .get, headers: reporter) { response in
                #expect(response.status == .ok)
                let items = try #require(try json(response.body)["items"] as? [[String: Any]])
                let kinds = items.compactMap { $0["kind"] as? String }
                #expect(kinds.first == "issue.received")
                #expect(kinds[1] == "issue.triaged")
                #expect(kinds.filter { $0 == "issue.reclassified" }.count == 2)
                #expect(kinds.filter { $0 == "task.withdrawn" }.count == 2)
                #expect(kinds.filter { $0 == "task.roleChanged" }.count == 1)
                #expect(kinds.filter { $0 == "task.dispatched" }.count == 6)
            }
            try await client.execute(
                uri: "/v1/tenants/yongning/issues/\(id)/classify", method: .post, headers: office, body: ByteBuffer(string: #"{"type": "ufo"}"#)
            ) { response in
                #expect(response.status == .unprocessableContent)
                let errors = try json(response.body)["errors"] as? [[String: Any]]
                #expect(errors?.first?["field"] as? String == "type")
            }
        }
    }

    @Test("an Idempotency-Key makes a retry return the same issue; the same key with another body is a 422")
    func idempotency() async throws {
        try await app().test(.router) { client in
            var first = 0
            for attempt in 0..<2 {
                try await client.execute(
                    uri: "/v1/tenants/yongning/issues", method: .post, headers: [.init("Idempotency-Key")!: "visit-0001", .authorization: reporter[.authorization]!],
                    body: ByteBuffer(string: Self.visit)
                ) { response in
                    #expect(response.status == (attempt == 0 ? .created : .ok))
                    let id = try #require(try json(response.body)["id"] as? Int)
                    if attempt == 0 { first = id } else { #expect(id == first) }
                }
            }
            let issues = try await count("SELECT count(*)::int FROM issues")
            try await client.execute(
                uri: "/v1/tenants/yongning/issues", method: .post, headers: [.init("Idempotency-Key")!: "visit-0001", .authorization: reporter[.authorization]!],
                body: ByteBuffer(string: Self.visit.replacingOccurrences(of: "1-302", with: "1-303"))
            ) { response in
                #expect(response.status == .unprocessableContent)
                let errors = try json(response.body)["errors"] as? [[String: Any]]
                #expect(errors?.first?["field"] as? String == "Idempotency-Key")
            }
            #expect(try await count("SELECT count(*)::int FROM issues") == issues)
        }
    }

    @Test("bad input is a 4xx problem naming the field, and nothing is written")
    func badInput() async throws {
        let issues = try await count("SELECT count(*)::int FROM issues")
        let events = try await count("SELECT count(*)::int FROM events")
        try await app().test(.router) { client in
            let cases: [(String, HTTPResponse.Status, [String])] = [
                ("{not json", .badRequest, []),
                (#"{"channel": 3}"#, .badRequest, []),
                (#"{"channel": "fax", "compound": "yanghe-c1-a", "description": "x"}"#, .unprocessableContent, ["channel"]),
                (#"{"channel": "app"}"#, .unprocessableContent, ["compound", "description"]),
                (#"{"channel": "app", "compound": "nowhere", "description": "x"}"#, .unprocessableContent, ["compound"]),
                (#"{"channel": "app", "compound": "yanghe-c1-a", "building": "b9", "description": "x"}"#, .unprocessableContent, ["building"]),
                (#"{"channel": "app", "compound": "yanghe-c1-a", "description": "   "}"#, .unprocessableContent, ["description"]),
                (#"{"channel": "app", "compound": "yanghe-c1-a", "description": "x", "reportedAt": "2099-01-01T00:00:00+08:00"}"#, .unprocessableContent, ["reportedAt"]),
                (#"{"channel": "app", "compound": "yanghe-c1-a", "description": "x", "reportedAt": "soon"}"#, .unprocessableContent, ["reportedAt"]),
                (#"{"channel": "app", "compound": "yanghe-c1-a", "description": "x", "reporter": {"phone": "call me"}}"#, .unprocessableContent, ["reporter.phone"]),
            ]
            for (body, status, fields) in cases {
                try await client.execute(uri: "/v1/tenants/yongning/issues", method: .post, headers: reporter, body: ByteBuffer(string: body)) { response in
                    #expect(response.status == status, "\(body)")
                    #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
                    if !fields.isEmpty {
                        let named = (try json(response.body)["errors"] as? [[String: Any]])?.compactMap { $0["field"] as? String }
                        #expect(named == fields, "\(body)")
                    }
                }
            }
            try await client.execute(uri: "/v1/tenants/yongning/issues/0", method: .get, headers: reporter) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/v1/tenants/yongning/issues/999999", method: .get, headers: reporter) { response in
                #expect(response.status == .notFound)
            }
        }
        #expect(try await count("SELECT count(*)::int FROM issues") == issues)
        #expect(try await count("SELECT count(*)::int FROM events") == events)
    }

    @Test("tasks keep the list text that routed them when a changed text is loaded")
    func routedHistory() async throws {
        let store = IssueStore(database: db.database)
        let tenant = try #require(routing.tenants["suixi"])
        let intake = IssueIntake(channel: .inspection, compound: "kaifaqu-c1-a", type: "rw-06", description: "小区内违建", reportedAt: Self.now)
        let (first, _) = try await store.intake(intake, tenant: "suixi", routing: tenant, now: Self.now, actor: "test")
        var files = try #require(config.tenant("suixi"))
        files.listTexts["2023-01"]?.text += "\n# 修订\n"
        let loaded = try await LiabilityStore(database: db.database).load([files])
        #expect(loaded.first?.outcome == .changedInPlace)
        let (second, _) = try await store.intake(intake, tenant: "suixi", routing: tenant, now: Self.now, actor: "test")
        #expect(second.listID == loaded.first?.listID)
        let reread = try #require(try await store.issue(first.id, tenant: "suixi", zone: tenant.timeZone))
        #expect(reread.listID == first.listID)
        #expect(reread.listID != second.listID)
        #expect(reread.tasks.allSatisfy { $0.listID == first.listID })
    }

    @Test("a report like an open one is flagged; the office merges it and its reporter follows the other's outcome")
    func duplicates() async throws {
        let otherReporter: HTTPFields = [.authorization: "Bearer \(try await db.token("yongning", .reporter))"]
        try await app().test(.router) { client in
            func report(_ body: String, as headers: HTTPFields) async throws -> [String: Any] {
                try await client.execute(uri: "/v1/tenants/yongning/issues", method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
                    #expect(response.status == .created)
                    return try json(response.body)
                }
            }
            let first = try await report(
                #"{"channel": "app", "compound": "yanghe-c1-b", "type": "zz-1", "description": "垃圾桶满了没人清", "reportedAt": "2026-09-25T08:00:00+08:00"}"#, as: reporter)
            let second = try await report(
                #"{"channel": "hotline", "compound": "yanghe-c1-b", "type": "zz-1", "description": "小区垃圾没分类", "reportedAt": "2026-09-30T08:00:00+08:00"}"#, as: otherReporter)
            let firstID = try #require(first["id"] as? Int)
            let secondID = try #require(second["id"] as? Int)
            #expect(second["possibleDuplicates"] as? [Int] == [firstID])
            // Outside the window (7 days) or of another type: no flag.
            _ = try await report(
                #"{"channel": "app", "compound": "yanghe-c1-b", "type": "zz-2", "description": "车堵消防通道", "reportedAt": "2026-09-01T08:00:00+08:00"}"#, as: reporter)
            let outside = try await report(
                #"{"channel": "app", "compound": "yanghe-c1-b", "type": "zz-2", "description": "车又堵了", "reportedAt": "2026-09-30T08:00:00+08:00"}"#, as: reporter)
            #expect(outside["possibleDuplicates"] as? [Int] == [])
            let late = try await report(
                #"{"channel": "app", "compound": "yanghe-c1-b", "type": "zz-1", "description": "又满了", "reportedAt": "2026-09-30T09:00:00+08:00"}"#, as: reporter)
            #expect((late["possibleDuplicates"] as? [Int])?.sorted() == [firstID, secondID])
            let other = try await report(
                #"{"channel": "app", "compound": "yanghe-c1-b", "type": "zz-5", "description": "遛狗不拴绳", "reportedAt": "2026-09-30T09:00:00+08:00"}"#, as: reporter)
            #expect((other["possibleDuplicates"] as? [Int]) == [])
            // The same household and type, however long ago.
            let household1 = try await report(
                #"{"channel": "visit", "compound": "yanghe-c1-a", "building": "b2", "household": "2-101", "type": "zz-3", "description": "楼下树被砍", "reportedAt": "2026-06-01T08:00:00+08:00"}"#, as: reporter)
            let household2 = try await report(
                #"{"channel": "visit", "compound": "yanghe-c1-a", "building": "b2", "household": "2-101", "type": "zz-3", "description": "树又被砍", "reportedAt": "2026-09-29T08:00:00+08:00"}"#, as: reporter)
            #expect(household2["possibleDuplicates"] as? [Int] == [try #require(household1["id"] as? Int)])
            // Without a type: the same household's untyped reports only, however recent the others.
            let untyped1 = try await report(
                #"{"channel": "visit", "compound": "yanghe-c1-a", "household": "2-102", "description": "门口有异味", "reportedAt": "2026-09-20T08:00:00+08:00"}"#, as: reporter)
            let untyped2 = try await report(
                #"{"channel": "visit", "compound": "yanghe-c1-a", "household": "2-102", "description": "异味还在", "reportedAt": "2026-09-29T09:00:00+08:00"}"#, as: reporter)
            #expect(untyped2["possibleDuplicates"] as? [Int] == [try #require(untyped1["id"] as? Int)])
            let untyped3 = try await report(
                #"{"channel": "hotline", "compound": "yanghe-c1-a", "description": "小区里有异味", "reportedAt": "2026-09-29T10:00:00+08:00"}"#, as: reporter)
            #expect(untyped3["possibleDuplicates"] as? [Int] == [])

            try await client.execute(
                uri: "/v1/tenants/yongning/issues/\(secondID)/merge", method: .post, headers: reporter, body: ByteBuffer(string: #"{"into": \#(firstID)}"#)
            ) { #expect($0.status == .forbidden) }
            try await client.execute(
                uri: "/v1/tenants/yongning/issues/\(secondID)/merge", method: .post, headers: office, body: ByteBuffer(string: #"{"into": \#(secondID)}"#)
            ) { #expect($0.status == .unprocessableContent) }
            try await client.execute(
                uri: "/v1/tenants/yongning/issues/\(secondID)/merge", method: .post, headers: office, body: ByteBuffer(string: #"{"into": \#(firstID)}"#)
            ) { response in
                #expect(response.status == .ok)
                let merged = try json(response.body)
                #expect(merged["state"] as? String == "merged")
                #expect(merged["duplicateOf"] as? Int == firstID)
                #expect((merged["tasks"] as? [[String: Any]])?.allSatisfy { $0["state"] as? String == "withdrawn" } == true)
            }
            try await client.execute(
                uri: "/v1/tenants/yongning/issues/\(secondID)/merge", method: .post, headers: office, body: ByteBuffer(string: #"{"into": \#(firstID)}"#)
            ) { #expect($0.status == .conflict) }
            // The second reporter may now follow the first issue, which lists what was merged into it.
            try await client.execute(uri: "/v1/tenants/yongning/issues/\(firstID)", method: .get, headers: otherReporter) { response in
                #expect(response.status == .ok)
                let body = try json(response.body)
                #expect(body["mergedFrom"] as? [Int] == [secondID])
            }
            #expect(try await count("SELECT count(*)::int FROM timers WHERE state = 'armed' AND subject_id IN (SELECT task_id::text FROM tasks WHERE issue_id = \(secondID))") == 0)
        }
    }
}
