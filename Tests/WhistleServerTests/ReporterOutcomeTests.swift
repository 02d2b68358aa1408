import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing
import WhistleCore
import WhistleStore
import WhistleTestSupport

/// Reporters hear the outcome through the channel they came by (issue 4): a merge at once, the
/// close of the issue they were merged into, and an event where their channel reaches nobody.
@Suite("Reporters' outcomes")
struct ReporterOutcomeTests {
    let logger = TestPostgres.logger
    let base = "/v1/tenants/suixi"

    func call(
        _ client: some TestClientProtocol, _ uri: String, token: String, _ body: String = "{}", expect status: HTTPResponse.Status = .ok
    ) async throws -> [String: Any] {
        try await client.execute(uri: uri, method: .post, headers: [.authorization: "Bearer \(token)"], body: ByteBuffer(string: body)) { response in
            #expect(response.status == status, "\(uri): \(String(buffer: response.body))")
            return (try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]) ?? [:]
        }
    }

    func report(_ client: some TestClientProtocol, token: String, channel: String, name: String) async throws -> [String: Any] {
        try await call(
            client, "\(base)/issues", token: token,
            #"{"channel": "\#(channel)", "compound": "suixi-town-c1-a", "type": "rw-01", "description": "小区无物业服务", "reporter": {"name": "\#(name)", "phone": "13800001111"}}"#,
            expect: .created)
    }

    func outbox(_ db: TestDatabase) async throws -> [(department: String, title: String, text: String)] {
        let rows = try await db.client.query(
            "SELECT department_code, message->>'title', message::text FROM outbox WHERE event_kind = 'issue.reporterNotified' ORDER BY outbox_id",
            logger: logger)
        var result: [(String, String, String)] = []
        for try await row in rows.decode((String, String, String).self) { result.append(row) }
        return result
    }

    @Test("a merged report's reporter is told at once; on the close, the reporters of both hear it with the measures; a channel with no way back is an event")
    func outcomes() async throws {
        let db = try await TestPostgres.migratedDatabase("reporter_outcomes")
        try await db.loadSampleConfiguration()
        let routing = TenantRouting(try ConfigDirectory.read(TestPostgres.configDirectory))
        let office = try await db.token("suixi", .office)
        let app = try testApplication(db, routing: routing)
        try await app.test(.router) { client in
            let first = try await report(client, token: office, channel: "hotline", name: "张三")
            let firstID = try #require(first["id"] as? NSNumber).int64Value
            let second = try #require(try await report(client, token: office, channel: "app", name: "李四")["id"] as? NSNumber).int64Value
            let third = try #require(try await report(client, token: office, channel: "whistle", name: "王社区")["id"] as? NSNumber).int64Value
            _ = try await call(client, "\(base)/issues/\(second)/merge", token: office, #"{"into": \#(firstID)}"#)
            _ = try await call(client, "\(base)/issues/\(third)/merge", token: office, #"{"into": \#(firstID)}"#)
            var told = try await outbox(db)
            #expect(told.map(\.department) == ["reporter:app"])
            #expect(told.first?.title == "问题合并告知" && told.first?.text.contains("#\(firstID)") == true)
            #expect(
                try await db.scalar(
                    "SELECT count(*)::int FROM events WHERE kind = 'issue.reporterUnnotified' AND subject_id = \(String(third))", as: Int.self) == 1)

            // Every task of the first issue worked to its close (销号).
            for task in first["tasks"] as? [[String: Any]] ?? [] {
                let id = try #require(task["id"] as? NSNumber)
                let handler = try await db.token("suixi", .handler, department: try #require(task["department"] as? String))
                for (action, token, body) in [
                    ("acknowledge", handler, "{}"), ("start", handler, "{}"), ("rectify", handler, #"{"measures": "已选聘物业服务企业进驻"}"#),
                    ("verify", office, "{}"), ("close", office, "{}"),
                ] {
                    _ = try await call(client, "\(base)/tasks/\(id)/\(action)", token: token, body)
                }
            }
            told = try await outbox(db)
            let closed = told.filter { $0.title == "问题办结告知" }
            #expect(closed.map(\.department) == ["reporter:hotline", "reporter:app"])
            #expect(closed.allSatisfy { $0.text.contains("已选聘物业服务企业进驻") })
            #expect(closed.first?.text.contains("张三 13800001111") == true)
            #expect(closed.last?.text.contains("已并入问题 #\(firstID)") == true)
            #expect(
                try await db.scalar(
                    "SELECT count(*)::int FROM events WHERE kind = 'issue.reporterUnnotified' AND subject_id = \(String(third))", as: Int.self) == 2)
        }
    }
}
