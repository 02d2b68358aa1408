import Foundation
import Logging
import PostgresNIO
import WhistleCore

extension FigureStore {
    /// The group key of an issue (`issue`) and of a task (`task`) in the live statements, where
    /// `s` is the issue and `t` its task.
    static func liveKeys(_ dimension: Dimension, zone: TimeZone) -> (issue: String, task: String) {
        switch dimension {
        case .department:
            return ("t.department_code", "t.department_code")
        case .territory, .community, .compound:
            return ("s.compound_code", "s.compound_code")
        case .type:
            return ("coalesce(s.issue_type, '')", "coalesce(s.issue_type, '')")
        case .month:
            // The zone is the tenant's, from the configuration: a literal, never user input.
            let key = "to_char(s.reported_at AT TIME ZONE '\(zone.identifier.replacingOccurrences(of: "'", with: ""))', 'YYYY-MM')"
            return (key, key)
        }
    }

    /// An issue's live tasks, read by its index for each issue: `OFFSET 0` keeps the planner from
    /// hashing every task of the tenant when it overestimates the issues of a few days.
    static let liveTasks = """
        SELECT t.task_id, t.department_code, t.state, t.acknowledge_due, t.acknowledged_at, t.rectify_due, t.rectified_at, t.verified_at
        FROM tasks t WHERE t.tenant_id = whistle_current_tenant() AND t.issue_id = s.issue_id AND t.state <> 'withdrawn' OFFSET 0
        """

    /// Adds the counts of issues reported in `ranges` and of the `issues` (reported outside them;
    /// three aggregate statements: issues, tasks, rungs), with `now` deciding what is overdue and
    /// which acknowledge limits have passed.
    static func addLive(
        _ dimension: Dimension, into tally: inout Tally, _ connection: PostgresConnection, ranges: [(Date, Date)], issues ids: [Int64] = [],
        now: Date, zone: TimeZone, logger: Logger
    ) async throws {
        let (issueKey, taskKey) = liveKeys(dimension, zone: zone)
        // For departments an issue counts once for each department with a live task on it.
        let issueSource =
            dimension == .department
            ? "scope s CROSS JOIN LATERAL (\(Self.liveTasks)) t GROUP BY 1, s.issue_id, s.state, s.satisfaction, s.rectified"
            : "scope s"
        let scope = """
            WITH scope AS (
                SELECT i.issue_id, i.state, i.satisfaction, i.compound_code, i.issue_type, i.reported_at,
                       i.state = 'closed' OR (k.live > 0 AND k.unrectified = 0) AS rectified
                FROM (SELECT i.* FROM unnest($1::timestamptz[], $2::timestamptz[]) AS r(lo, hi)
                          -- OFFSET 0: each range by the index on (tenant, reported_at), never a scan of every issue.
                          CROSS JOIN LATERAL (SELECT * FROM issues i WHERE i.tenant_id = whistle_current_tenant() AND i.reported_at >= r.lo
                                              AND i.reported_at < r.hi OFFSET 0) i
                      UNION ALL
                      SELECT * FROM issues i WHERE i.tenant_id = whistle_current_tenant() AND i.issue_id = ANY ($3::int8[])) i
                     CROSS JOIN LATERAL (SELECT count(*) AS live, count(*) FILTER (WHERE t.rectified_at IS NULL) AS unrectified
                                         FROM tasks t WHERE t.tenant_id = i.tenant_id AND t.issue_id = i.issue_id AND t.state <> 'withdrawn') k
                WHERE i.state <> 'merged'
            )
            """
        var bindings = PostgresBindings()
        bindings.append(ranges.map(\.0))
        bindings.append(ranges.map(\.1))
        bindings.append(ids)
        let issues = try await connection.query(
            PostgresQuery(
                unsafeSQL: scope + """
                    SELECT key, count(DISTINCT issue_id), count(DISTINCT issue_id) FILTER (WHERE rectified),
                           count(DISTINCT issue_id) FILTER (WHERE state = 'closed'), count(DISTINCT issue_id) FILTER (WHERE satisfaction IS NOT NULL),
                           count(DISTINCT issue_id) FILTER (WHERE satisfaction IN ('satisfied', 'basicallySatisfied')), GROUPING(key)
                    FROM (SELECT \(issueKey) AS key, s.issue_id, s.state, s.satisfaction, s.rectified FROM \(issueSource)) keyed
                    GROUP BY GROUPING SETS ((key), ())
                    """, binds: bindings), logger: logger)
        for try await r in issues.decode((String?, Int, Int, Int, Int, Int, Int).self) {
            let counts = (r.1, r.2, r.3, r.4, r.5)
            if r.6 == 1 { tally.issueTotal.addIssues(counts) } else { tally.update(r.0 ?? "") { $0.addIssues(counts) } }
        }
        var withNow = bindings
        withNow.append(now)
        let tasks = try await connection.query(
            PostgresQuery(
                unsafeSQL: scope + """
                    SELECT \(taskKey), count(*),
                           count(*) FILTER (WHERE t.acknowledge_due IS NOT NULL AND (t.acknowledged_at IS NOT NULL OR t.rectified_at IS NOT NULL OR t.acknowledge_due <= $4)),
                           count(*) FILTER (WHERE coalesce(t.acknowledged_at, t.rectified_at) <= t.acknowledge_due),
                           count(*) FILTER (WHERE t.rectified_at IS NOT NULL),
                           count(*) FILTER (WHERE t.rectified_at IS NOT NULL AND (t.rectify_due IS NULL OR t.rectified_at <= t.rectify_due)),
                           count(*) FILTER (WHERE t.verified_at IS NOT NULL),
                           count(*) FILTER (WHERE t.state = 'closed'),
                           count(*) FILTER (WHERE t.rectified_at IS NULL AND t.rectify_due < $4)
                    FROM scope s CROSS JOIN LATERAL (\(Self.liveTasks)) t
                    GROUP BY 1
                    """, binds: withNow), logger: logger)
        for try await r in tasks.decode((String, Int, Int, Int, Int, Int, Int, Int, Int).self) {
            tally.update(r.0) { c in
                c.addTasks((r.1, r.2, r.3, r.4, r.5, r.6, r.7))
                c.overdueNow += r.8
            }
        }
        // Rungs of the acknowledge and rectify ladders; a notice in draft or rejected deducts nothing.
        let rungs = try await connection.query(
            PostgresQuery(
                unsafeSQL: scope + """
                    SELECT \(taskKey), e.action, count(*), coalesce(sum(e.deduction) FILTER (WHERE e.state NOT IN ('draft', 'rejected')), 0)::float8
                    FROM scope s CROSS JOIN LATERAL (\(Self.liveTasks)) t
                         CROSS JOIN LATERAL (SELECT e.action, e.deduction, e.state FROM escalations e WHERE e.tenant_id = whistle_current_tenant() AND e.task_id = t.task_id OFFSET 0) e
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
