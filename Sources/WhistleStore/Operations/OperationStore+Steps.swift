import Foundation
import Logging
import PostgresNIO
import WhistleCore

/// One outcome the lead records for an issue of the operation.
public struct OperationOutcomeInput: Sendable, Hashable {
    public var issue: Int64
    public var outcome: OperationOutcome
    public var note: String
    /// For a follow-up or a referral: the department that takes the issue on.
    public var department: String?

    public init(issue: Int64, outcome: OperationOutcome, note: String, department: String? = nil) {
        self.issue = issue
        self.outcome = outcome
        self.note = note
        self.department = department
    }
}

extension OperationStore {
    /// A participant confirms (报到): its confirmation ladder stops. Late confirmations are kept as late.
    public func confirm(_ id: Int64, department: String, tenant: String, routing: TenantRouting.Tenant, now: Date, actor: String) async throws
        -> OperationRecord
    {
        let logger = database.logger
        try await database.withTenant(tenant) { connection in
            let rows = try await connection.query(
                """
                SELECT o.state, p.state, o.confirm_due FROM operations o
                LEFT JOIN operation_participants p ON p.tenant_id = o.tenant_id AND p.operation_id = o.operation_id AND p.department_code = \(department)
                WHERE o.operation_id = \(id) FOR UPDATE OF o
                """, logger: logger)
            var found: (String, String?, Date)?
            for try await row in rows.decode((String, String?, Date).self) { found = row }
            guard let (state, participant, confirmDue) = found else { throw OperationError.notFound(id) }
            guard let participant else { throw OperationError.notParticipant(department) }
            guard state == "scheduled" else { throw OperationError.notAllowed(state: state, step: "confirm", reason: "行动已\(Self.stateName(state))，无需报到") }
            guard participant == "invited" else { throw OperationError.notAllowed(state: participant, step: "confirm", reason: "本单位已报到") }
            try await connection.query(
                """
                UPDATE operation_participants SET state = 'confirmed', confirmed_at = \(now), confirmed_by = \(actor)
                WHERE operation_id = \(id) AND department_code = \(department)
                """, logger: logger)
            try await connection.query("UPDATE operations SET row_version = row_version + 1 WHERE operation_id = \(id)", logger: logger)
            try await TimerStore.disarm(
                TimerKey(tenant: tenant, subjectKind: "participant", subjectID: Self.participantSubject(id, department), kind: Self.timerKind),
                on: connection, logger: logger)
            var details = ["department": department]
            if now > confirmDue { details["late"] = "true" }
            try await EventLog.append(
                tenant: tenant, subject: ("operation", String(id)), kind: "operation.confirmed", actor: actor, at: now, details: details,
                on: connection, logger: logger)
        }
        return try await operation(id, tenant: tenant, routing: routing)
    }

    /// Cancels a scheduled operation: its teams are free again, the confirmation ladders stop and
    /// every participant is told.
    public func cancel(_ id: Int64, reason: String, tenant: String, routing: TenantRouting.Tenant, now: Date, actor: String) async throws -> OperationRecord {
        let logger = database.logger
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw OperationError.invalid([.init(field: "reason", reason: "须说明取消原因")])
        }
        try await database.withTenant(tenant) { connection in
            let state = try await Self.lockedState(id, on: connection, logger: logger)
            guard state == "scheduled" else { throw OperationError.notAllowed(state: state, step: "cancel", reason: "行动已\(Self.stateName(state))，不能取消") }
            try await connection.query(
                "UPDATE operations SET state = 'cancelled', cancel_reason = \(reason), row_version = row_version + 1 WHERE operation_id = \(id)",
                logger: logger)
            try await connection.query("UPDATE operation_participants SET active = false WHERE operation_id = \(id)", logger: logger)
            try await Self.stopConfirmations(id, tenant: tenant, on: connection, logger: logger)
            try await EventLog.append(
                tenant: tenant, subject: ("operation", String(id)), kind: "operation.cancelled", actor: actor, at: now, details: ["reason": reason],
                on: connection, logger: logger)
            if let (facts, departments) = try await Self.facts(id, routing: routing, on: connection, logger: logger) {
                try await OutboxStore.enqueue(
                    Self.deliveries(to: departments, in: routing.directory), message: OperationNotice.cancelled(facts, reason: reason), tenant: tenant,
                    escalation: nil, eventKind: "operation.cancelled", now: now, on: connection, logger: logger)
            }
        }
        return try await operation(id, tenant: tenant, routing: routing)
    }

    /// The lead records what the operation did about its issues, once it has begun; each outcome
    /// moves the issue's tasks in the same transaction (rectified on the spot, a follow-up task,
    /// or withdrawn and referred), and the operation is held.
    public func recordOutcomes(
        _ id: Int64, outcomes: [OperationOutcomeInput], tenant: String, routing: TenantRouting.Tenant, now: Date, actor: String
    ) async throws -> OperationRecord {
        let logger = database.logger
        let issues = IssueStore(database: database)
        let known = Set(routing.directory.departments.map(\.code))
        var problems: [IssueIntake.FieldProblem] = []
        if outcomes.isEmpty { problems.append(.init(field: "outcomes", reason: "须至少记录一个问题的处理结果")) }
        for (n, outcome) in outcomes.enumerated() {
            if outcome.note.trimmingCharacters(in: .whitespaces).isEmpty { problems.append(.init(field: "outcomes[\(n)].note", reason: "须填写处理情况")) }
            if outcome.outcome.needsDepartment {
                if let department = outcome.department {
                    if !known.contains(department) { problems.append(.init(field: "outcomes[\(n)].department", reason: "没有代码为 '\(department)' 的部门")) }
                } else {
                    problems.append(.init(field: "outcomes[\(n)].department", reason: "“\(outcome.outcome.chineseName)”须指定承接部门"))
                }
            }
            if outcomes[..<n].contains(where: { $0.issue == outcome.issue }) {
                problems.append(.init(field: "outcomes[\(n)].issue", reason: "问题 #\(outcome.issue) 重复"))
            }
        }
        guard problems.isEmpty else { throw OperationError.invalid(problems) }
        try await database.withTenant(tenant) { connection in
            let rows = try await connection.query(
                """
                SELECT state, issues, starts_at,
                       coalesce((SELECT array_agg(issue_id) FROM operation_outcomes r WHERE r.tenant_id = o.tenant_id AND r.operation_id = o.operation_id), '{}')
                FROM operations o WHERE operation_id = \(id) FOR UPDATE
                """, logger: logger)
            var found: (String, [Int64], Date, [Int64])?
            for try await row in rows.decode((String, [Int64], Date, [Int64]).self) { found = row }
            guard let (state, operationIssues, startsAt, recorded) = found else { throw OperationError.notFound(id) }
            guard state != "cancelled" else { throw OperationError.notAllowed(state: state, step: "outcomes", reason: "行动已取消") }
            guard now >= startsAt else { throw OperationError.notAllowed(state: state, step: "outcomes", reason: "行动尚未开始，不能记录处理结果") }
            var problems: [IssueIntake.FieldProblem] = []
            for (n, outcome) in outcomes.enumerated() {
                if !operationIssues.contains(outcome.issue) {
                    problems.append(.init(field: "outcomes[\(n)].issue", reason: "问题 #\(outcome.issue) 不在本次行动的问题清单中"))
                } else if recorded.contains(outcome.issue) {
                    problems.append(.init(field: "outcomes[\(n)].issue", reason: "问题 #\(outcome.issue) 的处理结果已记录"))
                }
            }
            guard problems.isEmpty else { throw OperationError.invalid(problems) }
            for outcome in outcomes {
                try await connection.query(
                    """
                    INSERT INTO operation_outcomes (tenant_id, operation_id, issue_id, outcome, note, department_code, recorded_by, recorded_at)
                    VALUES (\(tenant), \(id), \(outcome.issue), \(outcome.outcome.rawValue), \(outcome.note), \(outcome.department), \(actor), \(now))
                    """, logger: logger)
                try await apply(outcome, operation: id, issues: issues, tenant: tenant, routing: routing, now: now, actor: actor, on: connection)
            }
            try await connection.query(
                "UPDATE operations SET state = 'held', row_version = row_version + 1 WHERE operation_id = \(id)", logger: logger)
            // Held: nobody is pressed to confirm any more (what fired stays on record).
            try await Self.stopConfirmations(id, tenant: tenant, on: connection, logger: logger)
        }
        return try await operation(id, tenant: tenant, routing: routing)
    }

    private func apply(
        _ outcome: OperationOutcomeInput, operation id: Int64, issues: IssueStore, tenant: String, routing: TenantRouting.Tenant, now: Date,
        actor: String, on connection: PostgresConnection
    ) async throws {
        let logger = database.logger
        let issueID = outcome.issue
        let live = try await connection.query(
            """
            SELECT task_id, department_code, state, rectify_due FROM tasks
            WHERE issue_id = \(issueID) AND state NOT IN ('withdrawn', 'closed') ORDER BY task_id FOR UPDATE
            """, logger: logger)
        var tasks: [(id: Int64, department: String, state: String, rectifyDue: Date?)] = []
        for try await row in live.decode((Int64, String, String, Date?).self) { tasks.append(row) }
        var moved: [String] = []
        switch outcome.outcome {
        case .rectifiedOnSpot:
            let measures = "联合整治 #\(id) 现场整改：\(outcome.note)"
            for task in tasks where ["dispatched", "acknowledged", "inProgress"].contains(task.state) {
                try await connection.query(
                    """
                    UPDATE tasks SET state = 'rectified', measures = \(measures), rectified_at = \(now),
                                     acknowledged_at = coalesce(acknowledged_at, \(now)), row_version = row_version + 1
                    WHERE task_id = \(task.id)
                    """, logger: logger)
                for kind in ["acknowledge", "rectify", EscalationTrack.acknowledge.timerKind, EscalationTrack.rectify.timerKind, RosterHandoff.timerKind] {
                    try await TimerStore.disarm(
                        TimerKey(tenant: tenant, subjectKind: "task", subjectID: String(task.id), kind: kind), on: connection, logger: logger)
                }
                var details = [
                    "issue": String(issueID), "from": task.state, "to": "rectified", "measures": measures, "operation": String(id),
                ]
                if let due = task.rectifyDue { details["inTime"] = now <= due ? "true" : "false" }
                try await EventLog.append(
                    tenant: tenant, subject: ("task", String(task.id)), kind: "task.rectify", actor: actor, at: now, details: details,
                    on: connection, logger: logger)
                moved.append(String(task.id))
            }
        case .referred:
            for task in tasks where task.department != outcome.department {
                try await issues.withdraw(
                    task.id, tenant: tenant, now: now, actor: actor,
                    details: ["issue": String(issueID), "reason": "联合整治 #\(id) 移交\(routing.departmentNames[outcome.department ?? ""] ?? "")处理", "operation": String(id)],
                    on: connection)
                moved.append(String(task.id))
            }
            fallthrough
        case .followUp:
            guard let department = outcome.department, !tasks.contains(where: { $0.department == department }) else { break }
            let rows = try await connection.query(
                """
                SELECT i.compound_code, i.reported_at,
                       coalesce(i.list_id, (SELECT max(t.list_id) FROM tasks t WHERE t.issue_id = i.issue_id),
                                (SELECT max(l.list_id) FROM liability_lists l WHERE l.tenant_id = i.tenant_id), 0)
                FROM issues i WHERE i.issue_id = \(issueID)
                """, logger: logger)
            var found: (String, Date, Int64)?
            for try await row in rows.decode((String, Date, Int64).self) { found = row }
            if let (compound, reportedAt, listID) = found {
                let rule = outcome.outcome == .referred ? "联合整治 #\(id) 移交处理" : "联合整治 #\(id) 后续跟进"
                try await issues.dispatch(
                    [RoutedTask.assigned(department, role: .responsible, limits: DeadlineLimits(acknowledgeHours: nil, rectifyWorkingDays: nil))],
                    issue: issueID, decision: .triage(.noType, listVersion: nil), compound: compound, reportedAt: reportedAt,
                    listID: listID, tenant: tenant, routing: routing, now: now, actor: actor, rules: [department: rule], on: connection)
                try await connection.query(
                    "UPDATE issues SET state = 'open', row_version = row_version + 1 WHERE issue_id = \(issueID) AND state = 'triage'", logger: logger)
            }
        }
        var details = ["operation": String(id), "outcome": outcome.outcome.rawValue, "outcomeName": outcome.outcome.chineseName, "note": outcome.note]
        details["department"] = outcome.department
        if !moved.isEmpty { details["tasks"] = moved.joined(separator: ",") }
        try await EventLog.append(
            tenant: tenant, subject: ("issue", String(issueID)), kind: "issue.operationOutcome", actor: actor, at: now, details: details,
            on: connection, logger: logger)
        try await EventLog.append(
            tenant: tenant, subject: ("operation", String(id)), kind: "operation.outcome", actor: actor, at: now,
            details: details.merging(["issue": String(issueID)]) { first, _ in first }, on: connection, logger: logger)
    }

    /// Disarms the confirmation timers of the participants that have not confirmed.
    static func stopConfirmations(_ id: Int64, tenant: String, on connection: PostgresConnection, logger: Logger) async throws {
        let rows = try await connection.query(
            "SELECT department_code FROM operation_participants WHERE operation_id = \(id) AND state = 'invited'", logger: logger)
        var departments: [String] = []
        for try await department in rows.decode(String.self) { departments.append(department) }
        for department in departments {
            try await TimerStore.disarm(
                TimerKey(tenant: tenant, subjectKind: "participant", subjectID: participantSubject(id, department), kind: timerKind),
                on: connection, logger: logger)
        }
    }

    static func lockedState(_ id: Int64, on connection: PostgresConnection, logger: Logger) async throws -> String {
        let rows = try await connection.query("SELECT state FROM operations WHERE operation_id = \(id) FOR UPDATE", logger: logger)
        for try await state in rows.decode(String.self) { return state }
        throw OperationError.notFound(id)
    }

    static func stateName(_ state: String) -> String {
        switch state {
        case "held": return "开展"
        case "cancelled": return "取消"
        default: return "安排"
        }
    }
}
