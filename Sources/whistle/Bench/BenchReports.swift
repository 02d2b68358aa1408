import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import WhistleCore
import WhistleStore

/// `whistle bench reports`: the dashboard's figures, rankings and ledger pages over a million
/// issues (and two tasks each), each query timed as the API runs it; p95 per query and overall.
struct BenchReports: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reports", abstract: "Seed N issues over a year and time the figures, rankings and ledger pages (p95, ms).")

    @OptionGroup var database: BenchDatabase

    @Option(name: .long, help: "Issues to seed, spread over the twelve months before --until.")
    var issues: Int = 1_000_000

    @Option(name: .long, help: "Runs of each query after a warm-up (the p95 is over these).")
    var runs: Int = 20

    @Option(name: .long, help: "Also time a full ledger export of this many rows, if the month holds them (0: skip).")
    var exportRows: Int = 100_000

    static let tenant = "wenchanghu"

    func run() async throws {
        try await reportingFailures {
            BenchCommand.warnIfDebug()
            let logger = BenchCommand.logger
            let routing = TenantRouting(try ConfigDirectory.read(URL(fileURLWithPath: database.config)))
            guard let entry = routing.tenants[Self.tenant] else { throw CommandFailure("the configuration has no tenant \(Self.tenant)") }
            let zone = entry.timeZone
            let end = CivilDate(2026, 12, 1)
            let start = CivilDate(2025, 12, 1)
            try await database.withDatabase(logger: logger) { _, db in
                try await Self.seed(issues, from: start.start(in: zone), to: end.start(in: zone), routing: entry, database: db, logger: logger)
                // The daemon keeps the days' cells as it runs; built here from nothing, timed.
                let refreshStarted = ContinuousClock.now
                let refresher = FigureRefresher(database: db, logger: logger)
                let days = try await refresher.refresh(tenant: Self.tenant)
                // As the daemon's refresher does once the load's change rows are drained.
                try await refresher.compactChanges()
                let refreshSeconds = Self.milliseconds(ContinuousClock.now - refreshStarted) / 1000
                BenchCommand.progress("kept the figures of \(days) days in \(String(format: "%.1f", refreshSeconds)) s")
                BenchCommand.figure("figure_cells_build_seconds", refreshSeconds, "s")
                // A day's work the refresher has not caught up with: three October days and one
                // November day are counted live while the queries are timed.
                let touched = try await Self.touch(days: [CivilDate(2026, 10, 6), CivilDate(2026, 10, 15), CivilDate(2026, 10, 27), CivilDate(2026, 11, 20)], zone: zone, database: db, logger: logger)
                BenchCommand.progress("changed \(touched) tasks on four days since the cells were kept")
                let figures = FigureStore(database: db)
                let ledgers = LedgerStore(database: db)
                let month = (CivilDate(2026, 10, 1).start(in: zone), CivilDate(2026, 11, 1).start(in: zone))
                let year = (start.start(in: zone), end.start(in: zone))
                let now = end.start(in: zone)
                let compounds = entry.directory.compounds.map(\.compound.code)
                var cursors: [LedgerStore.Cursor?] = [nil]
                let scope = LedgerStore.Scope(from: month.0, to: month.1, compounds: compounds)
                // The cursors of the month's first ten ledger pages, to time pages deep in the ledger too.
                for _ in 0..<10 {
                    guard let next = try await ledgers.page(.inspection, tenant: Self.tenant, routing: entry, scope: scope, after: cursors.last!, photoURL: { $0 }).next
                    else { break }
                    cursors.append(next)
                }
                let queries: [(String, @Sendable () async throws -> Void)] = [
                    ("figures_territory_month", { _ = try await figures.table(by: .territory, tenant: Self.tenant, routing: entry, from: month.0, to: month.1, now: now) }),
                    ("figures_department_month", { _ = try await figures.table(by: .department, tenant: Self.tenant, routing: entry, from: month.0, to: month.1, now: now) }),
                    ("figures_type_month", { _ = try await figures.table(by: .type, tenant: Self.tenant, routing: entry, from: month.0, to: month.1, now: now) }),
                    ("figures_compound_month", { _ = try await figures.table(by: .compound, tenant: Self.tenant, routing: entry, from: month.0, to: month.1, now: now) }),
                    ("figures_month_year", { _ = try await figures.table(by: .month, tenant: Self.tenant, routing: entry, from: year.0, to: year.1, now: now) }),
                    ("figures_department_year", { _ = try await figures.table(by: .department, tenant: Self.tenant, routing: entry, from: year.0, to: year.1, now: now) }),
                    ("ledger_page", { [cursors] in
                        let cursor = cursors.randomElement()!
                        _ = try await ledgers.page(.inspection, tenant: Self.tenant, routing: entry, scope: scope, after: cursor, photoURL: { $0 })
                    }),
                ]
                var all: [Double] = []
                for (name, query) in queries {
                    try await query()
                    var samples: [Double] = []
                    for _ in 0..<runs {
                        let started = ContinuousClock.now
                        try await query()
                        samples.append(Self.milliseconds(ContinuousClock.now - started))
                    }
                    all += samples
                    BenchCommand.figure("reports_\(name)_p95", Self.p95(samples), "ms")
                }
                BenchCommand.figure("reports_p95", Self.p95(all), "ms")
                if exportRows > 0 {
                    // The last days that hold about that many of the layout's rows (its four classes are
                    // some of the types): a whole ledger, streamed, as `whistle ledger export` writes it.
                    let days = min(365, Int((Double(exportRows) / (Double(issues) / 365) * 1.6).rounded(.up)))
                    let export = try LedgerStore.Export.make(
                        code: "inspection", format: "xlsx", routing: entry, from: end.adding(days: -days).start(in: zone), to: year.1, territory: nil,
                        compound: nil, campaign: nil, contact: "", phone: "", now: now, unmasked: false, photoURL: { $0 })
                    var bytes = 0
                    let started = ContinuousClock.now
                    let rows = try await ledgers.export(export, tenant: Self.tenant, routing: entry) { chunk in bytes += chunk.count }
                    let seconds = Self.milliseconds(ContinuousClock.now - started) / 1000
                    BenchCommand.progress("exported the last \(days) days' inspection ledger: \(rows) rows, \(bytes) bytes in \(String(format: "%.1f", seconds)) s")
                    BenchCommand.figure("ledger_export_rows", Double(rows), "rows", decimals: 0)
                    BenchCommand.figure("ledger_export_seconds", seconds, "s")
                    BenchCommand.figure("ledger_export_peak_rss", Self.peakRSSMegabytes(), "MiB")
                }
            }
        }
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    static func p95(_ samples: [Double]) -> Double {
        let sorted = samples.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * 0.95).rounded(.up)) - 1)]
    }

    /// VmHWM of this process, from /proc.
    static func peakRSSMegabytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        return kilobytes / 1024
    }

    /// Reports in a hundred open tasks of each day, as departments do between two refreshes.
    static func touch(days: [CivilDate], zone: TimeZone, database: Database, logger: Logger) async throws -> Int {
        var touched = 0
        for day in days {
            touched += try await database.withSystemTransaction { connection in
                let rows = try await connection.query(
                    """
                    WITH picked AS (
                        SELECT t.task_id FROM issues i JOIN tasks t ON t.tenant_id = i.tenant_id AND t.issue_id = i.issue_id
                        WHERE i.tenant_id = \(tenant) AND i.reported_at >= \(day.start(in: zone)) AND i.reported_at < \(day.adding(days: 1).start(in: zone))
                          AND t.state = 'dispatched'
                        LIMIT 100
                    ), done AS (
                        UPDATE tasks t SET state = 'acknowledged', acknowledged_at = t.dispatched_at + interval '2 hours', row_version = t.row_version + 1
                        FROM picked p WHERE t.tenant_id = \(tenant) AND t.task_id = p.task_id RETURNING 1
                    )
                    SELECT count(*)::int8 FROM done
                    """, logger: logger)
                for try await n in rows.decode(Int64.self) { return Int(n) }
                return 0
            }
        }
        return touched
    }

    /// `count` issues reported evenly over `[from, to)` in the tenant's compounds and types, with
    /// two tasks each (none for the one in twenty waiting for triage): six in ten closed (half
    /// with a return visit), the rest open at various steps; a rung on one task in ten.
    static func seed(_ count: Int, from: Date, to: Date, routing: TenantRouting.Tenant, database: Database, logger: Logger) async throws {
        let compounds = routing.directory.compounds.map(\.compound.code)
        let types = routing.typeClasses.keys.sorted()
        let departments = routing.directory.departments.filter { $0.kind != .office && $0.kind != .leadership }.map(\.code)
        guard departments.count >= 2, !compounds.isEmpty, !types.isEmpty else { throw CommandFailure("the tenant needs compounds, types and two departments") }
        let step = to.timeIntervalSince(from) / Double(count)
        let chunk = 100_000
        var done = 0
        let started = ContinuousClock.now
        while done < count {
            let n = min(chunk, count - done)
            let offset = done
            try await database.withSystemTransaction { connection in
                try await connection.query(
                    """
                    WITH inserted AS (
                        INSERT INTO issues (tenant_id, channel, compound_code, issue_type, description, reported_at, received_at, state, satisfaction, closed_at)
                        SELECT \(tenant), 'inspection', (\(compounds)::text[])[1 + g % \(compounds.count)],
                               CASE WHEN g % 20 = 0 THEN NULL ELSE (\(types)::text[])[1 + (g / 7) % \(types.count)] END,
                               '基准问题 ' || g, at, at,
                               CASE WHEN g % 20 = 0 THEN 'triage' WHEN g % 10 < 6 THEN 'closed' ELSE 'open' END,
                               CASE WHEN g % 20 <> 0 AND g % 10 < 6 AND g % 2 = 0 THEN (ARRAY['satisfied', 'basicallySatisfied', 'dissatisfied'])[1 + g % 3] END,
                               CASE WHEN g % 20 <> 0 AND g % 10 < 6 THEN at + interval '6 days' END
                        FROM generate_series(\(offset), \(offset + n - 1)) g,
                             LATERAL (SELECT \(from)::timestamptz + (g * \(step)) * interval '1 second' AS at) t
                        RETURNING issue_id, state, reported_at
                    )
                    INSERT INTO tasks (tenant_id, issue_id, department_code, role, state, list_id, rule, dispatched_at, acknowledge_due, rectify_due,
                                       limits_source, acknowledged_at, rectified_at, verified_at, closed_at, original_rectify_due)
                    SELECT \(tenant), i.issue_id, (\(departments)::text[])[1 + (i.issue_id + k) % \(departments.count)], CASE WHEN k = 0 THEN 'lead' ELSE 'responsible' END,
                           CASE WHEN i.state = 'closed' THEN 'closed' WHEN i.issue_id % 3 = 0 THEN 'rectified' WHEN i.issue_id % 3 = 1 THEN 'acknowledged' ELSE 'dispatched' END,
                           0, 'bench', i.reported_at, i.reported_at + interval '24 hours', i.reported_at + interval '7 days', 'bench',
                           CASE WHEN i.state = 'closed' OR i.issue_id % 3 <> 2 THEN i.reported_at + (i.issue_id % 36) * interval '1 hour' END,
                           CASE WHEN i.state = 'closed' OR i.issue_id % 3 = 0 THEN i.reported_at + (i.issue_id % 9) * interval '1 day' END,
                           CASE WHEN i.state = 'closed' THEN i.reported_at + interval '6 days' END,
                           CASE WHEN i.state = 'closed' THEN i.reported_at + interval '6 days' END,
                           i.reported_at + interval '7 days'
                    FROM inserted i CROSS JOIN (VALUES (0), (1)) AS kk(k)
                    WHERE i.state <> 'triage'
                    """, logger: logger)
            }
            done += n
            let elapsed = milliseconds(ContinuousClock.now - started) / 1000
            BenchCommand.progress("seeded \(done) of \(count) issues (\(String(format: "%.0f", elapsed)) s)")
        }
        try await database.withSystemTransaction { connection in
            try await connection.query(
                """
                INSERT INTO escalations (tenant_id, task_id, issue_id, department_code, track, rung, action, due_at, fired_at, deduction, targets, state)
                SELECT tenant_id, task_id, issue_id, department_code, 'rectify', 'urge', 'urge', rectify_due, rectify_due, 0.5, '{handler}', 'issued'
                FROM tasks WHERE tenant_id = \(tenant) AND task_id % 10 = 0
                """, logger: logger)
        }
        BenchCommand.progress("rungs seeded; VACUUM ANALYZE")
        for table in ["issues", "tasks", "escalations"] {
            try await database.client.query(PostgresQuery(unsafeSQL: "VACUUM ANALYZE \(table)"), logger: logger)
        }
    }
}
