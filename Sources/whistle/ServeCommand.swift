import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus
import WhistleCore
import WhistleServer
import WhistleStore

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the daemon: HTTP API, migrations and configuration loading (embedded PostgreSQL unless a URL is given).")

    @OptionGroup var common: CommonOptions

    @Option(name: .long, help: "Address to listen on (env WHISTLE_HTTP_HOST; default from whistle.yaml, 127.0.0.1).")
    var host: String?

    @Option(name: .long, help: "Port to listen on, 0 for any free one (env WHISTLE_HTTP_PORT; default from whistle.yaml, 8080).")
    var port: Int?

    func run() async throws {
        try await reportingFailures {
            let logger = common.makeLogger("whistle")
            let config = try common.readConfiguration()
            let settings = config.settings
            let environment = common.environment
            let host = host ?? environment["WHISTLE_HTTP_HOST"] ?? settings.httpHost
            let port = try port ?? environment["WHISTLE_HTTP_PORT"].map { text in
                guard let value = Int(text) else { throw CommandFailure("WHISTLE_HTTP_PORT '\(text)' is not a number") }
                return value
            } ?? settings.httpPort
            let migrations = try Migration.load(from: try Migration.locateDirectory(explicit: common.sqlDir))

            let prepared = try await DatabaseBootstrap.prepare(
                url: common.databaseURL(settings: settings), dataDirectory: common.dataDirectory(settings: settings), logger: logger)
            defer {
                if let embedded = prepared.embedded {
                    do { try embedded.stop() } catch { printError("error: \(error)") }
                }
            }
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            let client = try DatabaseBootstrap.makeClient(prepared.settings, poolSize: settings.poolSize, logger: logger)
            let database = Database(client: client, logger: logger)
            let migrator = Migrator(client: client, migrations: migrations, logger: logger)
            let routing = TenantRouting(config)
            let dispatcher = NotificationDispatcher(
                database: database, routing: routing, settings: settings.notifications, waitsForOpen: true,
                logger: common.makeLogger("whistle.notifications"))
            // Fired ladder timers climb the escalation ladder and write the outbox the dispatcher delivers;
            // a team member's shift end hands an unacknowledged task on; a joint operation's
            // participant that has not confirmed climbs the acknowledge ladder.
            let scheduler = TimerScheduler(
                database: database, settings: settings.scheduler, action: TimerActions([
                    EscalationEngine(routing: routing, onOutbox: { dispatcher.ring() }), RosterHandoff(routing: routing),
                    OperationLadder(routing: routing, onOutbox: { dispatcher.ring() }),
                ]),
                waitsForOpen: true, logger: common.makeLogger("whistle.scheduler"))
            // Property companies' credit and the priority list, recorded as they change (issue 9).
            let assessment = AssessmentRefresher(database: database, routing: routing, logger: common.makeLogger("whistle.assessment"))
            let refresher = PeriodicService(
                name: "assessment refresher", intervalSeconds: 900, waitsForOpen: true, logger: common.makeLogger("whistle.assessment")
            ) { await assessment.refreshAll() }
            // Each campaign's monthly report, sent to the office on its day (issue 7).
            let reporter = MonthlyReporter(database: database, routing: routing, logger: common.makeLogger("whistle.reports"), onOutbox: { dispatcher.ring() })
            let reports = PeriodicService(
                name: "monthly reporter", intervalSeconds: 300, waitsForOpen: true, logger: common.makeLogger("whistle.reports")
            ) { await reporter.sendDue() }
            // The figures' day cells, so that a year of figures reads a few thousand rows (issue 7).
            let figureRefresher = FigureRefresher(database: database, logger: common.makeLogger("whistle.figures"))
            let figureCells = PeriodicService(
                name: "figure refresher", intervalSeconds: 10, waitsForOpen: true, logger: common.makeLogger("whistle.figures")
            ) { await figureRefresher.refreshAll() }
            for warning in config.calendarWarnings(now: Date()) + config.channelWarnings(environment: environment) + config.rosterWarnings(now: Date()) {
                logger.warning("\(warning)")
            }
            var context = WhistleApplicationContext(
                database: database, migrator: migrator, registry: registry, host: host, port: port, scheduler: scheduler,
                warnings: { config.calendarWarnings(now: Date()) + config.rosterWarnings(now: Date()) }, routing: routing, logger: logger)
            context.duplicateWindowDays = config.settings.duplicateWindowDays
            context.maxPhotoBytes = config.settings.maxPhotoBytes
            let tenants = config.tenants
            let app = buildApplication(
                context,
                services: [dispatcher, refresher, reports, figureCells],
                beforeServerStarts: [
                    {
                        let applied = try await migrator.migrate()
                        if !applied.isEmpty { logger.info("migrations applied", metadata: ["files": "\(applied.joined(separator: ", "))"]) }
                        let results = try await DirectoryStore(database: database).load(tenants)
                        for result in results {
                            logger.info(
                                result.changed ? "tenant configuration loaded" : "tenant configuration unchanged",
                                metadata: ["tenant": "\(result.tenant)"])
                        }
                        for result in try await LiabilityStore(database: database).load(tenants) where result.outcome != .unchanged {
                            if result.outcome == .changedInPlace {
                                logger.warning(
                                    "liability list edited in place: tasks routed before keep the earlier text; give a changed list a new version",
                                    metadata: ["tenant": "\(result.tenant)", "version": "\(result.version)", "list_id": "\(result.listID)"])
                            } else {
                                logger.info("liability list loaded", metadata: ["tenant": "\(result.tenant)", "version": "\(result.version)", "list_id": "\(result.listID)"])
                            }
                        }
                        for ladder in try await EscalationStore(database: database).register(tenants) where ladder.new {
                            logger.info("escalation ladder loaded", metadata: ["tenant": "\(ladder.tenant)", "ladder_id": "\(ladder.ladder)"])
                        }
                        // Deadlines and rungs an earlier calendar could not count (it had no notice for
                        // their year), counted now if this one can, before the scheduler loads its wheel.
                        let caughtUp = try await DeadlineCatchUp(database: database, routing: routing).run(now: Date())
                        if caughtUp.deadlinesSet + caughtUp.laddersResumed + caughtUp.handoffsResumed > 0 {
                            logger.notice(
                                "deadlines counted with the calendar now in force",
                                metadata: [
                                    "tasks": "\(caughtUp.deadlinesSet)", "ladders": "\(caughtUp.laddersResumed)",
                                    "handoffs": "\(caughtUp.handoffsResumed)",
                                ])
                        }
                        if caughtUp.stillUncounted > 0 {
                            logger.warning(
                                "deadlines the calendar still cannot count: add the holiday notice of their year to calendars/",
                                metadata: ["count": "\(caughtUp.stillUncounted)"])
                        }
                        // The schema is in place: the scheduler may load its wheel and fire, the dispatcher deliver.
                        scheduler.open()
                        dispatcher.open()
                        refresher.open()
                        reports.open()
                        figureCells.open()
                    }
                ],
                onServerRunning: { port in
                    logger.notice("whistle is serving", metadata: ["address": "http://\(host):\(port)", "tenants": "\(tenants.count)"])
                })
            try await app.runService()
        }
    }
}
