import Foundation
import Hummingbird
import Prometheus
import Testing
import WhistleCore
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

/// `config` with the calendar `name` extended through 2027. Test data: a year without holidays
/// stands in for the State Council notice, not yet published, that a deployment would add.
func extendedThrough2027(_ config: ConfigDirectory, calendar name: String = "cn") throws -> ConfigDirectory {
    var config = config
    let calendar = try #require(config.calendars[name])
    #expect(calendar.coveredYears?.upperBound == 2026)
    config.calendars[name] = try WorkCalendar(
        name: calendar.name, timeZone: calendar.timeZone,
        years: calendar.years + [WorkCalendar.Year(year: 2027, notice: "测试用：假定无节假日", holidays: [], workdays: [])])
    return config
}
