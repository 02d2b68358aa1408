import Foundation
import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle
import WhistleCore
import WhistleStore

/// Everything the HTTP application needs; the `whistle serve` command and the tests build it alike.
public struct WhistleApplicationContext: Sendable {
    public var database: Database
    public var migrator: Migrator
    public var registry: PrometheusCollectorRegistry
    public var host: String
    public var port: Int
    public var logger: Logger
    /// The deadline scheduler, when this daemon runs one; `/readyz` waits until it is armed.
    public var scheduler: TimerScheduler?
    /// Warnings an operator must act on (a calendar running out), shown by `/readyz`.
    public var warnings: @Sendable () -> [String]
    /// Every tenant's router and suggesters, from the configuration.
    public var routing: TenantRouting
    /// The time requests are stamped with; tests pass a manual clock's.
    public var clock: @Sendable () -> Date
    /// `intake.duplicateWindowDays` of whistle.yaml.
    public var duplicateWindowDays: Int = 7
    /// `intake.maxPhotoMegabytes` of whistle.yaml, in bytes.
    public var maxPhotoBytes: Int = 10 * 1024 * 1024

    public init(
        database: Database, migrator: Migrator, registry: PrometheusCollectorRegistry, host: String, port: Int,
        scheduler: TimerScheduler? = nil, warnings: @escaping @Sendable () -> [String] = { [] }, routing: TenantRouting = .empty,
        clock: @escaping @Sendable () -> Date = { Date() }, logger: Logger
    ) {
        self.routing = routing
        self.clock = clock
        self.scheduler = scheduler
        self.warnings = warnings
        self.database = database
        self.migrator = migrator
        self.registry = registry
        self.host = host
        self.port = port
        self.logger = logger
    }
}

/// Builds the router of the API: health, metrics, the tenant directory, liability lists and routing.
public func buildRouter(_ context: WhistleApplicationContext) -> Router<WhistleRequestContext> {
    let router = Router(context: WhistleRequestContext.self)
    router.add(middleware: ProblemMiddleware())
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: LogRequestsMiddleware(.debug))
    HealthRoutes(
        database: context.database, migrator: context.migrator, registry: context.registry, scheduler: context.scheduler,
        warnings: context.warnings
    ).add(to: router)
    // Everything under a tenant needs a credential of that tenant.
    let tenants = router.group("/v1/tenants/:tenant").add(middleware: AuthMiddleware(credentials: CredentialStore(database: context.database)))
    DirectoryRoutes(store: DirectoryStore(database: context.database)).add(to: tenants)
    LiabilityRoutes(routing: context.routing, store: LiabilityStore(database: context.database)).add(to: tenants)
    // Intake notifies the scheduler of deadlines within its horizon only.
    let horizon = context.scheduler.map(\.settings.horizonSeconds) ?? SchedulerSettings().horizonSeconds
    let issues = IssueStore(database: context.database, timerNotifyHorizon: IssueStore.notifyHorizon(schedulerHorizonSeconds: horizon))
    IssueRoutes(
        routing: context.routing, store: issues, clock: context.clock,
        duplicateWindowDays: context.duplicateWindowDays
    ).add(to: tenants)
    TaskRoutes(routing: context.routing, store: issues, clock: context.clock).add(to: tenants)
    PhotoRoutes(
        routing: context.routing, store: issues, clock: context.clock, maxPhotoBytes: context.maxPhotoBytes
    ).add(to: tenants)
    EscalationRoutes(routing: context.routing, store: EscalationStore(database: context.database), clock: context.clock).add(to: tenants)
    TeamRoutes(routing: context.routing, store: RosterStore(database: context.database), clock: context.clock).add(to: tenants)
    OperationRoutes(routing: context.routing, store: OperationStore(database: context.database), clock: context.clock).add(to: tenants)
    FieldWorkRoutes(
        routing: context.routing, store: FieldWorkStore(database: context.database), credit: CreditStore(database: context.database), clock: context.clock
    ).add(to: tenants)
    LedgerRoutes(routing: context.routing, store: LedgerStore(database: context.database), clock: context.clock).add(to: tenants)
    let figures = FigureStore(database: context.database)
    FigureRoutes(routing: context.routing, store: figures, clock: context.clock).add(to: tenants)
    CampaignRoutes(routing: context.routing, store: CampaignStore(database: context.database), figures: figures, clock: context.clock).add(to: tenants)
    // The server-rendered pages (issue 7), with their own session cookie instead of a bearer token.
    WebRoutes(context, issues: issues).add(to: router)
    return router
}

/// Builds the application: the PostgreSQL client runs as a service in the application's
/// service group (listed first, so it stops last), then the deadline scheduler (stopped after
/// the HTTP server, before the client), and `beforeServerStarts` work (migrations,
/// configuration) runs once it is up and before the first request is served.
public func buildApplication(
    _ context: WhistleApplicationContext,
    services: [any Service] = [],
    beforeServerStarts: [@Sendable () async throws -> Void] = [],
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    var app = Application(
        router: buildRouter(context),
        configuration: .init(address: .hostname(context.host, port: context.port), serverName: "whistle"),
        services: [context.database.client] + (context.scheduler.map { [$0] } ?? []) + services,
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
        logger: context.logger)
    for process in beforeServerStarts {
        app.beforeServerStarts(perform: process)
    }
    return app
}
