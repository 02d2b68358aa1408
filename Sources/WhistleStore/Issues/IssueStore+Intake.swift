import Foundation
import Logging
import PostgresNIO
import WhistleCore

extension IssueStore {
    /// Takes in a report: routes it by the list in force at its report time, then writes the
    /// issue, its duplicate flag, its tasks with their deadlines, their timers and the events in
    /// one call of `whistle_intake` (one round trip, one transaction). The answer is built from
    /// what was written, not read back.
    ///
    /// - Returns: the issue, and false when an earlier request with the same key and body made it.
    public func intake(
        _ intake: IssueIntake, tenant: String, routing: TenantRouting.Tenant, idempotency: Idempotency? = nil, now: Date,
        actor: String, reportedBy: Int64? = nil, unmasked: Bool = false, duplicateWindow: TimeInterval = 7 * 86_400
    ) async throws -> (issue: IssueRecord, created: Bool) {
        let prepared = try await prepare(
            intake, tenant: tenant, routing: routing, idempotency: idempotency, now: now, actor: actor, reportedBy: reportedBy,
            duplicateWindow: duplicateWindow)
        let (payload, rows, version, zone) = (prepared.payload, prepared.rows, prepared.version, routing.timeZone)
        let (now, reportedAt) = (prepared.call.receivedAt, prepared.call.reportedAt)

        let written: IntakeWritten
        do {
            let result = try await database.client.execute(prepared.call, logger: database.logger)
            var found: IntakeWritten?
            for try await row in result {
                found = IntakeWritten(issue: row.0, created: row.1, conflict: row.2, list: row.3, tasks: row.4, duplicates: row.5)
            }
            guard let found else { throw IssueError.notFound(0) }
            written = found
        } catch let error where sqlState(of: error) == "WH001" {
            throw IssueError.listNotLoaded(tenant: tenant, version: version ?? "")
        }
        guard written.created else {
            if written.conflict { throw IssueError.idempotencyConflict(key: idempotency?.key ?? "", issue: written.issue) }
            guard let earlier = try await issue(written.issue, tenant: tenant, zone: zone, unmasked: unmasked) else {
                throw IssueError.notFound(written.issue)
            }
            return (earlier, false)
        }

        let typeName = version.flatMap { routing.router.catalog.version(named: $0) }.flatMap { list in payload.type.flatMap { list.type($0)?.name } }
        var records: [(rank: TaskRole, record: TaskRecord)] = []
        for (row, id) in zip(rows, written.tasks) {
            let rectifyDue = row.deadlines.map { ISOMoment.format($0.rectifyDue, in: zone) }
            records.append(
                (
                    row.task.role,
                    TaskRecord(
                        id: id, department: row.task.department, departmentName: routing.departmentNames[row.task.department] ?? row.task.department,
                        role: row.task.role.rawValue, roleName: row.task.role.chineseName, state: TaskState.dispatched.rawValue, rule: row.rule,
                        listID: written.list ?? 0, dispatchedAt: ISOMoment.format(now, in: zone),
                        acknowledgeDue: row.acknowledgeDue.map { ISOMoment.format($0, in: zone) }, rectifyDue: rectifyDue,
                        rectifyWorkingDays: row.rectifyWorkingDays, limitsSource: row.task.limitsSource.rawValue,
                        originalRectifyDue: rectifyDue, extensions: 0, pendingExtension: nil, measures: nil, disputeReason: nil,
                        rejectionReason: nil, assignee: row.assignee, allowedActions: TaskLifecycle.allowedActions(in: .dispatched).map(\.rawValue),
                        rowVersion: 1)
                ))
        }
        // The order the issue is read in: by role, then by task id (stable sort keeps the ids' order).
        records.sort { $0.rank < $1.rank }
        let record = IssueRecord(
            id: written.issue, tenant: tenant, state: payload.state, channel: payload.channel, compound: payload.compound,
            building: payload.building, household: payload.household, type: payload.type, typeName: typeName, listVersion: version,
            listID: written.list, description: payload.description, reportedAt: ISOMoment.format(reportedAt, in: zone),
            receivedAt: ISOMoment.format(now, in: zone), reporter: intake.reporter.shown(unmasked: unmasked), reportedBy: reportedBy, possibleDuplicates: written.duplicates,
            duplicateOf: nil, mergedFrom: [], mergedReporters: [], channelDetails: payload.details,
            triage: payload.triageReason.map { IssueRecord.Triage(reason: $0, message: Self.triageMessage($0, type: payload.type)) },
            tasks: records.map(\.record), photos: [], rowVersion: 1)
        return (record, true)
    }

    /// The statement one intake of `intake` sends, its arguments written out as SQL literals:
    /// what `whistle bench intake` gives pgbench to measure PostgreSQL's share of an intake alone.
    public func intakeStatementText(
        _ intake: IssueIntake, tenant: String, routing: TenantRouting.Tenant, now: Date, actor: String
    ) async throws -> String {
        try await prepare(
            intake, tenant: tenant, routing: routing, idempotency: nil, now: now, actor: actor, reportedBy: nil, duplicateWindow: 7 * 86_400
        ).call.literalSQL
    }

    /// Checks and routes a report and builds the call of `whistle_intake` that writes it.
    private func prepare(
        _ intake: IssueIntake, tenant: String, routing: TenantRouting.Tenant, idempotency: Idempotency?, now: Date,
        actor: String, reportedBy: Int64?, duplicateWindow: TimeInterval
    ) async throws -> PreparedIntake {
        let problems = intake.problems(directory: routing.router.directory, now: now)
        guard problems.isEmpty else { throw IssueError.invalid(problems) }
        let decision: RoutingDecision
        do throws(RoutingError) {
            decision = try routing.router.route(type: intake.type, compound: intake.compound, reportedAt: intake.reportedAt)
        } catch {
            throw IssueError.invalid([IssueIntake.FieldProblem(field: "compound", reason: error.description)])
        }
        let now = now.postgresPrecision
        let reportedAt = intake.reportedAt.postgresPrecision
        let zone = routing.timeZone
        let version = Self.version(of: decision)

        var payload = IntakePayload(
            channel: intake.channel.rawValue, compound: intake.compound, building: intake.building, household: intake.household,
            type: intake.type, listVersion: version, description: intake.description.trimmingCharacters(in: .whitespacesAndNewlines),
            reporter: intake.reporter, details: intake.channelDetails, state: "open", idempotencyKey: idempotency?.key,
            requestHash: idempotency?.bodyHash, reportedBy: reportedBy, actor: actor, ladderChecksum: routing.ladderChecksum,
            receivedEvent: [
                "channel": intake.channel.rawValue, "compound": intake.compound, "type": intake.type ?? "", "listVersion": version ?? "",
            ])
        var rows: [DispatchRow] = []
        switch decision {
        case .triage(let reason, _):
            payload.state = "triage"
            payload.triageReason = reason.code
            if case .noType = reason { payload.type = nil }
            payload.triageEvent = ["reason": reason.code, "message": reason.description]
        case .routed(let plan):
            let rules = Self.rules(decision, routing: routing, compound: intake.compound, reportedAt: intake.reportedAt)
            // A team's overrides made through the API (one query, only when a team with a roster is routed).
            let overrides = try await RosterStore(database: database).overrides(
                for: plan.tasks.map(\.department), routing: routing, tenant: tenant, after: now)
            rows = plan.tasks.map { DispatchRow($0, rule: rules[$0.department] ?? "", routing: routing, now: now, overrides: overrides) }
        }
        let subject = DispatchRow.NoticeSubject(
            compound: intake.compound, building: intake.building, household: intake.household, issueType: payload.type,
            description: payload.description, routing: routing)
        let tasks = rows.map { row in
            let (notice, recipients) = row.notice(subject, routing: routing)
            // Nobody could be told of the task: an event of its own, never a silent skip.
            let unnotified = recipients.reachesNobody
                ? [TrailPayload(kind: "task.unnotified", details: ["reason": recipients.unreachable.joined(separator: "；")])] : []
            return TaskPayload(
                department: row.task.department, role: row.task.role.rawValue, rule: row.rule,
                acknowledgeDue: row.acknowledgeDue?.unixMicroseconds, rectifyDue: row.deadlines?.rectifyDue.unixMicroseconds,
                rectifyWorkingDays: row.rectifyWorkingDays, acknowledgeHours: row.task.limits.acknowledgeHours,
                limitsSource: row.task.limitsSource.rawValue, event: row.dispatchedDetails(zone: zone),
                deadlineUnset: row.deadlineProblem.map { ["reason": $0] },
                trail: row.unscheduledLadders.map { TrailPayload(kind: "escalation.unscheduled", details: $0.details) } + unnotified,
                notice: notice, deliveries: recipients.deliveries.map(DeliveryPayload.init),
                assignee: row.assignee, timers: row.timers.map { TimerPayload(kind: $0.kind, at: $0.at.unixMicroseconds, details: $0.details) })
        }
        let encoder = JSONEncoder.sorted
        let issueJSON = String(decoding: try encoder.encode(payload), as: UTF8.self)
        let tasksJSON = String(decoding: try encoder.encode(tasks), as: UTF8.self)
        let duplicatesFrom = reportedAt.addingTimeInterval(-duplicateWindow)
        let notifyBefore = timerNotifyHorizon.map { now.addingTimeInterval($0) }

        let call = IntakeCall(
            tenant: tenant, issue: issueJSON, tasks: tasksJSON, reportedAt: reportedAt, receivedAt: now, duplicatesFrom: duplicatesFrom,
            notifyBefore: notifyBefore)
        return PreparedIntake(call: call, payload: payload, rows: rows, version: version)
    }
}


/// The issue as `whistle_intake` takes it (`p_issue`).
private struct IntakePayload: Encodable {
    var channel: String
    var compound: String
    var building: String?
    var household: String?
    var type: String?
    var listVersion: String?
    var description: String
    var reporter: IssueIntake.Reporter
    var details: [String: String]
    var state: String
    var triageReason: String?
    var idempotencyKey: String?
    var requestHash: String?
    var reportedBy: Int64?
    var actor: String
    var ladderChecksum: String
    var receivedEvent: [String: String]
    var triageEvent: [String: String]?
}

/// One task as `whistle_intake` takes it (`p_tasks`); moments in Unix microseconds.
private struct TaskPayload: Encodable {
    var department: String
    var role: String
    var rule: String
    var acknowledgeDue: Int64?
    var rectifyDue: Int64?
    var rectifyWorkingDays: Int?
    var acknowledgeHours: Int?
    var limitsSource: String
    var event: [String: String]
    var deadlineUnset: [String: String]?
    /// Further events of the task, after `task.dispatched` and `task.deadlineUnset` (sql/0022).
    var trail: [TrailPayload]
    /// The whistle to the department (`DispatchNotice`), an outbox row per delivery (sql/0022).
    var notice: NotificationMessage
    var deliveries: [DeliveryPayload]
    var assignee: String?
    var timers: [TimerPayload]
}

private struct DeliveryPayload: Encodable {
    var department: String
    var channel: String
    var endpoint: String
    var mentions: [String]

    init(_ delivery: EscalationRecipients.Delivery) {
        department = delivery.department
        channel = delivery.channel.kind.rawValue
        endpoint = delivery.channel.endpoint
        mentions = delivery.mentions
    }
}

private struct TrailPayload: Encodable {
    var kind: String
    var details: [String: String]
}

private struct TimerPayload: Encodable {
    var kind: String
    var at: Int64
    var details: [String: String]
}

/// The call of `whistle_intake`, prepared once per connection (parsing and planning it on every
/// intake was a tenth of PostgreSQL's work per issue).
private struct IntakeCall: PostgresPreparedStatement {
    static let name = "whistle_intake_call"
    static let sql = """
        SELECT out_issue, out_created, out_conflict, out_list, out_tasks, out_duplicates
        FROM whistle_intake($1, $2::jsonb, $3::jsonb, $4, $5, $6, $7)
        """
    static let bindingDataTypes: [PostgresDataType] = [.text, .text, .text, .timestamptz, .timestamptz, .timestamptz, .timestamptz]
    typealias Row = (Int64, Bool, Bool, Int64?, [Int64], [Int64])

    var tenant: String
    var issue: String
    var tasks: String
    var reportedAt: Date
    var receivedAt: Date
    var duplicatesFrom: Date
    var notifyBefore: Date?

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 7)
        bindings.append(tenant)
        bindings.append(issue)
        bindings.append(tasks)
        bindings.append(reportedAt)
        bindings.append(receivedAt)
        bindings.append(duplicatesFrom)
        bindings.append(notifyBefore)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }

    /// The call with its arguments as SQL literals (for pgbench, which sends no binary binds).
    var literalSQL: String {
        func text(_ value: String) -> String { "'" + value.replacingOccurrences(of: "'", with: "''") + "'" }
        func moment(_ value: Date?) -> String {
            value.map { "to_timestamp(\(String(format: "%.6f", $0.timeIntervalSince1970)))" } ?? "NULL::timestamptz"
        }
        return """
            SELECT out_issue, out_created, out_conflict, out_list, out_tasks, out_duplicates FROM whistle_intake(\(text(tenant)), \
            \(text(issue))::jsonb, \(text(tasks))::jsonb, \(moment(reportedAt)), \(moment(receivedAt)), \(moment(duplicatesFrom)), \
            \(moment(notifyBefore)));
            """
    }
}

/// A report checked, routed and ready to write.
private struct PreparedIntake {
    var call: IntakeCall
    var payload: IntakePayload
    var rows: [DispatchRow]
    var version: String?
}

/// What `whistle_intake` wrote.
private struct IntakeWritten {
    var issue: Int64
    var created: Bool
    var conflict: Bool
    var list: Int64?
    var tasks: [Int64]
    var duplicates: [Int64]
}
