import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import WhistleCore
import WhistleStore
import WhistleTestSupport
@testable import WhistleServer

@Suite("HTTP API: credentials and the role matrix")
struct AccessAPITests {
    let db: TestDatabase
    let routing: TenantRouting

    init() async throws {
        db = try await TestPostgres.migratedDatabase("access_api")
        try await db.loadSampleConfiguration()
        routing = TenantRouting(try ConfigDirectory.read(TestPostgres.configDirectory))
    }

    func app() throws -> some ApplicationProtocol {
        try testApplication(db, routing: routing)
    }

    func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }

    func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try responseJSON(buffer)
    }

    @Test("no token, an unknown or revoked one is 401 problem+json; another tenant's is 403")
    func authentication() async throws {
        let token = try await db.token("yongning", .office)
        let suixi = try await db.token("suixi", .office)
        try await app().test(.router) { client in
            for headers: HTTPFields in [[:], bearer("wh_nope"), [.authorization: "Basic abc"]] {
                try await client.execute(uri: "/v1/tenants/yongning/departments", method: .get, headers: headers) { response in
                    #expect(response.status == .unauthorized)
                    #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
                    #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                }
            }
            try await client.execute(uri: "/v1/tenants/yongning/departments", method: .get, headers: bearer(token)) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/v1/tenants/yongning/departments", method: .get, headers: bearer(suixi)) { response in
                #expect(response.status == .forbidden)
                #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
            }
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
        let store = CredentialStore(database: db.database)
        let listed = try await store.list(tenant: "yongning")
        let id = try #require(listed.last?.id)
        #expect(try await store.revoke(id))
        #expect(try await !store.revoke(id))
        try await app().test(.router) { client in
            try await client.execute(uri: "/v1/tenants/yongning/departments", method: .get, headers: bearer(token)) { response in
                #expect(response.status == .unauthorized)
            }
        }
        #expect(try await db.scalar("SELECT count(*)::int FROM credentials WHERE token_hash LIKE 'wh_%'", as: Int.self) == 0)
    }

    @Test("departments act on their own tasks only, the office rules, reporters see what they reported, leaders read")
    func roles() async throws {
        let reporter = try await db.token("yongning", .reporter)
        let otherReporter = try await db.token("yongning", .reporter)
        let housing = try await db.token("yongning", .handler, department: "zjj")
        let police = try await db.token("yongning", .handler, department: "gaj")
        let office = try await db.token("yongning", .office)
        let leader = try await db.token("yongning", .leader)
        try await app().test(.router) { client in
            var issueID = 0
            var housingTask = 0
            try await client.execute(
                uri: "/v1/tenants/yongning/issues", method: .post, headers: bearer(reporter),
                body: ByteBuffer(string: #"{"channel": "app", "compound": "yanghe-c1-a", "type": "zl-2", "description": "违规签订物业合同", "reporter": {"name": "李四", "phone": "13900001111"}}"#)
            ) { response in
                #expect(response.status == .created)
                let body = try json(response.body)
                issueID = try #require(body["id"] as? Int)
                housingTask = try #require((body["tasks"] as? [[String: Any]])?.first { $0["department"] as? String == "zjj" }?["id"] as? Int)
            }
            try await client.execute(
                uri: "/v1/tenants/yongning/issues", method: .post, headers: bearer(leader),
                body: ByteBuffer(string: #"{"channel": "app", "compound": "yanghe-c1-a", "description": "x"}"#)
            ) { #expect($0.status == .forbidden) }
            // Reading: the reporter, the departments on it, the office and leaders; not another reporter or department.
            for (token, status, masked) in [
                (reporter, HTTPResponse.Status.ok, true), (housing, .ok, true), (office, .ok, false), (leader, .ok, true),
                (otherReporter, .forbidden, true), (police, .forbidden, true),
            ] {
                try await client.execute(uri: "/v1/tenants/yongning/issues/\(issueID)", method: .get, headers: bearer(token)) { response in
                    #expect(response.status == status)
                    if status == .ok {
                        let name = (try json(response.body)["reporter"] as? [String: Any])?["name"] as? String
                        #expect(name == (masked ? "李*" : "李四"))
                    }
                }
                try await client.execute(uri: "/v1/tenants/yongning/issues/\(issueID)/timeline", method: .get, headers: bearer(token)) { response in
                    #expect(response.status == status)
                }
            }
            // Acting: the department on its own task; another department, the reporter and the leader may not.
            for token in [police, reporter, leader] {
                try await client.execute(uri: "/v1/tenants/yongning/tasks/\(housingTask)/acknowledge", method: .post, headers: bearer(token)) { response in
                    #expect(response.status == .forbidden)
                }
            }
            try await client.execute(uri: "/v1/tenants/yongning/tasks/\(housingTask)/acknowledge", method: .post, headers: bearer(housing)) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(
                uri: "/v1/tenants/yongning/tasks/\(housingTask)/rectify", method: .post, headers: bearer(housing),
                body: ByteBuffer(string: #"{"measures": "已约谈物业"}"#)
            ) { #expect($0.status == .ok) }
            // Verification is the office's.
            try await client.execute(uri: "/v1/tenants/yongning/tasks/\(housingTask)/verify", method: .post, headers: bearer(housing)) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/v1/tenants/yongning/tasks/\(housingTask)/verify", method: .post, headers: bearer(office)) { response in
                #expect(response.status == .ok)
            }
            for (path, token) in [("gaps", housing), ("gaps", reporter)] {
                try await client.execute(uri: "/v1/tenants/yongning/\(path)", method: .get, headers: bearer(token)) { #expect($0.status == .forbidden) }
            }
            try await client.execute(
                uri: "/v1/tenants/yongning/issues/\(issueID)/classify", method: .post, headers: bearer(housing), body: ByteBuffer(string: #"{"type": "zz-1"}"#)
            ) { #expect($0.status == .forbidden) }
        }
        // Every change names the credential that made it.
        let actors = try await db.scalar(
            "SELECT string_agg(DISTINCT actor, '|') FROM events WHERE kind IN ('task.acknowledge', 'task.verify', 'issue.received')", as: String.self)
        #expect(actors?.contains("部门经办人") == true)
        #expect(actors?.contains("专班办公室") == true)
        #expect(actors?.contains("上报人") == true)
    }
}
