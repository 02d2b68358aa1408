import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import WhistleCore

/// Recomputes every tenant's property-company credit and priority list on a period, so that a
/// change of grade or of the list is recorded (with its events) near when its issues changed,
/// not only when someone next reads it.
public final class AssessmentRefresher: Service, Sendable {
    let credit: CreditStore
    let routing: TenantRouting
    let interval: TimeInterval
    let clock: any WallClock
    let logger: Logger
    private let stopping = Atomic<Bool>(false)
    private let doorbell = Doorbell()
    private let startGate = Gate()
    private let startsOpen: Bool

    /// - Parameter waitsForOpen: wait for `open()` (the schema and configuration are in place) before the first pass.
    public init(
        database: Database, routing: TenantRouting, intervalSeconds: Int = 900, clock: any WallClock = SystemClock(), waitsForOpen: Bool = false,
        logger: Logger
    ) {
        self.credit = CreditStore(database: database)
        self.routing = routing
        self.interval = TimeInterval(max(intervalSeconds, 1))
        self.clock = clock
        self.logger = logger
        self.startsOpen = !waitsForOpen
    }

    public func open() { startGate.open() }

    public func stop() {
        stopping.store(true, ordering: .relaxed)
        doorbell.ring()
        startGate.open()
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            if !startsOpen { await startGate.wait() }
            while !stopping.load(ordering: .relaxed) {
                await refreshAll()
                guard !stopping.load(ordering: .relaxed) else { break }
                await doorbell.wait(until: clock.now().addingTimeInterval(interval), on: clock)
            }
            logger.info("assessment refresher stopped")
        } onGracefulShutdown: {
            self.stop()
        }
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
