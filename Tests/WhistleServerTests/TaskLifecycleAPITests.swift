import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing
import WhistleCore
import WhistleStore
import WhistleTestSupport
@testable import WhistleServer

/// Tasks from dispatch to 销号 through the API, with the refusals, disputes, extensions and the return visit.
@Suite("HTTP API: the task lifecycle")
struct TaskLifecycleAPITests {
    let db: TestDatabase
    let routing: TenantRouting
    static let zone = TimeZone(identifier: "Asia/Shanghai")!
    static let now = ISOMoment.parse("2026-11-02T09:00:00+08:00", in: zone)!

    init() async throws {
        db = try await TestPostgres.migratedDatabase("lifecycle_api")
        try await db.loadSampleConfiguration()
        routing = TenantRouting(try ConfigDirectory.read(TestPostgres.configDirectory))
        admin = [.authorization: "Bearer \(try await db.token("yongning", .admin))"]
    }

    let admin: HTTPFields

    func app() throws -> some ApplicationProtocol {
        try testApplication(db, routing: routing, clock: { Self.now })
    }

    func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try responseJSON(buffer)
    }

    /// A yongning 治乱 issue (zl-2: lead 县住建局, responsible 县综合执法局 and the town): two or three tasks.
    func newIssue(_ client: some TestClientProtocol, type: String = "zl-2") async throws -> [String: Any] {
        try await client.execute(
            uri: "/v1/tenants/yongning/issues", method: .post, headers: admin,
            body: ByteBuffer(string: #"{"channel": "whistle", "compound": "yanghe-c1-a", "type": "\#(type)", "description": "物业擅自签订服务合同"}"#)
        ) { response in
            #expect(response.status == .created)
            return try json(response.body)
        }
    }

    func tasks(_ issue: [String: Any]) -> [[String: Any]] { issue["tasks"] as? [[String: Any]] ?? [] }

    @discardableResult
    func act(
        _ client: some TestClientProtocol, _ task: Int, _ action: String, _ body: String = "{}", expect status: HTTPResponse.Status = .ok
    ) async throws -> [String: Any] {
        try await client.execute(uri: "/v1/tenants/yongning/tasks/\(task)/\(action)", method: .post, headers: admin, body: ByteBuffer(string: body)) { response in
            #expect(response.status == status, "\(action) \(body): \(String(buffer: response.body))")
            return try json(response.body)
        }
    }

    func count(_ sql: String) async throws -> Int {
        try await db.scalar(PostgresQuery(unsafeSQL: sql), as: Int.self) ?? -1
    }

    @Test("dispatched → acknowledged → in progress → rectified → verified → closed; the issue closes with its last task; 不满意 reopens it")
    func happyPath() async throws {
        try await app().test(.router) { client in
            let issue = try await newIssue(client)
            let issueID = try #require(issue["id"] as? Int)
            let ids = tasks(issue).compactMap { $0["id"] as? Int }
            #expect(ids.count == 3)
            for id in ids {
                try await act(client, id, "acknowledge")
                try await act(client, id, "start")
                try await act(client, id, "rectify", #"{"measures": "已责令物业重新签订合同并公示"}"#)
                try await act(client, id, "verify")
            }
            #expect(try await count("SELECT count(*)::int FROM timers WHERE state = 'armed' AND subject_id IN (SELECT task_id::text FROM tasks WHERE issue_id = \(issueID))") == 0)
            var last: [String: Any] = [:]
            for id in ids { last = try await act(client, id, "close") }
            #expect(last["state"] as? String == "closed")
            #expect(tasks(last).allSatisfy { $0["state"] as? String == "closed" })
            try await client.execute(
                uri: "/v1/tenants/yongning/issues/\(issueID)/return-visit", method: .post, headers: admin, body: ByteBuffer(string: #"{"satisfaction": "不满意"}"#)
            ) { response in
                #expect(response.status == .ok)
                let reopened = try json(response.body)
                #expect(reopened["state"] as? String == "open")
                let live = tasks(reopened).filter { $0["state"] as? String == "dispatched" }
                #expect(live.compactMap { $0["department"] as? String }.sorted() == ["yanghe-gov", "zhifa", "zjj"])
                #expect(live.first { $0["department"] as? String == "zjj" }?["role"] as? String == "lead")
                #expect(live.allSatisfy { ($0["rule"] as? String) == "回访不满意，重新派单" })
            }
            try await client.execute(uri: "/v1/tenants/yongning/issues/\(issueID)/timeline", method: .get, headers: admin) { response in
                let kinds = (try json(response.body)["items"] as? [[String: Any]])?.compactMap { $0["kind"] as? String } ?? []
                for kind in ["task.acknowledge", "task.start", "task.rectify", "task.verify", "task.close", "issue.closed", "issue.returnVisit", "issue.reopened"] {
                    #expect(kinds.contains(kind), "\(kind)")
                }
            }
        }
    }

    @Test("an action the state does not allow is a 409 naming the state and the allowed actions; a rejection sends the task back")
    func refusals() async throws {
        try await app().test(.router) { client in
            let issue = try await newIssue(client)
            let id = try #require(tasks(issue).first?["id"] as? Int)
            let refused = try await act(client, id, "verify", expect: .conflict)
            #expect((refused["detail"] as? String)?.contains("任务当前为“已派单”(dispatched),不能“验收通过”;当前可执行:acknowledge（签收）、dispute（退单）") == true)
            try await act(client, id, "acknowledge")
            let missing = try await act(client, id, "rectify", "{}", expect: .unprocessableContent)
            #expect((missing["errors"] as? [[String: Any]])?.first?["field"] as? String == "measures")
            try await act(client, id, "rectify", #"{"measures": "已整改"}"#)
            try await act(client, id, "reject", #"{"reason": "现场复查仍未整改"}"#)
            let back = try await act(client, id, "rectify", #"{"measures": "二次整改"}"#)
            let task = try #require(tasks(back).first { $0["id"] as? Int == id })
            #expect(task["state"] as? String == "rectified")
            #expect(task["rejectionReason"] as? String == "现场复查仍未整改")
            try await act(client, id, "fly", expect: .notFound)
            try await act(client, 999_999, "acknowledge", expect: .notFound)
            try await act(client, id, "verify", #"{"rowVersion": 1}"#, expect: .conflict)
        }
    }

    @Test("two people acting on the same task at once: one wins, the other gets 409")
    func concurrentActions() async throws {
        try await app().test(.router) { client in
            let issue = try await newIssue(client)
            let id = try #require(tasks(issue).first?["id"] as? Int)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        try await client.execute(
                            uri: "/v1/tenants/yongning/tasks/\(id)/acknowledge", method: .post, headers: admin, body: ByteBuffer(string: #"{"rowVersion": 1}"#)
                        ) { $0.status }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.sorted { $0.code < $1.code } == [.ok, .conflict])
            #expect(try await count("SELECT count(*)::int FROM events WHERE kind = 'task.acknowledge' AND subject_id = '\(id)'") == 1)
        }
    }

    @Test("a dispute upheld withdraws the task, reassigns it and records the gap; one rejected sends it back unchanged")
    func disputes() async throws {
        try await app().test(.router) { client in
            let issue = try await newIssue(client)
            let zhifa = try #require(tasks(issue).first { $0["department"] as? String == "zhifa" }?["id"] as? Int)
            let town = try #require(tasks(issue).first { $0["department"] as? String == "yanghe-gov" }?["id"] as? Int)
            let due = tasks(issue).first { $0["id"] as? Int == town }?["rectifyDue"] as? String
            try await act(client, zhifa, "dispute", "{}", expect: .unprocessableContent)
            try await act(client, zhifa, "dispute", #"{"reason": "合同签订属行业监管，不属执法范围"}"#)
            let upheld = try await act(client, zhifa, "uphold-dispute", #"{"reassignTo": "scj", "note": "下一版清单将市监局列为责任部门"}"#)
            #expect(tasks(upheld).first { $0["id"] as? Int == zhifa }?["state"] as? String == "withdrawn")
            let reassigned = try #require(tasks(upheld).first { $0["department"] as? String == "scj" })
            #expect(reassigned["role"] as? String == "responsible")
            #expect((reassigned["rule"] as? String)?.contains("退单") == true)
            try await client.execute(uri: "/v1/tenants/yongning/gaps", method: .get, headers: admin) { response in
                let items = try #require(try json(response.body)["items"] as? [[String: Any]])
                #expect(items.first?["department"] as? String == "zhifa")
                #expect(items.first?["reassignedTo"] as? String == "scj")
                #expect(items.first?["issueType"] as? String == "zl-2")
            }
            try await act(client, town, "acknowledge")
            try await act(client, town, "dispute", #"{"reason": "不是本镇的事"}"#)
            let rejected = try await act(client, town, "reject-dispute", #"{"reason": "属地管理职责"}"#)
            let back = try #require(tasks(rejected).first { $0["id"] as? Int == town })
            #expect(back["state"] as? String == "acknowledged")
            #expect(back["rectifyDue"] as? String == due)
            try await act(client, town, "uphold-dispute", expect: .conflict)
        }
    }

    @Test("an approved extension moves the deadline and its timer and keeps who approved it; a denial keeps the deadline")
    func extensions() async throws {
        try await app().test(.router) { client in
            let issue = try await newIssue(client)
            let id = try #require(tasks(issue).first?["id"] as? Int)
            let due = try #require(tasks(issue).first?["rectifyDue"] as? String)
            try await act(client, id, "acknowledge")
            try await act(client, id, "request-extension", #"{"reason": "需业主大会表决", "until": "2026-11-05T09:00:00+08:00"}"#, expect: .unprocessableContent)
            try await act(client, id, "approve-extension", expect: .conflict)
            try await act(client, id, "request-extension", #"{"reason": "需业主大会表决", "until": "2026-11-30T17:00:00+08:00"}"#)
            try await act(client, id, "request-extension", #"{"reason": "again", "until": "2026-12-01T17:00:00+08:00"}"#, expect: .conflict)
            let approved = try await act(client, id, "approve-extension")
            let task = try #require(tasks(approved).first { $0["id"] as? Int == id })
            #expect(task["rectifyDue"] as? String == "2026-11-30T17:00:00+08:00")
            #expect(task["originalRectifyDue"] as? String == due)
            #expect(task["extensions"] as? Int == 1)
            let timer = try await db.scalar(
                "SELECT to_char(due_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') FROM timers WHERE subject_id = \(String(id)) AND kind = 'rectify' AND state = 'armed'",
                as: String.self)
            #expect(timer == "2026-11-30 17:00")
            let approver = try await db.scalar("SELECT extension_approved_by FROM tasks WHERE task_id = \(Int64(id))", as: String.self)
            #expect(approver?.hasPrefix("credential:") == true)
            #expect(approver?.hasSuffix("测试(管理员)") == true)
            try await act(client, id, "request-extension", #"{"reason": "再延", "until": "2026-12-20T17:00:00+08:00"}"#)
            let denied = try await act(client, id, "deny-extension", #"{"reason": "不予延期"}"#)
            #expect(tasks(denied).first { $0["id"] as? Int == id }?["rectifyDue"] as? String == "2026-11-30T17:00:00+08:00")
            #expect(tasks(denied).first { $0["id"] as? Int == id }?["pendingExtension"] == nil)
        }
    }
}
