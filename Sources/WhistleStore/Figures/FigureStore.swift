import Foundation
import Logging
import PostgresNIO
import WhistleCore

/// Counts the figures of issues reported in a period, grouped by department, territory,
/// community, compound, issue type or month. Three aggregate statements (issues, tasks, rungs),
/// whatever the number of groups; territories and communities are compounds rolled up.
public struct FigureStore: Sendable {
    public let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// What the figures are grouped by.
    public enum Dimension: String, Sendable, CaseIterable {
        case department, territory, community, compound, type, month

        /// The name users read.
        public var title: String {
            switch self {
            case .department: "部门"
            case .territory: "镇街"
            case .community: "社区"
            case .compound: "小区"
            case .type: "问题类型"
            case .month: "月份"
            }
        }
    }

    /// A table of figures: its groups and their total.
    public struct Table: Sendable {
        public var groups: [FigureGroup]
        /// Issues are counted once however many departments have a task on them (so the total of
        /// departments counts the issues with a task; tasks and rungs simply add up).
        public var total: FigureCounts
    }

    /// The groups of `dimension` for issues reported in `[from, to)`, with `now` deciding what is
    /// overdue and which acknowledge limits have passed. Every department, territory, community
    /// and compound of the directory is listed, with zero counts where nothing was reported;
    /// types and months only where something was.
    public func figures(
        by dimension: Dimension, tenant: String, routing: TenantRouting.Tenant, from: Date, to: Date, now: Date
    ) async throws -> [FigureGroup] {
        try await table(by: dimension, tenant: tenant, routing: routing, from: from, to: to, now: now).groups
    }

    /// `figures` with the total.
    public func table(
        by dimension: Dimension, tenant: String, routing: TenantRouting.Tenant, from: Date, to: Date, now: Date
    ) async throws -> Table {
        let zone = routing.timeZone.identifier
        let issueKey: String
        let taskKey: String
        switch dimension {
        case .department:
            issueKey = "t.department_code"
            taskKey = "t.department_code"
        case .territory, .community, .compound:
            issueKey = "s.compound_code"
            taskKey = "s.compound_code"
        case .type:
            issueKey = "coalesce(s.issue_type, '')"
            taskKey = issueKey
        case .month:
            // The zone is the tenant's, from the configuration: a literal, never user input.
            issueKey = "to_char(s.reported_at AT TIME ZONE '\(zone.replacingOccurrences(of: "'", with: ""))', 'YYYY-MM')"
            taskKey = issueKey
        }
        // For departments an issue counts once for each department with a live task on it.
        let issueSource =
            dimension == .department
            ? "scope s JOIN tasks t ON t.tenant_id = whistle_current_tenant() AND t.issue_id = s.issue_id AND t.state <> 'withdrawn' GROUP BY 1, s.issue_id, s.state, s.satisfaction, s.rectified"
            : "scope s"
        let scope = """
            WITH scope AS (
                SELECT i.issue_id, i.state, i.satisfaction, i.compound_code, i.issue_type, i.reported_at,
                       i.state = 'closed' OR (
                           EXISTS (SELECT 1 FROM tasks t WHERE t.tenant_id = i.tenant_id AND t.issue_id = i.issue_id AND t.state <> 'withdrawn')
                           AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.tenant_id = i.tenant_id AND t.issue_id = i.issue_id AND t.state <> 'withdrawn'
                                           AND t.rectified_at IS NULL)) AS rectified
                FROM issues i
                WHERE i.tenant_id = whistle_current_tenant() AND i.state <> 'merged' AND i.reported_at >= $1 AND i.reported_at < $2
            )
            """
        var counts: [String: FigureCounts] = [:]
        var issueTotal = FigureCounts()
        try await database.withTenant(tenant) { connection in
            var bindings = PostgresBindings()
            bindings.append(from)
            bindings.append(to)
            let issues = try await connection.query(
                PostgresQuery(
                    unsafeSQL: scope + """
                        SELECT key, count(DISTINCT issue_id), count(DISTINCT issue_id) FILTER (WHERE rectified),
                               count(DISTINCT issue_id) FILTER (WHERE state = 'closed'), count(DISTINCT issue_id) FILTER (WHERE satisfaction IS NOT NULL),
                               count(DISTINCT issue_id) FILTER (WHERE satisfaction IN ('satisfied', 'basicallySatisfied')), GROUPING(key)
                        FROM (SELECT \(issueKey) AS key, s.issue_id, s.state, s.satisfaction, s.rectified FROM \(issueSource)) keyed
                        GROUP BY GROUPING SETS ((key), ())
                        """, binds: bindings), logger: database.logger)
            for try await r in issues.decode((String?, Int, Int, Int, Int, Int, Int).self) {
                var c = r.6 == 1 ? issueTotal : counts[r.0 ?? ""] ?? FigureCounts()
                (c.received, c.issuesRectified, c.issuesClosed, c.returnVisits, c.satisfied) = (r.1, r.2, r.3, r.4, r.5)
                if r.6 == 1 { issueTotal = c } else { counts[r.0 ?? ""] = c }
            }
            var withNow = bindings
            withNow.append(now)
            let tasks = try await connection.query(
                PostgresQuery(
                    unsafeSQL: scope + """
                        SELECT \(taskKey), count(*),
                               count(*) FILTER (WHERE t.acknowledge_due IS NOT NULL AND (t.acknowledged_at IS NOT NULL OR t.rectified_at IS NOT NULL OR t.acknowledge_due <= $3)),
                               count(*) FILTER (WHERE coalesce(t.acknowledged_at, t.rectified_at) <= t.acknowledge_due),
                               count(*) FILTER (WHERE t.rectified_at IS NOT NULL),
                               count(*) FILTER (WHERE t.rectified_at IS NOT NULL AND (t.rectify_due IS NULL OR t.rectified_at <= t.rectify_due)),
                               count(*) FILTER (WHERE t.verified_at IS NOT NULL),
                               count(*) FILTER (WHERE t.state = 'closed'),
                               count(*) FILTER (WHERE t.rectified_at IS NULL AND t.rectify_due < $3)
                        FROM scope s JOIN tasks t ON t.tenant_id = whistle_current_tenant() AND t.issue_id = s.issue_id AND t.state <> 'withdrawn'
                        GROUP BY 1
                        """, binds: withNow), logger: database.logger)
            for try await r in tasks.decode((String, Int, Int, Int, Int, Int, Int, Int, Int).self) {
                var c = counts[r.0] ?? FigureCounts()
                (c.tasks, c.acknowledgeDecided, c.acknowledgedInTime, c.tasksRectified, c.rectifiedInTime) = (r.1, r.2, r.3, r.4, r.5)
                (c.tasksVerified, c.tasksClosed, c.overdueNow) = (r.6, r.7, r.8)
                counts[r.0] = c
            }
            // Rungs of the acknowledge and rectify ladders; a notice in draft or rejected deducts nothing.
            let rungs = try await connection.query(
                PostgresQuery(
                    unsafeSQL: scope + """
                        SELECT \(taskKey), e.action, count(*), coalesce(sum(e.deduction) FILTER (WHERE e.state NOT IN ('draft', 'rejected')), 0)::float8
                        FROM scope s JOIN tasks t ON t.tenant_id = whistle_current_tenant() AND t.issue_id = s.issue_id AND t.state <> 'withdrawn'
                             JOIN escalations e ON e.tenant_id = whistle_current_tenant() AND e.task_id = t.task_id
                        GROUP BY 1, 2
                        """, binds: bindings), logger: database.logger)
            for try await r in rungs.decode((String, String, Int, Double).self) {
                var c = counts[r.0] ?? FigureCounts()
                c.escalations[r.1, default: 0] += r.2
                c.deductions += r.3
                counts[r.0] = c
            }
        }
        // Tasks and rungs belong to one group each: their total is the sum.
        var total = counts.values.reduce(FigureCounts(), +)
        (total.received, total.issuesRectified, total.issuesClosed, total.returnVisits, total.satisfied) = (
            issueTotal.received, issueTotal.issuesRectified, issueTotal.issuesClosed, issueTotal.returnVisits, issueTotal.satisfied
        )
        return Table(groups: Self.groups(dimension, counts: counts, routing: routing), total: total)
    }

    /// Named groups in the directory's order (types and months sorted by key).
    static func groups(_ dimension: Dimension, counts: [String: FigureCounts], routing: TenantRouting.Tenant) -> [FigureGroup] {
        let directory = routing.directory
        let compounds = directory.compounds.map { FigureGroup(key: $0.compound.code, name: $0.compound.name, counts: counts[$0.compound.code] ?? FigureCounts()) }
        switch dimension {
        case .department:
            return directory.departments.map { FigureGroup(key: $0.code, name: $0.name, counts: counts[$0.code] ?? FigureCounts()) }
        case .compound:
            return compounds
        case .territory:
            let parent = Dictionary(directory.compounds.map { ($0.compound.code, $0.territory) }, uniquingKeysWith: { first, _ in first })
            return FigureGroup.rollUp(compounds, into: directory.territories.map { ($0.code, $0.name) }, parentOf: { parent[$0] })
        case .community:
            let parent = Dictionary(directory.compounds.map { ($0.compound.code, $0.community) }, uniquingKeysWith: { first, _ in first })
            let communities = directory.territories.flatMap { town in town.communities.map { ($0.code, $0.name) } }
            return FigureGroup.rollUp(compounds, into: communities, parentOf: { parent[$0] })
        case .type:
            return counts.keys.sorted().map { key in
                FigureGroup(key: key, name: key.isEmpty ? "未分类（待分派）" : routing.typeName(key) ?? key, counts: counts[key] ?? FigureCounts())
            }
        case .month:
            return counts.keys.sorted().map { FigureGroup(key: $0, name: $0, counts: counts[$0] ?? FigureCounts()) }
        }
    }
}
