import Foundation
import Logging
import PostgresNIO
import WhistleCore

extension FigureStore {
    /// The zone the tenant's day cells were built in; nil when they have never been built.
    static func keptZone(_ connection: PostgresConnection, logger: Logger) async throws -> String? {
        let rows = try await connection.query("SELECT time_zone FROM figure_rollups WHERE tenant_id = whistle_current_tenant()", logger: logger)
        for try await zone in rows.decode(String.self) { return zone }
        return nil
    }

    /// What changed in the days `[from, to)` since their cells were computed.
    struct Changes {
        /// Days counted live as a whole: rebuilt ones (a change row without an issue) and those
        /// with more than the limit's changed issues.
        var wholeDays: [CivilDate] = []
        /// The changed issues of the other days: their cells are corrected by these issues only.
        var issues: [Int64] = []
    }

    /// The changes in `[from, to)`; a day with more than `issueLimit` changed issues is a whole day.
    static func changes(
        _ connection: PostgresConnection, from: CivilDate, to: CivilDate, issueLimit: Int, logger: Logger
    ) async throws -> Changes {
        let rows = try await connection.query(
            """
            SELECT day::text, whole, CASE WHEN whole THEN NULL ELSE issues END
            FROM (SELECT day, bool_or(issue_id IS NULL) OR count(DISTINCT issue_id) > \(issueLimit) AS whole,
                         array_agg(DISTINCT issue_id) AS issues
                  FROM figure_changes
                  WHERE tenant_id = whistle_current_tenant() AND day >= \(from.description)::date AND day < \(to.description)::date
                  GROUP BY day) c
            """, logger: logger)
        var changes = Changes()
        for try await (text, whole, issues) in rows.decode((String, Bool, [Int64]?).self) {
            guard let day = CivilDate(text) else { continue }
            if whole {
                changes.wholeDays.append(day)
            } else {
                changes.issues += issues ?? []
            }
        }
        return changes
    }

    /// Where kept counts are read from.
    enum KeptSource {
        /// The day cells, but for the days counted live as a whole; today's due tasks are counted
        /// live, but for the changed issues (counted live in full).
        case cells(wholeDays: [CivilDate], changedIssues: [Int64])
        /// What the cells hold for these issues: their facts at the last refresh, aggregated as
        /// the cells are (`figure_fact_cells` and its siblings), to be taken away.
        case facts([Int64])
    }

    /// Adds `sign` times the kept counts of the days `[from, to)` read from `source`: the day
    /// cells, the open tasks whose limit fell on a day before `now`'s, the rungs; and, for the
    /// cells, live, the open tasks whose limit falls earlier on `now`'s day.
    static func addKept(
        _ dimension: Dimension, into tally: inout Tally, _ connection: PostgresConnection, source: KeptSource, sign: Int = 1,
        from: CivilDate, to: CivilDate, now: Date, zone: TimeZone, logger: Logger
    ) async throws {
        let (dim, totalDim, key): (String, String, String) =
            switch dimension {
            case .department: ("department", "tasked", "key")
            case .territory, .community, .compound: ("compound", "all", "key")
            case .type: ("type", "all", "key")
            case .month: ("all", "all", "to_char(day, 'YYYY-MM')")
            }
        // The zone is the tenant's, from the configuration: a literal, never user input.
        let literalZone = zone.identifier.replacingOccurrences(of: "'", with: "")
        let inDays = "day >= $2::date AND day < $3::date"
        // The rows of `table` (cells, pending, rungs) of the dimensions `dims`: $1 the dimension,
        // $2 and $3 the days, $4 the whole days left out or the changed issues.
        func rows(_ table: String, dims: String) -> String {
            guard case .facts = source else {
                return "figure_\(table) WHERE \(dims) AND tenant_id = whistle_current_tenant() AND \(inDays) AND NOT (day = ANY ($4::text[]::date[]))"
            }
            let function =
                switch table {
                case "cells": "figure_fact_cells(whistle_current_tenant(), NULL, $4::int8[])"
                case "pending": "figure_fact_pending(whistle_current_tenant(), NULL, $4::int8[], '\(literalZone)')"
                default: "figure_fact_rung_cells(whistle_current_tenant(), NULL, $4::int8[])"
                }
            return "\(function) WHERE \(dims) AND \(inDays)"
        }
        var bindings = PostgresBindings()
        bindings.append(dim)
        bindings.append(from.description)
        bindings.append(to.description)
        switch source {
        case .cells(let wholeDays, _): bindings.append(wholeDays.map(\.description))
        case .facts(let issues): bindings.append(issues)
        }
        let s = sign
        // The dimension's groups and, from the total's dimension ($5), the table's issues, in one statement.
        var cellBindings = bindings
        cellBindings.append(totalDim)
        let cells = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT dim, \(key), sum(received), sum(issues_rectified), sum(issues_closed), sum(return_visits), sum(satisfied), sum(tasks),
                           sum(acknowledge_settled), sum(acknowledged_in_time), sum(tasks_rectified), sum(rectified_in_time), sum(tasks_verified),
                           sum(tasks_closed)
                    FROM \(rows("cells", dims: "dim IN ($1, $5)"))
                    GROUP BY 1, 2
                    """, binds: cellBindings), logger: logger)
        for try await r in cells.decode((String, String, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int).self) {
            let issues = (s * r.2, s * r.3, s * r.4, s * r.5, s * r.6)
            if r.0 == dim {
                tally.update(r.1) { c in
                    c.addIssues(issues)
                    c.addTasks((s * r.7, s * r.8, s * r.9, s * r.10, s * r.11, s * r.12, s * r.13))
                }
            }
            if r.0 == totalDim { tally.issueTotal.addIssues(issues) }
        }
        // Limits on days before today's have passed whatever the hour; today's are counted live.
        let today = CivilDate(now, in: zone)
        var pendingBindings = bindings
        pendingBindings.append(today.description)
        let pending = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT \(key), coalesce(sum(acknowledge) FILTER (WHERE due_day < $5::date), 0), coalesce(sum(rectify) FILTER (WHERE due_day < $5::date), 0)
                    FROM \(rows("pending", dims: "dim = $1")) AND due_day <= $5::date
                    GROUP BY 1
                    """, binds: pendingBindings), logger: logger)
        for try await r in pending.decode((String, Int, Int).self) {
            tally.update(r.0) { c in
                c.acknowledgeDecided += s * r.1
                c.overdueNow += s * r.2
            }
        }
        if case .cells(let wholeDays, let changedIssues) = source {
            let taskKey = liveKeys(dimension, zone: zone).task
            var todayBindings = PostgresBindings()
            todayBindings.append(today.start(in: zone))
            todayBindings.append(now)
            todayBindings.append(from.start(in: zone))
            todayBindings.append(to.start(in: zone))
            todayBindings.append(wholeDays.map(\.description))
            todayBindings.append(changedIssues)
            let todays = try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT \(taskKey),
                               count(*) FILTER (WHERE t.acknowledge_due >= $1 AND t.acknowledge_due <= $2 AND t.acknowledged_at IS NULL AND t.rectified_at IS NULL),
                               count(*) FILTER (WHERE t.rectify_due >= $1 AND t.rectify_due < $2 AND t.rectified_at IS NULL)
                        FROM tasks t JOIN issues s ON s.tenant_id = whistle_current_tenant() AND s.issue_id = t.issue_id
                        WHERE t.tenant_id = whistle_current_tenant() AND t.state <> 'withdrawn'
                          AND ((t.acknowledge_due >= $1 AND t.acknowledge_due <= $2 AND t.acknowledged_at IS NULL AND t.rectified_at IS NULL)
                               OR (t.rectify_due >= $1 AND t.rectify_due < $2 AND t.rectified_at IS NULL))
                          AND s.state <> 'merged' AND s.reported_at >= $3 AND s.reported_at < $4
                          AND NOT ((s.reported_at AT TIME ZONE '\(literalZone)')::date = ANY ($5::text[]::date[]))
                          AND NOT (s.issue_id = ANY ($6::int8[]))
                        GROUP BY 1
                        """, binds: todayBindings), logger: logger)
            for try await r in todays.decode((String, Int, Int).self) {
                tally.update(r.0) { c in
                    c.acknowledgeDecided += r.1
                    c.overdueNow += r.2
                }
            }
        }
        let rungs = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT \(key), action, sum(escalations), sum(deductions)::float8
                    FROM \(rows("rungs", dims: "dim = $1"))
                    GROUP BY 1, 2
                    """, binds: bindings), logger: logger)
        for try await r in rungs.decode((String, String, Int, Double).self) {
            tally.update(r.0) { c in
                c.escalations[r.1, default: 0] += s * r.2
                c.deductions += Double(s) * r.3
            }
        }
    }
}
