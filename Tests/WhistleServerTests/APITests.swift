import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus
import Testing
import WhistleCore
import WhistleStore
import WhistleTestSupport
@testable import WhistleServer

@Suite("HTTP API: health, metrics and the directory")
struct APITests {
    let db: TestDatabase
    let registry = PrometheusCollectorRegistry()

    let yongning: HTTPFields
    let suixi: HTTPFields

    init() async throws {
        db = try await TestPostgres.migratedDatabase("api")
        try await db.loadSampleConfiguration()
        yongning = [.authorization: "Bearer \(try await db.token("yongning", .admin))"]
        suixi = [.authorization: "Bearer \(try await db.token("suixi", .admin))"]
    }

    func app(_ database: TestDatabase? = nil) throws -> some ApplicationProtocol {
        let database = database ?? db
        let context = WhistleApplicationContext(
            database: database.database, migrator: try database.migrator(), registry: registry, host: "127.0.0.1", port: 0,
            logger: TestPostgres.logger)
        return Application(router: buildRouter(context), logger: TestPostgres.logger)
    }

    func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any])
    }

    @Test("healthz and readyz answer 200 with migrations current")
    func health() async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
                let body = try json(response.body)
                #expect(body["migrations"] as? String == "current")
                #expect(body["tenants"] as? Int == 5)
            }
        }
    }

    @Test("readyz is 503 problem+json while migrations are pending")
    func notReady() async throws {
        let empty = try await TestPostgres.emptyDatabase("notready")
        try await app(empty).test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
                let body = try json(response.body)
                #expect(body["status"] as? Int == 503)
                #expect((body["detail"] as? String)?.contains("迁移") == true)
            }
        }
    }

    @Test("metrics are Prometheus text")
    func metrics() async throws {
        registry.makeCounter(name: "whistle_test_total").increment()
        try await app().test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
                #expect(String(buffer: response.body).contains("whistle_test_total 1"))
            }
        }
    }

    @Test("directory endpoints list a tenant's territories, compounds and departments")
    func directory() async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: "/v1/tenants/yongning", method: .get, headers: yongning) { response in
                #expect(response.status == .ok)
                let body = try json(response.body)
                #expect(body["name"] as? String == "永宁县")
            }
            try await client.execute(uri: "/v1/tenants/yongning/territories", method: .get, headers: yongning) { response in
                #expect(response.status == .ok)
                let items = try #require(try json(response.body)["items"] as? [[String: Any]])
                #expect(!items.isEmpty)
            }
            var compoundCode = ""
            var territory = ""
            try await client.execute(uri: "/v1/tenants/yongning/compounds", method: .get, headers: yongning) { response in
                #expect(response.status == .ok)
                let items = try #require(try json(response.body)["items"] as? [[String: Any]])
                compoundCode = try #require(items.first?["code"] as? String)
                territory = try #require(items.first?["territory"] as? String)
            }
            try await client.execute(uri: "/v1/tenants/yongning/compounds?territory=\(territory)", method: .get, headers: yongning) { response in
                let items = try #require(try json(response.body)["items"] as? [[String: Any]])
                #expect(items.allSatisfy { $0["territory"] as? String == territory })
            }
            try await client.execute(uri: "/v1/tenants/yongning/compounds/\(compoundCode)", method: .get, headers: yongning) { response in
                #expect(response.status == .ok)
                let body = try json(response.body)
                #expect(body["code"] as? String == compoundCode)
            }
            try await client.execute(uri: "/v1/tenants/yongning/departments?kind=territorial", method: .get, headers: yongning) { response in
                #expect(response.status == .ok)
                let items = try #require(try json(response.body)["items"] as? [[String: Any]])
                #expect(!items.isEmpty)
                #expect(items.allSatisfy { $0["kind"] as? String == "territorial" && $0["territory"] is String })
            }
        }
    }

    @Test("a tenant's endpoints never show another tenant's entries")
    func walled() async throws {
        try await app().test(.router) { client in
            var suixiCompound = ""
            try await client.execute(uri: "/v1/tenants/suixi/compounds", method: .get, headers: suixi) { response in
                let items = try #require(try json(response.body)["items"] as? [[String: Any]])
                suixiCompound = try #require(items.first?["code"] as? String)
            }
            try await client.execute(uri: "/v1/tenants/yongning/compounds/\(suixiCompound)", method: .get, headers: yongning) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test("errors are application/problem+json with status and detail", arguments: [
        ("/v1/tenants/atlantis/departments", 404),
        ("/v1/tenants/NOT_A_CODE/territories", 404),
        ("/v1/tenants/yongning/departments?kind=bureau", 400),
        ("/v1/tenants/yongning/departments/nope", 404),
        ("/v1/tenants/yongning/compounds?territory=Bad%20Code", 400),
        ("/no/such/route", 404),
    ])
    func problems(uri: String, status: Int) async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: uri, method: .get, headers: yongning) { response in
                #expect(response.status.code == status)
                #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
                let body = try json(response.body)
                #expect(body["status"] as? Int == status)
                #expect(body["title"] is String)
                #expect(body["type"] is String)
            }
        }
    }
}
