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

    /// The days in `[from, to)` changed since their cells were computed.
    static func changedDays(_ connection: PostgresConnection, from: CivilDate, to: CivilDate, logger: Logger) async throws -> [CivilDate] {
        let rows = try await connection.query(
            """
            SELECT DISTINCT day::text FROM figure_changes
            WHERE tenant_id = whistle_current_tenant() AND day >= \(from.description)::date AND day < \(to.description)::date
            """, logger: logger)
        var days: [CivilDate] = []
        for try await text in rows.decode(String.self) {
            if let day = CivilDate(text) { days.append(day) }
        }
        return days
    }

    /// Adds the kept counts of the days `[from, to)` except the changed ones: the day cells, the
    /// open tasks whose limit fell on a day before `now`'s, and, live, those whose limit falls
    /// earlier on `now`'s day.
    static func addKept(
        _ dimension: Dimension, into tally: inout Tally, _ connection: PostgresConnection, from: CivilDate, to: CivilDate,
        changed: [CivilDate], now: Date, zone: TimeZone, logger: Logger
    ) async throws {
        let (dim, totalDim, key): (String, String, String) =
            switch dimension {
            case .department: ("department", "tasked", "key")
            case .territory, .community, .compound: ("compound", "all", "key")
            case .type: ("type", "all", "key")
            case .month: ("all", "all", "to_char(day, 'YYYY-MM')")
            }
        let days = """
            tenant_id = whistle_current_tenant() AND day >= $2::date AND day < $3::date AND NOT (day = ANY ($4::text[]::date[]))
            """
        // $1 the dimension, $2 and $3 the days, $4 the changed days left out.
        func daysBindings(_ dim: String) -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(dim)
            bindings.append(from.description)
            bindings.append(to.description)
            bindings.append(changed.map(\.description))
            return bindings
        }
        let bindings = daysBindings(dim)
        let cells = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT \(key), sum(received), sum(issues_rectified), sum(issues_closed), sum(return_visits), sum(satisfied), sum(tasks),
                           sum(acknowledge_settled), sum(acknowledged_in_time), sum(tasks_rectified), sum(rectified_in_time), sum(tasks_verified),
                           sum(tasks_closed)
                    FROM figure_cells WHERE dim = $1 AND \(days)
                    GROUP BY 1
                    """, binds: bindings), logger: logger)
        for try await r in cells.decode((String, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int).self) {
            tally.update(r.0) { c in
                c.addIssues((r.1, r.2, r.3, r.4, r.5))
                c.addTasks((r.6, r.7, r.8, r.9, r.10, r.11, r.12))
            }
        }
        let totalBindings = daysBindings(totalDim)
        let totals = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT coalesce(sum(received), 0), coalesce(sum(issues_rectified), 0), coalesce(sum(issues_closed), 0),
                           coalesce(sum(return_visits), 0), coalesce(sum(satisfied), 0)
                    FROM figure_cells WHERE dim = $1 AND \(days)
                    """, binds: totalBindings), logger: logger)
        for try await r in totals.decode((Int, Int, Int, Int, Int).self) {
            tally.issueTotal.addIssues(r)
        }
        // Limits on days before today's have passed whatever the hour; today's are counted live.
        let today = CivilDate(now, in: zone)
        var pendingBindings = bindings
        pendingBindings.append(today.description)
        let pending = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT \(key), coalesce(sum(acknowledge) FILTER (WHERE due_day < $5::date), 0), coalesce(sum(rectify) FILTER (WHERE due_day < $5::date), 0)
                    FROM figure_pending WHERE dim = $1 AND \(days) AND due_day <= $5::date
                    GROUP BY 1
                    """, binds: pendingBindings), logger: logger)
        for try await r in pending.decode((String, Int, Int).self) {
            tally.update(r.0) { c in
                c.acknowledgeDecided += r.1
                c.overdueNow += r.2
            }
        }
        let taskKey = liveKeys(dimension, zone: zone).task
        let literalZone = zone.identifier.replacingOccurrences(of: "'", with: "")
        var todayBindings = PostgresBindings()
        todayBindings.append(today.start(in: zone))
        todayBindings.append(now)
        todayBindings.append(from.start(in: zone))
        todayBindings.append(to.start(in: zone))
        todayBindings.append(changed.map(\.description))
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
                    GROUP BY 1
                    """, binds: todayBindings), logger: logger)
        for try await r in todays.decode((String, Int, Int).self) {
            tally.update(r.0) { c in
                c.acknowledgeDecided += r.1
                c.overdueNow += r.2
            }
        }
        let rungs = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT \(key), action, sum(escalations), sum(deductions)::float8
                    FROM figure_rungs WHERE dim = $1 AND \(days)
                    GROUP BY 1, 2
                    """, binds: bindings), logger: logger)
        for try await r in rungs.decode((String, String, Int, Double).self) {
            tally.update(r.0) { c in
                c.escalations[r.1, default: 0] += r.2
                c.deductions += r.3
            }
        }
    }
}
