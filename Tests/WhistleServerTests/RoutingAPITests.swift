import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import WhistleCore
import WhistleStore
import WhistleTestSupport
@testable import WhistleServer

@Suite("HTTP API: liability lists and routing")
struct RoutingAPITests {
    let db: TestDatabase
    let routing: TenantRouting

    init() async throws {
        db = try await TestPostgres.migratedDatabase("routing_api")
        try await db.loadSampleConfiguration()
        routing = TenantRouting(try ConfigDirectory.read(TestPostgres.configDirectory))
        yongning = [.authorization: "Bearer \(try await db.token("yongning", .leader))"]
        suixi = [.authorization: "Bearer \(try await db.token("suixi", .leader))"]
    }

    let yongning: HTTPFields
    let suixi: HTTPFields

    func app() throws -> some ApplicationProtocol {
        try testApplication(db, routing: routing)
    }

    func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try responseJSON(buffer)
    }

    func post(_ body: String) -> ByteBuffer { ByteBuffer(string: body) }

    @Test("route/explain returns what `whistle route explain` prints, and writes nothing")
    func explain() async throws {
        let eventsBefore = try await db.scalar("SELECT count(*)::int FROM events", as: Int.self)
        try await app().test(.router) { client in
            try await client.execute(
                uri: "/v1/tenants/yongning/route/explain", method: .post, headers: [.contentType: "application/json", .authorization: yongning[.authorization]!],
                body: post(#"{"type": "zz-2", "compound": "yanghe-c1-a", "reportedAt": "2026-09-30T17:30:00+08:00"}"#)
            ) { response in
                #expect(response.status == .ok)
                let router = try #require(routing.tenants["yongning"])
                let at = ISOMoment.parse("2026-09-30T17:30:00+08:00", in: router.timeZone)!
                let expected = try RouteExplanation(
                    try router.router.route(type: "zz-2", compound: "yanghe-c1-a", reportedAt: at), router: router.router,
                    compound: "yanghe-c1-a", reportedAt: at, policy: router.policy, dispatchedAt: at)
                #expect(Data(buffer: response.body) == expected.json())
                let body = try json(response.body)
                let tasks = try #require(body["tasks"] as? [[String: Any]])
                #expect(tasks.compactMap { ($0["department"] as? [String: Any])?["code"] as? String } == ["xfdd", "gaj", "zhifa", "zjj", "yanghe-gov"])
            }
            try await client.execute(
                uri: "/v1/tenants/yongning/route/explain", method: .post, headers: yongning, body: post(#"{"compound": "yanghe-c1-a"}"#)
            ) { response in
                #expect(response.status == .ok)
                let body = try json(response.body)
                #expect(body["decision"] as? String == "triage")
                #expect((body["triage"] as? [String: Any])?["reason"] as? String == "no-type")
            }
        }
        #expect(try await db.scalar("SELECT count(*)::int FROM events", as: Int.self) == eventsBefore)
    }

    @Test("bad requests are problem+json naming the field")
    func badRequests() async throws {
        try await app().test(.router) { client in
            for (body, status, field) in [
                (#"{"type": "zz-2", "compound": "nowhere"}"#, HTTPResponse.Status.unprocessableContent, "compound"),
                (#"{"type": "zz-2"}"#, .unprocessableContent, "compound"),
                (#"{"type": "zz-2", "compound": "yanghe-c1-a", "reportedAt": "yesterday"}"#, .unprocessableContent, "reportedAt"),
                (#"{"type": 7, "compound": "yanghe-c1-a"}"#, .badRequest, nil),
                ("not json", .badRequest, nil),
            ] {
                try await client.execute(uri: "/v1/tenants/yongning/route/explain", method: .post, headers: yongning, body: post(body)) { response in
                    #expect(response.status == status, "\(body)")
                    #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
                    if let field {
                        let errors = try #require(try json(response.body)["errors"] as? [[String: Any]])
                        #expect(errors.first?["field"] as? String == field)
                    }
                }
            }
            try await client.execute(uri: "/v1/tenants/atlantis/route/explain", method: .post, headers: yongning, body: post("{}")) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test("route/suggest ranks the list in force by a description")
    func suggest() async throws {
        try await app().test(.router) { client in
            try await client.execute(
                uri: "/v1/tenants/yongning/route/suggest", method: .post, headers: yongning, body: post(#"{"description": "地下车库有居民飞线充电", "limit": 3}"#)
            ) { response in
                #expect(response.status == .ok)
                let body = try json(response.body)
                #expect(body["listVersion"] as? String == "2023-05")
                let suggestions = try #require(body["suggestions"] as? [[String: Any]])
                #expect(suggestions.first?["code"] as? String == "zz-6")
                #expect(suggestions.count <= 3)
            }
            try await client.execute(uri: "/v1/tenants/yongning/route/suggest", method: .post, headers: yongning, body: post(#"{"description": " "}"#)) { response in
                #expect(response.status == .unprocessableContent)
            }
        }
    }

    @Test("the lists of a tenant: versions with the one in force, the loaded texts, and each entry")
    func lists() async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: "/v1/tenants/suixi/liability", method: .get, headers: suixi) { response in
                #expect(response.status == .ok)
                let body = try json(response.body)
                let versions = try #require(body["versions"] as? [[String: Any]])
                #expect(versions.first?["version"] as? String == "2023-01")
                #expect(versions.first?["inForce"] as? Bool == true)
                #expect((body["loaded"] as? [[String: Any]])?.count == 1)
            }
            try await client.execute(uri: "/v1/tenants/yongning/liability/2023-05", method: .get, headers: yongning) { response in
                #expect(response.status == .ok)
                let items = try #require(try json(response.body)["items"] as? [[String: Any]])
                #expect(items.count == 12)
                let zz2 = try #require(items.first { $0["code"] as? String == "zz-2" })
                #expect((zz2["lead"] as? [[String: Any]])?.compactMap { $0["department"] as? String } == ["xfdd", "gaj", "zhifa"])
                #expect((zz2["responsible"] as? [[String: Any]])?.last?["territorial"] as? Bool == true)
            }
            try await client.execute(uri: "/v1/tenants/yongning/liability/1999", method: .get, headers: yongning) { response in
                #expect(response.status == .notFound)
            }
        }
    }
}
