import Foundation
import PostgresNIO
import WhistleCore

extension IssueStore {
    /// The issue with its live and withdrawn tasks; nil when the tenant has no such issue.
    ///
    /// - Parameter unmasked: show residents' names and phones in full (roles that need them).
    public func issue(_ id: Int64, tenant: String, zone: TimeZone, unmasked: Bool = false) async throws -> IssueRecord? {
        let logger = database.logger
        return try await database.withTenant(tenant) { connection -> IssueRecord? in
            let rows = try await connection.query(
                """
                SELECT i.state, i.channel, i.compound_code, i.building_code, i.household, i.issue_type, l.version, i.list_id,
                       i.description, i.reported_at, i.received_at, i.reporter::text, i.channel_details::text, i.triage_reason,
                       i.row_version, i.reported_by, i.possible_duplicates, i.duplicate_of,
                       ARRAY(SELECT m.issue_id FROM issues m WHERE m.duplicate_of = i.issue_id ORDER BY m.issue_id),
                       ARRAY(SELECT m.reported_by FROM issues m WHERE m.duplicate_of = i.issue_id AND m.reported_by IS NOT NULL ORDER BY m.issue_id),
                       (SELECT t.name FROM jsonb_to_recordset(l.types) AS t(code text, name text) WHERE t.code = i.issue_type)
                FROM issues i LEFT JOIN liability_lists l ON l.list_id = i.list_id
                WHERE i.issue_id = \(id)
                """, logger: logger)
            var record: IssueRecord?
            for try await row in rows.decode(
                (String, String, String, String?, String?, String?, String?, Int64?, String, Date, Date, String, String, String?, Int, Int64?, [Int64], Int64?, [Int64], [Int64], String?).self)
            {
                let reporter = (try? JSONDecoder().decode(IssueIntake.Reporter.self, from: Data(row.11.utf8))) ?? IssueIntake.Reporter()
                let details = (try? JSONDecoder().decode([String: String].self, from: Data(row.12.utf8))) ?? [:]
                let triage = row.13.map { code in
                    IssueRecord.Triage(reason: code, message: Self.triageMessage(code, type: row.5))
                }
                record = IssueRecord(
                    id: id, tenant: tenant, state: row.0, channel: row.1, compound: row.2, building: row.3, household: row.4, type: row.5,
                    typeName: row.20, listVersion: row.6, listID: row.7, description: row.8, reportedAt: ISOMoment.format(row.9, in: zone),
                    receivedAt: ISOMoment.format(row.10, in: zone),
                    reporter: reporter.shown(unmasked: unmasked),
                    reportedBy: row.15, possibleDuplicates: row.16, duplicateOf: row.17, mergedFrom: row.18, mergedReporters: row.19,
                    channelDetails: details, triage: triage, tasks: [], rowVersion: row.14)
            }
            guard var issue = record else { return nil }
            let tasks = try await connection.query(
                """
                SELECT t.task_id, t.department_code, d.name, t.role, t.state, t.rule, t.list_id, t.dispatched_at, t.acknowledge_due,
                       t.rectify_due, t.rectify_working_days, t.limits_source, t.row_version, t.original_rectify_due, t.extensions,
                       t.pending_extension_until, t.measures, t.dispute_reason, t.rejection_reason, t.assignee
                FROM tasks t JOIN departments d ON d.tenant_id = t.tenant_id AND d.code = t.department_code
                WHERE t.issue_id = \(id)
                ORDER BY t.state IN ('withdrawn', 'closed'), CASE t.role WHEN 'lead' THEN 0 WHEN 'coLead' THEN 1 WHEN 'responsible' THEN 2 ELSE 3 END, t.task_id
                """, logger: logger)
            for try await row in tasks.decode(
                (Int64, String, String, String, String, String, Int64, Date, Date?, Date?, Int?, String, Int, Date?, Int, Date?, String?, String?, String?, String?).self)
            {
                let state = TaskState(rawValue: row.4) ?? .dispatched
                issue.tasks.append(
                    TaskRecord(
                        id: row.0, department: row.1, departmentName: row.2, role: row.3, roleName: TaskRole(rawValue: row.3)?.chineseName ?? row.3,
                        state: row.4, rule: row.5, listID: row.6, dispatchedAt: ISOMoment.format(row.7, in: zone),
                        acknowledgeDue: row.8.map { ISOMoment.format($0, in: zone) }, rectifyDue: row.9.map { ISOMoment.format($0, in: zone) },
                        rectifyWorkingDays: row.10, limitsSource: row.11, originalRectifyDue: row.13.map { ISOMoment.format($0, in: zone) },
                        extensions: row.14, pendingExtension: row.15.map { ISOMoment.format($0, in: zone) }, measures: row.16, disputeReason: row.17,
                        rejectionReason: row.18, assignee: row.19, allowedActions: TaskLifecycle.allowedActions(in: state).map(\.rawValue), rowVersion: row.12))
            }
            let photos = try await connection.query(
                """
                SELECT e.sha256, e.kind, e.task_id, p.content_type, p.size FROM evidence e
                JOIN photos p ON p.tenant_id = e.tenant_id AND p.sha256 = e.sha256
                WHERE e.issue_id = \(id) ORDER BY e.evidence_id
                """, logger: logger)
            for try await (sha, kind, task, type, size) in photos.decode((String, String, Int64?, String, Int).self) {
                issue.photos.append(
                    IssueStore.PhotoRecord(sha256: sha, kind: kind, task: task, contentType: type, size: size, url: "/v1/tenants/\(tenant)/photos/\(sha)"))
            }
            return issue
        }
    }

    /// Every event of the issue and of its tasks (their deadlines firing included), in order.
    public func timeline(_ id: Int64, tenant: String, zone: TimeZone) async throws -> [EventRecord]? {
        let logger = database.logger
        return try await database.withTenant(tenant) { connection -> [EventRecord]? in
            var exists = false
            for try await _ in try await connection.query("SELECT 1 FROM issues WHERE issue_id = \(id)", logger: logger).decode(Int.self) {
                exists = true
            }
            guard exists else { return nil }
            let rows = try await connection.query(
                """
                SELECT event_id, subject_kind, subject_id, kind, actor, occurred_at, details::text FROM events
                WHERE (subject_kind = 'issue' AND subject_id = \(String(id)))
                   OR (subject_kind = 'task' AND subject_id IN (SELECT task_id::text FROM tasks WHERE issue_id = \(id)))
                ORDER BY event_id
                """, logger: logger)
            var events: [EventRecord] = []
            for try await row in rows.decode((Int64, String, String, String, String, Date, String).self) {
                events.append(
                    EventRecord(
                        id: row.0, subjectKind: row.1, subjectID: row.2, kind: row.3, actor: row.4, occurredAt: ISOMoment.format(row.5, in: zone),
                        details: row.6))
            }
            return events
        }
    }

    static func triageMessage(_ code: String, type: String?) -> String {
        switch code {
        case "no-type": return TriageReason.noType.description
        case "unknown-type": return TriageReason.unknownType(type ?? "").description
        default: return "无有效责任清单，请专班办公室分派"
        }
    }
}
