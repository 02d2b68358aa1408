import Foundation
import Logging
import PostgresNIO
import WhistleCore

extension IssueStore {
    /// What an action brings besides its name.
    public struct ActionInput: Sendable, Hashable {
        public var reason: String?
        public var measures: String?
        /// The date a request-extension asks for.
        public var until: Date?
        /// For uphold-dispute: the department the office reassigns the task to.
        public var reassignTo: String?
        /// For uphold-dispute: what the next list version should say.
        public var note: String?
        /// The row version the caller read; a different one is a conflict.
        public var rowVersion: Int?

        public init(reason: String? = nil, measures: String? = nil, until: Date? = nil, reassignTo: String? = nil, note: String? = nil, rowVersion: Int? = nil) {
            self.reason = reason
            self.measures = measures
            self.until = until
            self.reassignTo = reassignTo
            self.note = note
            self.rowVersion = rowVersion
        }
    }

    private struct TaskRow {
        var issueID: Int64
        var department: String
        var role: String
        var state: TaskState
        var rowVersion: Int
        var acknowledgeDue: Date?
        var rectifyDue: Date?
        var stateBeforeDispute: TaskState?
        var pendingExtension: Date?
        var pendingReason: String?
        var disputeReason: String?
        var listID: Int64
        var rectifyWorkingDays: Int?
        var acknowledgeHours: Int?
    }

    /// Applies `action` to a task: the lifecycle's rules, a compare-and-set on its row, its timers and
    /// its event in one transaction; closing the last live task closes the issue.
    ///
    /// - Returns: the task's issue, as it now stands.
    ///
    /// - Parameter authorize: called with the task's department before anything changes; it throws
    ///   to refuse (the role matrix).
    public func act(
        _ action: TaskAction, task taskID: Int64, input: ActionInput, tenant: String, routing: TenantRouting.Tenant, now: Date, actor: String,
        unmasked: Bool = false, authorize: @Sendable (String) throws -> Void = { _ in }
    ) async throws -> IssueRecord {
        let logger = database.logger
        let issueID = try await database.withTenant(tenant) { connection -> Int64 in
            let rows = try await connection.query(
                """
                SELECT issue_id, department_code, role, state, row_version, acknowledge_due, rectify_due, state_before_dispute,
                       pending_extension_until, pending_extension_reason, dispute_reason, list_id, rectify_working_days, acknowledge_hours
                FROM tasks WHERE task_id = \(taskID) FOR UPDATE
                """, logger: logger)
            var found: TaskRow?
            for try await r in rows.decode((Int64, String, String, String, Int, Date?, Date?, String?, Date?, String?, String?, Int64, Int?, Int?).self) {
                found = TaskRow(
                    issueID: r.0, department: r.1, role: r.2, state: TaskState(rawValue: r.3) ?? .dispatched, rowVersion: r.4, acknowledgeDue: r.5,
                    rectifyDue: r.6, stateBeforeDispute: r.7.flatMap(TaskState.init(rawValue:)), pendingExtension: r.8, pendingReason: r.9,
                    disputeReason: r.10, listID: r.11, rectifyWorkingDays: r.12, acknowledgeHours: r.13)
            }
            guard let task = found else { throw IssueError.taskNotFound(taskID) }
            try authorize(task.department)
            if let expected = input.rowVersion, expected != task.rowVersion {
                throw IssueError.versionConflict(expected: expected, current: task.rowVersion)
            }
            let facts = TaskLifecycle.Facts(
                now: now, acknowledgeDue: task.acknowledgeDue, rectifyDue: task.rectifyDue, stateBeforeDispute: task.stateBeforeDispute,
                pendingExtension: task.pendingExtension)
            let next: TaskState
            switch TaskLifecycle.apply(action, to: task.state, facts: facts, reason: input.reason, measures: input.measures, until: input.until) {
            case .success(let state): next = state
            case .failure(let refusal): throw IssueError.refused(refusal)
            }
            if action == .upholdDispute, let target = input.reassignTo {
                guard routing.router.directory.departments.contains(where: { $0.code == target }) else {
                    throw IssueError.invalid([IssueIntake.FieldProblem(field: "reassignTo", reason: "没有代码为 '\(target)' 的部门")])
                }
                let held = try await connection.query(
                    "SELECT count(*)::int FROM tasks WHERE issue_id = \(task.issueID) AND department_code = \(target) AND state NOT IN ('withdrawn', 'closed')",
                    logger: logger)
                for try await count in held.decode(Int.self) where count > 0 {
                    throw IssueError.invalid([IssueIntake.FieldProblem(field: "reassignTo", reason: "该部门在本问题上已有任务")])
                }
            }
            let subject = String(taskID)
            func key(_ kind: String) -> TimerKey { TimerKey(tenant: tenant, subjectKind: "task", subjectID: subject, kind: kind) }
            var details: [String: String] = ["issue": String(task.issueID), "from": task.state.rawValue, "to": next.rawValue]
            if let reason = input.reason { details["reason"] = reason }
            let zone = routing.timeZone
            switch action {
            case .acknowledge:
                try await connection.query("UPDATE tasks SET acknowledged_at = \(now) WHERE task_id = \(taskID)", logger: logger)
                try await TimerStore.disarm(key("acknowledge"), on: connection, logger: logger)
                try await TimerStore.disarm(key(EscalationTrack.acknowledge.timerKind), on: connection, logger: logger)
                try await TimerStore.disarm(key(RosterHandoff.timerKind), on: connection, logger: logger)
                if let due = task.acknowledgeDue, now > due { details["late"] = "true" }
            case .start:
                break
            case .rectify:
                try await connection.query(
                    "UPDATE tasks SET measures = \(input.measures), rectified_at = \(now) WHERE task_id = \(taskID)", logger: logger)
                try await TimerStore.disarm(key("rectify"), on: connection, logger: logger)
                // Rectified: the ladder stops (a rejection restarts it where it stood).
                try await TimerStore.disarm(key(EscalationTrack.rectify.timerKind), on: connection, logger: logger)
                details["measures"] = input.measures
                if let due = task.rectifyDue { details["inTime"] = now <= due ? "true" : "false" }
            case .verify:
                try await connection.query("UPDATE tasks SET verified_at = \(now), verified_by = \(actor) WHERE task_id = \(taskID)", logger: logger)
            case .reject:
                try await connection.query("UPDATE tasks SET rejection_reason = \(input.reason) WHERE task_id = \(taskID)", logger: logger)
                if let due = task.rectifyDue {
                    // The deadline stands: back to work under the same timer (it fires at once if it passed).
                    try await TimerStore.arm(key("rectify"), due: due, on: connection, logger: logger)
                }
                try await EscalationStore.rearm(task: taskID, tenant: tenant, tracks: [.rectify], routing: routing, now: now, on: connection, logger: logger)
            case .close:
                try await connection.query("UPDATE tasks SET closed_at = \(now) WHERE task_id = \(taskID)", logger: logger)
                try await TimerStore.disarmAll(tenant: tenant, subjectKind: "task", subjectID: subject, on: connection, logger: logger)
            case .dispute:
                try await connection.query(
                    "UPDATE tasks SET dispute_reason = \(input.reason), state_before_dispute = \(task.state.rawValue) WHERE task_id = \(taskID)",
                    logger: logger)
            case .upholdDispute:
                try await TimerStore.disarmAll(tenant: tenant, subjectKind: "task", subjectID: subject, on: connection, logger: logger)
                try await connection.query(
                    """
                    INSERT INTO liability_gaps (tenant_id, issue_id, task_id, issue_type, list_id, department_code, reassigned_to,
                                                dispute_reason, note, recorded_by, recorded_at)
                    SELECT \(tenant), \(task.issueID), \(taskID), i.issue_type, \(task.listID), \(task.department), \(input.reassignTo),
                           \(task.disputeReason ?? ""), \(input.note), \(actor), \(now)
                    FROM issues i WHERE i.issue_id = \(task.issueID)
                    """, logger: logger)
                details["reassignTo"] = input.reassignTo
            case .rejectDispute:
                break
            case .requestExtension:
                try await connection.query(
                    "UPDATE tasks SET pending_extension_until = \(input.until), pending_extension_reason = \(input.reason) WHERE task_id = \(taskID)",
                    logger: logger)
                details["until"] = input.until.map { ISOMoment.format($0, in: zone) }
            case .approveExtension:
                let until = task.pendingExtension!
                try await connection.query(
                    """
                    UPDATE tasks SET rectify_due = pending_extension_until, pending_extension_until = NULL, pending_extension_reason = NULL,
                                     extension_approved_by = \(actor), extensions = extensions + 1
                    WHERE task_id = \(taskID)
                    """, logger: logger)
                try await TimerStore.arm(key("rectify"), due: until, on: connection, logger: logger)
                // The ladder's next rung counts from the new deadline.
                try await EscalationStore.rearm(task: taskID, tenant: tenant, tracks: [.rectify], routing: routing, now: now, on: connection, logger: logger)
                details["previousDue"] = task.rectifyDue.map { ISOMoment.format($0, in: zone) }
                details["rectifyDue"] = ISOMoment.format(until, in: zone)
                details["requestReason"] = task.pendingReason
            case .denyExtension:
                try await connection.query(
                    "UPDATE tasks SET pending_extension_until = NULL, pending_extension_reason = NULL WHERE task_id = \(taskID)", logger: logger)
                details["requested"] = task.pendingExtension.map { ISOMoment.format($0, in: zone) }
            }
            try await connection.query(
                """
                UPDATE tasks SET state = \(next.rawValue), row_version = row_version + 1,
                       state_before_dispute = CASE WHEN \(next.rawValue) = 'disputed' THEN state_before_dispute ELSE NULL END
                WHERE task_id = \(taskID)
                """, logger: logger)
            try await EventLog.append(
                tenant: tenant, subject: ("task", subject), kind: "task.\(action.rawValue)", actor: actor, at: now, details: details,
                on: connection, logger: logger)
            if action == .upholdDispute {
                try await self.afterUpheldDispute(task: task, taskID: taskID, input: input, tenant: tenant, routing: routing, now: now, actor: actor, on: connection)
            }
            if action == .close {
                try await self.closeIssueIfDone(task.issueID, tenant: tenant, routing: routing, now: now, on: connection)
            }
            return task.issueID
        }
        guard let record = try await issue(issueID, tenant: tenant, zone: routing.timeZone, unmasked: unmasked) else {
            throw IssueError.notFound(issueID)
        }
        return record
    }

    /// A reassigned task goes to the department the office named, in the same role and with the same
    /// limits; without one, an issue left with no live task goes back to triage, never dropped.
    private func afterUpheldDispute(
        task: TaskRow, taskID: Int64, input: ActionInput, tenant: String, routing: TenantRouting.Tenant, now: Date, actor: String,
        on connection: PostgresConnection
    ) async throws {
        let logger = database.logger
        if let target = input.reassignTo {
            let routed = RoutedTask.assigned(
                target, role: TaskRole(rawValue: task.role) ?? .responsible,
                limits: DeadlineLimits(acknowledgeHours: task.acknowledgeHours, rectifyWorkingDays: task.rectifyWorkingDays))
            let rule = "专班办公室同意“\(routing.router.directory.departments.first { $0.code == task.department }?.name ?? task.department)”退单，改派"
            let rows = try await connection.query("SELECT compound_code, reported_at FROM issues WHERE issue_id = \(task.issueID)", logger: logger)
            for try await (compound, reportedAt) in rows.decode((String, Date).self) {
                try await dispatch(
                    [routed], issue: task.issueID, decision: .triage(.noType, listVersion: nil), compound: compound, reportedAt: reportedAt,
                    listID: task.listID, tenant: tenant, routing: routing, now: now, actor: actor, rules: [target: rule], on: connection)
            }
            return
        }
        let live = try await connection.query(
            "SELECT count(*)::int FROM tasks WHERE issue_id = \(task.issueID) AND state NOT IN ('withdrawn', 'closed')", logger: logger)
        for try await count in live.decode(Int.self) where count == 0 {
            try await connection.query(
                "UPDATE issues SET state = 'triage', triage_reason = 'dispute-upheld', row_version = row_version + 1 WHERE issue_id = \(task.issueID)",
                logger: logger)
            try await EventLog.append(
                tenant: tenant, subject: ("issue", String(task.issueID)), kind: "issue.triaged", actor: "whistle", at: now,
                details: ["reason": "dispute-upheld", "message": "退单后无责任部门，请专班办公室重新分派"], on: connection, logger: logger)
        }
    }

    private func closeIssueIfDone(
        _ issueID: Int64, tenant: String, routing: TenantRouting.Tenant, now: Date, on connection: PostgresConnection
    ) async throws {
        let logger = database.logger
        let rows = try await connection.query(
            """
            UPDATE issues SET state = 'closed', closed_at = \(now), row_version = row_version + 1
            WHERE issue_id = \(issueID) AND state = 'open'
              AND NOT EXISTS (SELECT 1 FROM tasks WHERE issue_id = \(issueID) AND state NOT IN ('closed', 'withdrawn'))
            RETURNING issue_id
            """, logger: logger)
        var closed = false
        for try await _ in rows.decode(Int64.self) { closed = true }
        guard closed else { return }
        try await EventLog.append(
            tenant: tenant, subject: ("issue", String(issueID)), kind: "issue.closed", actor: "whistle", at: now, on: connection, logger: logger)
        // Its reporters, and those of the issues merged into it, hear the outcome.
        try await notifyReporters(of: issueID, outcome: .closed, tenant: tenant, routing: routing, now: now, on: connection)
    }

    /// 回访: the reporter's satisfaction with a closed issue; 不满意 reopens it with new tasks for the
    /// same departments in the same roles.
    public func returnVisit(
        _ issueID: Int64, satisfaction: String, note: String?, tenant: String, routing: TenantRouting.Tenant, now: Date, actor: String,
        unmasked: Bool = false
    ) async throws -> IssueRecord {
        let logger = database.logger
        try await database.withTenant(tenant) { connection in
            let rows = try await connection.query(
                "SELECT state, compound_code, reported_at, list_id FROM issues WHERE issue_id = \(issueID) FOR UPDATE", logger: logger)
            var found: (String, String, Date, Int64?)?
            for try await row in rows.decode((String, String, Date, Int64?).self) { found = row }
            guard let (state, compound, reportedAt, listID) = found else { throw IssueError.notFound(issueID) }
            guard state == "closed" else {
                throw IssueError.issueNotAllowed(state: state, reason: "问题尚未销号(当前状态 \(state)),不能回访")
            }
            try await connection.query(
                "UPDATE issues SET satisfaction = \(satisfaction), row_version = row_version + 1 WHERE issue_id = \(issueID)", logger: logger)
            try await EventLog.append(
                tenant: tenant, subject: ("issue", String(issueID)), kind: "issue.returnVisit", actor: actor, at: now,
                details: ["satisfaction": satisfaction, "note": note ?? ""], on: connection, logger: logger)
            guard satisfaction == "dissatisfied", let listID else { return }
            _ = try await reopen(
                issueID, compound: compound, reportedAt: reportedAt, listID: listID, why: "回访不满意，重新派单", details: ["reason": "dissatisfied"],
                tenant: tenant, routing: routing, now: now, actor: actor, on: connection)
        }
        guard let record = try await issue(issueID, tenant: tenant, zone: routing.timeZone, unmasked: unmasked) else {
            throw IssueError.notFound(issueID)
        }
        return record
    }

    /// Reopens a closed issue: the departments whose tasks were closed get new ones (same role and
    /// limits, `why` as their rule), with an `issue.reopened` event carrying `details`. Returns them.
    func reopen(
        _ issueID: Int64, compound: String, reportedAt: Date, listID: Int64, why: String, details: [String: String], tenant: String,
        routing: TenantRouting.Tenant, now: Date, actor: String, on connection: PostgresConnection
    ) async throws -> [String] {
        let logger = database.logger
        let closed = try await connection.query(
            """
            SELECT DISTINCT ON (department_code) department_code, role, rectify_working_days, acknowledge_hours
            FROM tasks WHERE issue_id = \(issueID) AND state = 'closed' ORDER BY department_code, task_id DESC
            """, logger: logger)
        var again: [RoutedTask] = []
        for try await (department, role, days, hours) in closed.decode((String, String, Int?, Int?).self) {
            again.append(
                RoutedTask.assigned(
                    department, role: TaskRole(rawValue: role) ?? .responsible, limits: DeadlineLimits(acknowledgeHours: hours, rectifyWorkingDays: days)))
        }
        again.sort { $0.role < $1.role }
        try await connection.query(
            "UPDATE issues SET state = 'open', closed_at = NULL, reopened = reopened + 1, row_version = row_version + 1 WHERE issue_id = \(issueID)",
            logger: logger)
        try await EventLog.append(
            tenant: tenant, subject: ("issue", String(issueID)), kind: "issue.reopened", actor: actor, at: now,
            details: details.merging(["departments": again.map(\.department).joined(separator: ",")]) { first, _ in first }, on: connection,
            logger: logger)
        try await dispatch(
            again, issue: issueID, decision: .triage(.noType, listVersion: nil), compound: compound, reportedAt: reportedAt, listID: listID,
            tenant: tenant, routing: routing, now: now, actor: actor,
            rules: Dictionary(again.map { ($0.department, why) }, uniquingKeysWith: { first, _ in first }), on: connection)
        return again.map(\.department)
    }

    /// A department the office agreed was wrongly listed, for the next version of the list.
    public struct GapRecord: Codable, Sendable, Hashable {
        public var id: Int64
        public var issue: Int64
        public var task: Int64
        public var issueType: String?
        public var listID: Int64?
        public var department: String
        public var reassignedTo: String?
        public var disputeReason: String
        public var note: String?
        public var recordedBy: String
        public var recordedAt: String
    }

    /// The recorded gaps of the tenant's lists, newest first.
    public func gaps(tenant: String, zone: TimeZone) async throws -> [GapRecord] {
        try await database.withTenant(tenant) { connection in
            let rows = try await connection.query(
                """
                SELECT gap_id, issue_id, task_id, issue_type, list_id, department_code, reassigned_to, dispute_reason, note, recorded_by, recorded_at
                FROM liability_gaps ORDER BY gap_id DESC
                """, logger: database.logger)
            var result: [GapRecord] = []
            for try await r in rows.decode((Int64, Int64, Int64, String?, Int64?, String, String?, String, String?, String, Date).self) {
                result.append(
                    GapRecord(
                        id: r.0, issue: r.1, task: r.2, issueType: r.3, listID: r.4, department: r.5, reassignedTo: r.6, disputeReason: r.7, note: r.8,
                        recordedBy: r.9, recordedAt: ISOMoment.format(r.10, in: zone)))
            }
            return result
        }
    }
}
