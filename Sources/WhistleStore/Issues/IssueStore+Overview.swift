import Foundation
import PostgresNIO
import WhistleCore

extension IssueStore {
    /// Live tasks counted per department and territory (the office's overview page).
    public struct OverviewCount: Sendable, Hashable {
        public var department: String
        public var territory: String
        public var open: Int
        /// Past the rectify deadline and not yet rectified.
        public var overdue: Int
    }

    /// An issue waiting in the office's triage queue (no type, or no list in force).
    public struct TriageItem: Sendable, Hashable {
        public var issue: Int64
        public var compound: String
        public var description: String
        public var receivedAt: String
        public var reason: String?
    }

    /// A task whose department asked for an extension the office has not ruled on.
    public struct PendingExtension: Sendable, Hashable {
        public var task: Int64
        public var issue: Int64
        public var department: String
        public var until: String
        public var reason: String?
    }

    /// What the office's overview shows at once: counts of live tasks per department and
    /// territory, the triage queue and the extensions waiting, in one transaction.
    public func overview(tenant: String, zone: TimeZone, now: Date, limit: Int = 50) async throws
        -> (counts: [OverviewCount], triage: [TriageItem], extensions: [PendingExtension])
    {
        let logger = database.logger
        return try await database.withTenant(tenant) { connection in
            var counts: [OverviewCount] = []
            for try await r in try await connection.query(
                """
                SELECT t.department_code, c.territory_code, count(*)::int,
                       (count(*) FILTER (WHERE t.rectify_due < \(now) AND t.state IN ('dispatched', 'acknowledged', 'inProgress')))::int
                FROM tasks t
                JOIN issues i ON i.tenant_id = t.tenant_id AND i.issue_id = t.issue_id
                JOIN compounds c ON c.tenant_id = i.tenant_id AND c.code = i.compound_code
                WHERE t.state NOT IN ('closed', 'withdrawn')
                GROUP BY t.department_code, c.territory_code
                ORDER BY t.department_code, c.territory_code
                """, logger: logger
            ).decode((String, String, Int, Int).self) {
                counts.append(OverviewCount(department: r.0, territory: r.1, open: r.2, overdue: r.3))
            }
            var triage: [TriageItem] = []
            for try await r in try await connection.query(
                """
                SELECT issue_id, compound_code, left(description, 200), received_at, triage_reason FROM issues
                WHERE state = 'triage' ORDER BY received_at, issue_id LIMIT \(limit)
                """, logger: logger
            ).decode((Int64, String, String, Date, String?).self) {
                triage.append(TriageItem(issue: r.0, compound: r.1, description: r.2, receivedAt: ISOMoment.format(r.3, in: zone), reason: r.4))
            }
            var extensions: [PendingExtension] = []
            for try await r in try await connection.query(
                """
                SELECT task_id, issue_id, department_code, pending_extension_until, pending_extension_reason FROM tasks
                WHERE pending_extension_until IS NOT NULL AND state NOT IN ('closed', 'withdrawn')
                ORDER BY pending_extension_until, task_id LIMIT \(limit)
                """, logger: logger
            ).decode((Int64, Int64, String, Date, String?).self) {
                extensions.append(PendingExtension(task: r.0, issue: r.1, department: r.2, until: ISOMoment.format(r.3, in: zone), reason: r.4))
            }
            return (counts, triage, extensions)
        }
    }
}
