import Foundation
import PostgresNIO
import Testing
import WhistleCore
import WhistleStore
import WhistleTestSupport

/// The figures read from the kept day cells (`figure_cells`, `FigureRefresher`) equal the figures
/// counted live from the issues, tasks and rungs: before any refresh, after one, with days changed
/// since, with periods that do not start or end at midnight, at moments that fall inside a day's
/// limits, and when the tenant's time zone changes under the cells.
@Suite("Figures from kept day cells against figures counted live")
struct FigureKeptDaysTests {
    static let tenant = "wenchanghu"
    static let zone = TimeZone(identifier: "Asia/Shanghai")!

    static func at(_ text: String) -> Date { ISOMoment.parse(text, in: zone)! }

    struct Fixture {
        let db: TestDatabase
        let routing: TenantRouting.Tenant
        let live: FigureStore
        let kept: FigureStore
        /// Counts every changed day live as a whole instead of correcting it by its changed issues.
        let wholeDays: FigureStore
        let refresher: FigureRefresher
    }

    /// 1,500 issues over six weeks with random compounds, types (some missing), states, return
    /// visits and merges; up to three tasks each in every state, some withdrawn, acknowledged and
    /// rectified before or after their limits or not at all; rungs of several actions and states.
    static func fixture() async throws -> Fixture {
        let db = try await TestPostgres.migratedDatabase("figurekept")
        try await db.loadSampleConfiguration()
        let config = try ConfigDirectory.read(TestPostgres.configDirectory)
        let routing = try #require(TenantRouting(config).tenants[tenant])
        let compounds = routing.directory.compounds.map(\.compound.code)
        let types = routing.typeClasses.keys.sorted()
        let departments = routing.directory.departments.map(\.code)
        let list = try #require(try await db.scalar("SELECT min(list_id) FROM liability_lists WHERE tenant_id = \(tenant)", as: Int64.self))
        let from = at("2026-10-15T00:00")
        try await db.database.withSystemTransaction { connection in
            try await connection.query("SELECT setseed(0.42)", logger: TestPostgres.logger)
            try await connection.query(
                """
                INSERT INTO issues (tenant_id, channel, compound_code, issue_type, description, reported_at, received_at, state, satisfaction, closed_at)
                SELECT \(tenant), 'inspection', (\(compounds)::text[])[1 + floor(random() * \(compounds.count))::int],
                       CASE WHEN random() < 0.1 THEN NULL ELSE (\(types)::text[])[1 + floor(random() * \(types.count))::int] END,
                       '测试问题 ' || g, at, at, state,
                       CASE WHEN state = 'closed' AND random() < 0.6 THEN (ARRAY['satisfied', 'basicallySatisfied', 'dissatisfied'])[1 + floor(random() * 3)::int] END,
                       CASE WHEN state = 'closed' THEN at + interval '5 days' END
                FROM generate_series(1, 1500) g,
                     LATERAL (SELECT \(from)::timestamptz + random() * interval '42 days' AS at,
                                     (ARRAY['triage', 'open', 'open', 'closed', 'closed'])[1 + floor(random() * 5)::int] AS state
                              WHERE g > 0) x
                """, logger: TestPostgres.logger)
            try await connection.query(
                """
                INSERT INTO tasks (tenant_id, issue_id, department_code, role, state, list_id, rule, dispatched_at, acknowledge_due, rectify_due,
                                   limits_source, acknowledged_at, rectified_at, verified_at, closed_at)
                SELECT \(tenant), i.issue_id, (\(departments)::text[])[1 + (i.issue_id + k * 3) % \(departments.count)],
                       CASE WHEN k = 0 THEN 'lead' ELSE 'responsible' END,
                       x.state, \(list), 'test', i.reported_at,
                       CASE WHEN random() < 0.9 THEN i.reported_at + interval '1 day' * (0.2 + random() * 2) END,
                       CASE WHEN random() < 0.95 THEN i.reported_at + interval '1 day' * (2 + random() * 10) END,
                       'test',
                       CASE WHEN x.state <> 'dispatched' AND random() < 0.85 THEN i.reported_at + interval '1 hour' * random() * 60 END,
                       CASE WHEN x.state IN ('rectified', 'verified', 'closed') OR (x.state = 'withdrawn' AND random() < 0.5)
                            THEN i.reported_at + interval '1 day' * random() * 14 END,
                       CASE WHEN x.state IN ('verified', 'closed') THEN i.reported_at + interval '15 days' END,
                       CASE WHEN x.state = 'closed' THEN i.reported_at + interval '16 days' END
                FROM issues i CROSS JOIN generate_series(0, 2) k,
                     LATERAL (SELECT CASE WHEN i.state = 'closed' THEN 'closed'
                                          ELSE (ARRAY['dispatched', 'acknowledged', 'inProgress', 'disputed', 'rectified', 'verified', 'withdrawn'])[1 + floor(random() * 7)::int]
                                     END AS state, random() AS keep WHERE k >= 0) x
                WHERE i.tenant_id = \(tenant) AND i.state <> 'triage' AND (k = 0 OR x.keep < 0.5)
                """, logger: TestPostgres.logger)
            try await connection.query(
                """
                INSERT INTO escalations (tenant_id, task_id, issue_id, department_code, track, rung, action, due_at, fired_at, deduction, targets, state)
                SELECT tenant_id, task_id, issue_id, department_code, 'rectify', r.rung, r.rung, rectify_due, rectify_due, r.deduction, '{handler}',
                       (ARRAY['issued', 'issued', 'draft', 'rejected', 'approved'])[1 + floor(random() * 5)::int]
                FROM tasks CROSS JOIN (VALUES ('remind', 0.0), ('urge', 0.5), ('notice', 2.0)) AS r(rung, deduction)
                WHERE tenant_id = \(tenant) AND rectify_due IS NOT NULL AND random() < 0.3
                """, logger: TestPostgres.logger)
            // Merged duplicates: counted nowhere, their tasks withdrawn.
            try await connection.query(
                """
                WITH merged AS (
                    UPDATE issues SET state = 'merged', duplicate_of = issue_id - 1
                    WHERE tenant_id = \(tenant) AND issue_id % 17 = 0 AND state = 'open' RETURNING issue_id
                )
                UPDATE tasks SET state = 'withdrawn' WHERE tenant_id = \(tenant) AND issue_id IN (SELECT issue_id FROM merged)
                """, logger: TestPostgres.logger)
        }
        return Fixture(
            db: db, routing: routing, live: FigureStore(database: db.database, usesKeptDays: false), kept: FigureStore(database: db.database),
            wholeDays: FigureStore(database: db.database, changedIssuesPerDay: 0),
            refresher: FigureRefresher(database: db.database, logger: TestPostgres.logger))
    }

    /// Periods: whole days, a month, ones starting and ending inside a day, one shorter than a day.
    static let periods: [(String, String)] = [
        ("2026-11-01T00:00", "2026-12-01T00:00"),
        ("2026-10-01T00:00", "2027-01-01T00:00"),
        ("2026-10-20T13:30", "2026-11-10T08:00"),
        ("2026-11-05T00:00", "2026-11-06T00:00"),
        ("2026-11-05T09:00", "2026-11-05T17:00"),
        ("2026-11-05T09:00", "2026-11-07T17:00"),
    ]
    /// Moments: inside the period (limits falling that very day), after it, before it.
    static let moments = ["2026-11-12T10:15", "2026-11-30T23:59", "2026-12-20T09:00", "2026-10-10T09:00"]

    /// Every dimension, period and moment (or, where both read live anyway, one of each): the
    /// kept figures equal the live ones.
    func expectSame(_ f: Fixture, _ comment: String, everyCase: Bool = true, wholeDays: Bool = false) async throws {
        let kept = wholeDays ? f.wholeDays : f.kept
        for dimension in everyCase ? FigureStore.Dimension.allCases : [.department, .month] {
            for (from, to) in everyCase ? Self.periods : [Self.periods[2]] {
                for now in everyCase ? Self.moments : [Self.moments[0]] {
                    let args = (dimension, Self.at(from), Self.at(to), Self.at(now))
                    async let liveTable = f.live.table(by: args.0, tenant: Self.tenant, routing: f.routing, from: args.1, to: args.2, now: args.3)
                    async let keptTable = kept.table(by: args.0, tenant: Self.tenant, routing: f.routing, from: args.1, to: args.2, now: args.3)
                    let (live, kept) = try await (liveTable, keptTable)
                    #expect(kept.groups == live.groups, "\(comment): \(dimension) \(from)–\(to) at \(now)")
                    #expect(kept.total == live.total, "\(comment): total by \(dimension) \(from)–\(to) at \(now)")
                }
            }
        }
    }

    /// Every kept row of the tenant (cells, pending, rungs), in order, as text.
    func keptRows(_ f: Fixture) async throws -> String {
        var rows: [String] = []
        for table in ["figure_cells", "figure_pending", "figure_rungs"] {
            let text = try await f.db.scalar(
                PostgresQuery(
                    unsafeSQL: "SELECT string_agg(t::text, E'\\n' ORDER BY t::text) FROM \(table) t WHERE tenant_id = $1",
                    binds: { var b = PostgresBindings(); b.append(Self.tenant); return b }()), as: String.self)
            rows.append(text ?? "")
        }
        #expect(rows.allSatisfy { $0.count > 1000 })
        return rows.joined(separator: "\n--\n")
    }

    func changedDays(_ f: Fixture) async throws -> Int {
        try await f.db.scalar("SELECT count(DISTINCT day)::int8 FROM figure_changes WHERE tenant_id = \(Self.tenant)", as: Int64.self).map(Int.init) ?? 0
    }

    @Test("the kept figures equal the live ones before a refresh, after one, with changed days, and across a time zone change")
    func keptEqualsLive() async throws {
        let f = try await Self.fixture()
        let total = try await f.live.table(by: .department, tenant: Self.tenant, routing: f.routing, from: Self.at("2026-10-01T00:00"), to: Self.at("2027-01-01T00:00"), now: Self.at("2026-11-12T10:15")).total
        // The fixture is rich enough to tell things apart.
        #expect(total.received > 1000 && total.tasks > 1500 && total.overdueNow > 50 && total.deductions > 50)
        #expect(total.acknowledgeDecided > total.acknowledgedInTime && total.escalations.count == 3)

        try await expectSame(f, "never refreshed", everyCase: false)
        let days = try await f.refresher.refresh(tenant: Self.tenant)
        #expect(days == 42 || days == 43)
        #expect(try await changedDays(f) == 0)
        #expect(try await f.db.scalar("SELECT count(*)::int8 FROM figure_cells WHERE tenant_id = \(Self.tenant)", as: Int64.self) ?? 0 > 1000)
        try await expectSame(f, "refreshed")
        #expect(try await f.refresher.refresh(tenant: Self.tenant) == 0)

        // A day's work after the refresh: reports in, rectifications, a withdrawal, a closed issue, a rung, a new issue.
        try await f.db.database.withSystemTransaction { connection in
            try await connection.query(
                """
                UPDATE tasks SET state = 'acknowledged', acknowledged_at = dispatched_at + interval '3 hours'
                WHERE tenant_id = \(Self.tenant) AND state = 'dispatched' AND task_id % 5 = 0
                """, logger: TestPostgres.logger)
            try await connection.query(
                """
                UPDATE tasks SET state = 'rectified', rectified_at = dispatched_at + interval '4 days'
                WHERE tenant_id = \(Self.tenant) AND state IN ('acknowledged', 'inProgress') AND task_id % 7 = 0
                """, logger: TestPostgres.logger)
            try await connection.query(
                "UPDATE tasks SET state = 'withdrawn' WHERE tenant_id = \(Self.tenant) AND state = 'dispatched' AND task_id % 11 = 1",
                logger: TestPostgres.logger)
            try await connection.query(
                "UPDATE issues SET state = 'closed', satisfaction = 'satisfied' WHERE tenant_id = \(Self.tenant) AND state = 'open' AND issue_id % 13 = 2",
                logger: TestPostgres.logger)
            try await connection.query(
                """
                INSERT INTO escalations (tenant_id, task_id, issue_id, department_code, track, rung, action, due_at, fired_at, deduction, targets, state)
                SELECT tenant_id, task_id, issue_id, department_code, 'acknowledge', 'talk', 'talk', acknowledge_due, acknowledge_due, 1.5, '{leader}', 'issued'
                FROM tasks WHERE tenant_id = \(Self.tenant) AND acknowledge_due IS NOT NULL AND task_id % 19 = 3
                """, logger: TestPostgres.logger)
            try await connection.query(
                """
                INSERT INTO issues (tenant_id, channel, compound_code, description, reported_at, received_at, state)
                SELECT tenant_id, 'hotline', compound_code, '新问题', reported_at + interval '1 minute', reported_at, 'triage'
                FROM issues WHERE tenant_id = \(Self.tenant) ORDER BY issue_id LIMIT 3
                """, logger: TestPostgres.logger)
        }
        let changed = try await changedDays(f)
        #expect(changed > 10)
        // Each change names its issue: the days are corrected by those issues, not recounted.
        #expect(try await f.db.scalar("SELECT count(*)::int8 FROM figure_changes WHERE tenant_id = \(Self.tenant) AND issue_id IS NULL", as: Int64.self) == 0)
        try await expectSame(f, "changed since the refresh")
        try await expectSame(f, "changed since the refresh, whole days recounted", wholeDays: true)
        #expect(try await f.refresher.refresh(tenant: Self.tenant) == changed)
        try await expectSame(f, "refreshed again")
        // Refreshed by the changed issues alone, the kept rows are exactly what rebuilding gives.
        let incremental = try await keptRows(f)
        try await f.db.database.withSystemTransaction { connection in
            try await connection.query("DELETE FROM figure_rollups WHERE tenant_id = \(Self.tenant)", logger: TestPostgres.logger)
        }
        try await f.refresher.refresh(tenant: Self.tenant)
        let rebuilt = try await keptRows(f)
        let (was, now) = (Set(incremental.split(separator: "\n")), Set(rebuilt.split(separator: "\n")))
        #expect(rebuilt == incremental, "only incremental: \(was.subtracting(now).sorted().prefix(5)); only rebuilt: \(now.subtracting(was).sorted().prefix(5))")

        // A zone change: read live until the cells are rebuilt in the new zone, then from them.
        try await f.db.database.withSystemTransaction { connection in
            try await connection.query("UPDATE tenants SET time_zone = 'Asia/Tokyo' WHERE tenant_id = \(Self.tenant)", logger: TestPostgres.logger)
        }
        try await expectSame(f, "zone changed, not rebuilt", everyCase: false)
        try await f.refresher.refresh(tenant: Self.tenant)
        #expect(try await f.db.scalar("SELECT time_zone FROM figure_rollups WHERE tenant_id = \(Self.tenant)", as: String.self) == "Asia/Tokyo")
        try await expectSame(f, "cells in another zone")
        try await f.db.database.withSystemTransaction { connection in
            try await connection.query("UPDATE tenants SET time_zone = 'Asia/Shanghai' WHERE tenant_id = \(Self.tenant)", logger: TestPostgres.logger)
        }
        try await f.refresher.refresh(tenant: Self.tenant)
        try await expectSame(f, "rebuilt in the tenant's zone")
    }

    @Test("the cells are what a refreshed day is read from, and a change row sends the day back to the live count")
    func cellsAreRead() async throws {
        let f = try await Self.fixture()
        try await f.refresher.refresh(tenant: Self.tenant)
        let (from, to, now) = (Self.at("2026-11-01T00:00"), Self.at("2026-12-01T00:00"), Self.at("2026-11-12T10:15"))
        let before = try await f.kept.table(by: .month, tenant: Self.tenant, routing: f.routing, from: from, to: to, now: now).total
        try await f.db.database.withSystemTransaction { connection in
            try await connection.query(
                "UPDATE figure_cells SET received = received + 1000 WHERE tenant_id = \(Self.tenant) AND dim = 'all' AND day = '2026-11-03'",
                logger: TestPostgres.logger)
        }
        let tampered = try await f.kept.table(by: .month, tenant: Self.tenant, routing: f.routing, from: from, to: to, now: now).total
        #expect(tampered.received == before.received + 1000)
        let live = try await f.live.table(by: .month, tenant: Self.tenant, routing: f.routing, from: from, to: to, now: now).total
        #expect(live.received == before.received)
        try await f.db.database.withSystemTransaction { connection in
            try await connection.query("INSERT INTO figure_changes (tenant_id, day) VALUES (\(Self.tenant), '2026-11-03')", logger: TestPostgres.logger)
        }
        let relive = try await f.kept.table(by: .month, tenant: Self.tenant, routing: f.routing, from: from, to: to, now: now).total
        #expect(relive == before)
        #expect(try await f.refresher.refresh(tenant: Self.tenant) == 1)
        #expect(try await f.kept.table(by: .month, tenant: Self.tenant, routing: f.routing, from: from, to: to, now: now).total == before)
    }

    @Test("a changed issue's facts at the refresh are what its day's cells are corrected by")
    func factsAreRead() async throws {
        let f = try await Self.fixture()
        try await f.refresher.refresh(tenant: Self.tenant)
        let (from, to, now) = (Self.at("2026-11-01T00:00"), Self.at("2026-12-01T00:00"), Self.at("2026-11-12T10:15"))
        let before = try await f.kept.table(by: .type, tenant: Self.tenant, routing: f.routing, from: from, to: to, now: now)
        let issue = try #require(
            try await f.db.scalar(
                """
                SELECT min(issue_id) FROM figure_facts
                WHERE tenant_id = \(Self.tenant) AND state = 'open' AND day >= '2026-11-02' AND day < '2026-11-30' AND task_id IS NOT NULL
                """, as: Int64.self))
        // The facts say closed, the issue is open: once the issue counts as changed, the cells
        // (open) less its facts (closed) plus the issue itself (open) is one closed issue fewer.
        try await f.db.database.withSystemTransaction { connection in
            try await connection.query(
                "UPDATE figure_facts SET state = 'closed' WHERE tenant_id = \(Self.tenant) AND issue_id = \(issue)", logger: TestPostgres.logger)
        }
        #expect(try await f.kept.table(by: .type, tenant: Self.tenant, routing: f.routing, from: from, to: to, now: now).total == before.total)
        try await f.db.database.withSystemTransaction { connection in
            try await connection.query(
                """
                INSERT INTO figure_changes (tenant_id, day, issue_id)
                SELECT tenant_id, day, issue_id FROM figure_facts WHERE tenant_id = \(Self.tenant) AND issue_id = \(issue) LIMIT 1
                """, logger: TestPostgres.logger)
        }
        let corrected = try await f.kept.table(by: .type, tenant: Self.tenant, routing: f.routing, from: from, to: to, now: now)
        #expect(corrected.total.issuesClosed == before.total.issuesClosed - 1)
        #expect(corrected.total.received == before.total.received)
        // Counted live as a whole, the day does not read the facts.
        let whole = try await f.wholeDays.table(by: .type, tenant: Self.tenant, routing: f.routing, from: from, to: to, now: now)
        #expect(whole.groups == before.groups && whole.total == before.total)
        // The refresh takes the issue out of its day by its facts too: the tampered difference
        // stays in the cells...
        #expect(try await f.refresher.refresh(tenant: Self.tenant) == 1)
        let refreshed = try await f.kept.table(by: .type, tenant: Self.tenant, routing: f.routing, from: from, to: to, now: now)
        #expect(refreshed.total.issuesClosed == before.total.issuesClosed - 1)
        // ...until the day is recomputed whole.
        try await f.db.database.withSystemTransaction { connection in
            try await connection.query(
                """
                INSERT INTO figure_changes (tenant_id, day)
                SELECT tenant_id, day FROM figure_facts WHERE tenant_id = \(Self.tenant) AND issue_id = \(issue) LIMIT 1
                """, logger: TestPostgres.logger)
        }
        #expect(try await f.refresher.refresh(tenant: Self.tenant) == 1)
        let rebuilt = try await f.kept.table(by: .type, tenant: Self.tenant, routing: f.routing, from: from, to: to, now: now)
        #expect(rebuilt.groups == before.groups && rebuilt.total == before.total)
    }

    @Test("the drained change log is truncated; one with a change row left never is")
    func changeLogCompacted() async throws {
        let f = try await Self.fixture()
        let size = { try await f.db.scalar("SELECT pg_relation_size('figure_changes')::int8", as: Int64.self) ?? -1 }
        #expect(try await size() > 0)
        // Not worth a lock below the threshold.
        #expect(try await f.refresher.compactChanges() == false)
        // Changes waiting: never truncated.
        #expect(try await f.refresher.compactChanges(minimumBytes: 0) == false)
        #expect(try await changedDays(f) > 40)
        try await f.refresher.refresh(tenant: Self.tenant)
        #expect(try await f.refresher.compactChanges(minimumBytes: 0))
        #expect(try await size() == 0)
        // Changes after it are recorded and counted as before.
        try await f.db.database.withSystemTransaction { connection in
            try await connection.query(
                "UPDATE tasks SET state = 'acknowledged', acknowledged_at = dispatched_at WHERE tenant_id = \(Self.tenant) AND state = 'dispatched' AND task_id % 3 = 0",
                logger: TestPostgres.logger)
        }
        #expect(try await changedDays(f) > 10)
        try await expectSame(f, "changed after the log was compacted", everyCase: false)
    }

    @Test("a tenant's session reads its own cells only and cannot refresh them")
    func cellsAreWalled() async throws {
        let f = try await Self.fixture()
        try await f.refresher.refresh(tenant: Self.tenant)
        let seen = try await f.db.database.withTenant("yongning") { connection in
            let rows = try await connection.query("SELECT count(*)::int8 FROM figure_cells", logger: TestPostgres.logger)
            for try await n in rows.decode(Int64.self) { return n }
            return -1
        }
        #expect(seen == 0)
        await #expect(throws: (any Error).self) {
            try await f.db.database.withTenant(Self.tenant) { connection in
                try await connection.query("SELECT figure_refresh(\(Self.tenant), 1)", logger: TestPostgres.logger)
            }
        }
    }
}
