import Foundation
import Hummingbird
import Prometheus
import Testing
import WhistleStore
import WhistleTestSupport
@testable import WhistleServer

/// The API over a test database, built as `whistle serve` builds it; `configure` adjusts the context.
func testApplication(
    _ db: TestDatabase, routing: TenantRouting = .empty, clock: @escaping @Sendable () -> Date = { Date() },
    configure: (inout WhistleApplicationContext) -> Void = { _ in }
) throws -> some ApplicationProtocol {
    var context = WhistleApplicationContext(
        database: db.database, migrator: try db.migrator(), registry: PrometheusCollectorRegistry(), host: "127.0.0.1", port: 0,
        routing: routing, clock: clock, logger: TestPostgres.logger)
    configure(&context)
    return Application(router: buildRouter(context), logger: TestPostgres.logger)
}

/// A JSON object body.
func responseJSON(_ buffer: ByteBuffer) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any])
}
