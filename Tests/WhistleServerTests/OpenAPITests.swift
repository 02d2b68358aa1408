import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus
import Testing
import WhistleCore
import WhistleStore
import WhistleTestSupport
import Yams
@testable import WhistleServer

/// `docs/openapi.yaml` and the server must agree: the same operations, and the answers carry what
/// the document promises.
@Suite("The OpenAPI document")
struct OpenAPITests {
    static var file: URL { TestPostgres.configDirectory.deletingLastPathComponent().appendingPathComponent("docs/openapi.yaml") }

    static func document() throws -> [String: Any] {
        try #require(try Yams.load(yaml: try String(contentsOf: file, encoding: .utf8)) as? [String: Any])
    }

    static func dictionary(_ value: Any?) -> [String: Any] { value as? [String: Any] ?? [:] }

    /// `GET /v1/tenants/{tenant}/issues/{id}` for every operation of the document.
    static func documentedOperations() throws -> Set<String> {
        var operations = Set<String>()
        for (path, item) in dictionary(try document()["paths"]) {
            for method in dictionary(item).keys where ["get", "post", "put", "patch", "delete"].contains(method) {
                operations.insert("\(method.uppercased()) \(path)")
            }
        }
        return operations
    }

    func context(_ database: TestDatabase, routing: TenantRouting = .empty) throws -> WhistleApplicationContext {
        WhistleApplicationContext(
            database: database.database, migrator: try database.migrator(), registry: PrometheusCollectorRegistry(), host: "127.0.0.1", port: 0,
            routing: routing, logger: TestPostgres.logger)
    }

    @Test("every route of the server is documented, and every documented operation is served")
    func sameOperations() async throws {
        let db = try await TestPostgres.emptyDatabase("openapi_routes")
        // The server-rendered pages under /web are HTML for browsers, not API operations: the
        // OpenAPI document does not describe them.
        let served = Set(buildRouter(try context(db)).routes.map { "\($0.method.rawValue) \($0.path)" }.filter { !$0.contains(" /web") })
        let documented = try Self.documentedOperations()
        #expect(served.subtracting(documented).sorted() == [], "served but not documented")
        #expect(documented.subtracting(served).sorted() == [], "documented but not served")
        #expect(served.count >= 25)
    }

    @Test("every operation answers something in 2xx, and every tenant operation documents its 401 as a problem")
    func responses() throws {
        for (path, item) in Self.dictionary(try Self.document()["paths"]) {
            for (method, operation) in Self.dictionary(item) where ["get", "post"].contains(method) {
                let responses = Self.dictionary(Self.dictionary(operation)["responses"])
                #expect(responses.keys.contains { $0.hasPrefix("2") }, "\(method) \(path)")
                if path.hasPrefix("/v1/") {
                    #expect(Self.dictionary(responses["401"])["$ref"] as? String == "#/components/responses/Problem", "\(method) \(path)")
                }
            }
        }
    }

    @Test("an issue, its tasks and a problem carry every field the document requires")
    func shapes() async throws {
        let db = try await TestPostgres.migratedDatabase("openapi")
        try await db.loadSampleConfiguration()
        let routing = TenantRouting(try ConfigDirectory.read(TestPostgres.configDirectory))
        let token = try await db.token("yongning", .office)
        let schemas = Self.dictionary(Self.dictionary(try Self.document()["components"])["schemas"])
        let issueFields = Self.dictionary(schemas["Issue"])["required"] as? [String] ?? []
        let taskFields = Self.dictionary(schemas["Task"])["required"] as? [String] ?? []
        let problemFields = Self.dictionary(schemas["Problem"])["required"] as? [String] ?? []
        #expect(!issueFields.isEmpty && !taskFields.isEmpty && !problemFields.isEmpty)
        let app = Application(router: buildRouter(try context(db, routing: routing)), logger: TestPostgres.logger)
        try await app.test(.router) { client in
            try await client.execute(
                uri: "/v1/tenants/yongning/issues", method: .post, headers: [.authorization: "Bearer \(token)"],
                body: ByteBuffer(string: #"{"channel": "whistle", "compound": "yanghe-c1-a", "type": "zz-2", "description": "消防通道被占"}"#)
            ) { response in
                let issue = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                for field in issueFields { #expect(issue[field] != nil, "Issue.\(field)") }
                let task = try #require((issue["tasks"] as? [[String: Any]])?.first)
                for field in taskFields { #expect(task[field] != nil, "Task.\(field)") }
            }
            try await client.execute(uri: "/v1/tenants/yongning/issues", method: .post, headers: [.authorization: "Bearer \(token)"], body: ByteBuffer(string: "{}")) {
                response in
                let problem = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                for field in problemFields { #expect(problem[field] != nil, "Problem.\(field)") }
            }
        }
    }
}
