import Foundation
import PostgresNIO
import WhistleCore

extension IssueStore {
    /// What a department's inbox (or the office's view of all tasks) asks for.
    public struct InboxQuery: Sendable, Hashable {
        public var department: String?
        /// One state; by default every live one (not closed, not withdrawn).
        public var state: TaskState?
        /// Only tasks past their rectify deadline and not yet rectified.
        public var overdue: Bool = false
        public var dueBefore: Date?
        public var territory: String?
        public var type: String?
        public var limit: Int = 50
        /// The cursor of the previous page.
        public var after: InboxCursor?

        public init(
            department: String? = nil, state: TaskState? = nil, overdue: Bool = false, dueBefore: Date? = nil, territory: String? = nil,
            type: String? = nil, limit: Int = 50, after: InboxCursor? = nil
        ) {
            self.department = department
            self.state = state
            self.overdue = overdue
            self.dueBefore = dueBefore
            self.territory = territory
            self.type = type
            self.limit = limit
            self.after = after
        }
    }

    /// Where a page ended: the last task's rectify deadline (nil sorts last) and id.
    public struct InboxCursor: Sendable, Hashable {
        public var due: Date?
        public var task: Int64

        public init(due: Date?, task: Int64) {
            self.due = due
            self.task = task
        }

        /// An opaque token for the next page's `after`.
        public var token: String {
            let due = self.due.map { String(Int64(($0.timeIntervalSince1970 * 1000).rounded())) } ?? "-"
            return Data("\(due).\(task)".utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
        }

        public init?(token: String) {
            var padded = token
            while padded.count % 4 != 0 { padded += "=" }
            guard let data = Data(base64Encoded: padded), let text = String(data: data, encoding: .utf8) else { return nil }
            let parts = text.split(separator: ".")
            guard parts.count == 2, let task = Int64(parts[1]) else { return nil }
            if parts[0] == "-" {
                due = nil
            } else if let milliseconds = Int64(parts[0]) {
                due = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
            } else {
                return nil
            }
            self.task = task
        }
    }

    /// One line of an inbox: the task and what its issue is about.
    public struct InboxItem: Sendable, Hashable, Codable {
        public var task: Int64
        public var issue: Int64
        public var department: String
        public var role: String
        public var state: String
        public var acknowledgeDue: String?
        public var rectifyDue: String?
        public var overdue: Bool
        public var issueType: String?
        public var compound: String
        public var territory: String
        public var description: String
        public var rowVersion: Int
    }

    /// A page of tasks by rectify deadline (earliest first, tasks without one last), with the
    /// cursor of the next page when there is one. Keyset paging: a page costs the same however deep.
    public func inbox(_ query: InboxQuery, tenant: String, zone: TimeZone, now: Date) async throws -> (items: [InboxItem], next: InboxCursor?) {
        let limit = max(1, min(query.limit, 200))
        let hasCursor = query.after != nil
        let afterDue = query.after?.due
        return try await database.withTenant(tenant) { connection in
            let rows = try await connection.query(
                """
                SELECT t.task_id, t.issue_id, t.department_code, t.role, t.state, t.acknowledge_due, t.rectify_due, i.issue_type,
                       i.compound_code, c.territory_code, left(i.description, 200), t.row_version
                FROM tasks t
                JOIN issues i ON i.tenant_id = t.tenant_id AND i.issue_id = t.issue_id
                JOIN compounds c ON c.tenant_id = i.tenant_id AND c.code = i.compound_code
                WHERE (\(query.department)::text IS NULL OR t.department_code = \(query.department))
                  AND (CASE WHEN \(query.state?.rawValue)::text IS NULL THEN t.state NOT IN ('closed', 'withdrawn')
                            ELSE t.state = \(query.state?.rawValue) END)
                  AND (NOT \(query.overdue) OR (t.rectify_due < \(now) AND t.state IN ('dispatched', 'acknowledged', 'inProgress')))
                  AND (\(query.dueBefore)::timestamptz IS NULL OR t.rectify_due < \(query.dueBefore))
                  AND (\(query.territory)::text IS NULL OR c.territory_code = \(query.territory))
                  AND (\(query.type)::text IS NULL OR i.issue_type = \(query.type))
                  -- 'infinity' keeps tasks without a deadline in one total order with the others.
                  AND (NOT \(hasCursor)
                       OR (coalesce(t.rectify_due, 'infinity'::timestamptz), t.task_id)
                          > (coalesce(\(afterDue)::timestamptz, 'infinity'::timestamptz), \(query.after?.task ?? 0)))
                ORDER BY coalesce(t.rectify_due, 'infinity'::timestamptz), t.task_id
                LIMIT \(limit + 1)
                """, logger: database.logger)
            var items: [InboxItem] = []
            var dues: [Date?] = []
            for try await r in rows.decode((Int64, Int64, String, String, String, Date?, Date?, String?, String, String, String, Int).self) {
                let live = ["dispatched", "acknowledged", "inProgress"].contains(r.4)
                items.append(
                    InboxItem(
                        task: r.0, issue: r.1, department: r.2, role: r.3, state: r.4, acknowledgeDue: r.5.map { ISOMoment.format($0, in: zone) },
                        rectifyDue: r.6.map { ISOMoment.format($0, in: zone) }, overdue: live && (r.6.map { $0 < now } ?? false), issueType: r.7,
                        compound: r.8, territory: r.9, description: r.10, rowVersion: r.11))
                dues.append(r.6)
            }
            guard items.count > limit else { return (items, nil) }
            items.removeLast()
            return (items, InboxCursor(due: dues[limit - 1], task: items[limit - 1].task))
        }
    }
}
