import Foundation
import Logging
import WhistleCore

/// Recomputes every tenant's property-company credit and priority list, so that a change of
/// grade or of the list is recorded (with its events) near when its issues changed, not only when
/// someone next reads it. The daemon runs `refreshAll` every 15 minutes in a `PeriodicService`.
public struct AssessmentRefresher: Sendable {
    let credit: CreditStore
    let routing: TenantRouting
    let clock: any WallClock
    let logger: Logger

    public init(database: Database, routing: TenantRouting, clock: any WallClock = SystemClock(), logger: Logger) {
        self.credit = CreditStore(database: database)
        self.routing = routing
        self.clock = clock
        self.logger = logger
    }

    /// One pass over every tenant; a tenant that fails is logged and tried again next time.
    /// - Returns: how many tenants were refreshed.
    @discardableResult
    public func refreshAll() async -> Int {
        var done = 0
        for (tenant, entry) in routing.tenants.sorted(by: { $0.key < $1.key }) where !entry.directory.propertyCompanies.isEmpty {
            do {
                _ = try await credit.refresh(tenant: tenant, routing: entry, now: clock.now())
                done += 1
            } catch {
                logger.error("credit refresh failed; it runs again next period", metadata: ["tenant": "\(tenant)", "error": "\(String(reflecting: error))"])
            }
        }
        return done
    }
}
