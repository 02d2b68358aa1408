import Foundation
import Logging
import PostgresNIO
import WhistleCore

/// What a fired `handoff` timer means: the shift of the member a team's task went to has ended
/// and nobody reported in, so the task passes to the member now on duty. Both are recorded
/// (`task.handedOff`), the team's channels tell the new member, and the next shift end is armed.
public struct RosterHandoff: TimerAction {
    /// The kind of a task's timer at its assignee's shift end.
    public static let timerKind = "handoff"

    let routing: TenantRouting

    public init(routing: TenantRouting) {
        self.routing = routing
    }

    public func perform(_ timers: [FiredTimer], on connection: PostgresConnection, logger: Logger) async throws {
        for timer in timers where timer.key.subjectKind == "task" && timer.key.kind == Self.timerKind {
            guard let task = Int64(timer.key.subjectID), let tenant = routing.tenants[timer.key.tenant] else { continue }
            // Armed early by a change of the roster (RosterStore) rather than at a shift's end.
            let details = (try? JSONDecoder().decode([String: String].self, from: Data(timer.details.utf8))) ?? [:]
            try await handOff(
                task, tenant: timer.key.tenant, routing: tenant, shiftEnd: timer.dueAt, rosterChanged: details["override"] != nil, now: timer.firedAt,
                on: connection, logger: logger)
        }
    }

    private func handOff(
        _ task: Int64, tenant: String, routing: TenantRouting.Tenant, shiftEnd: Date, rosterChanged: Bool, now: Date, on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        let rows = try await connection.query(
            """
            SELECT t.issue_id, t.department_code, t.state, t.assignee, i.compound_code, i.description
            FROM tasks t JOIN issues i ON i.tenant_id = t.tenant_id AND i.issue_id = t.issue_id
            WHERE t.tenant_id = \(tenant) AND t.task_id = \(task) FOR UPDATE OF t
            """, logger: logger)
        var found: (Int64, String, String, String?, String, String)?
        for try await row in rows.decode((Int64, String, String, String?, String, String).self) { found = row }
        // Reported in (or gone) meanwhile: nothing to hand on.
        guard let (issue, department, state, previous, compound, description) = found, state == TaskState.dispatched.rawValue,
            let team = routing.rosters.teams.first(where: { $0.team == department }), let calendar = routing.policy?.calendar
        else { return }
        let zone = routing.timeZone
        var roster = team.roster
        roster.overrides += try await RosterStore.overrides(teams: [team.team], after: shiftEnd, on: connection, logger: logger)[team.team] ?? []
        let duty: (member: String, source: String, until: Date?)?
        do throws(WorkCalendarError) {
            duty = try roster.assignment(at: shiftEnd, calendar: calendar)
        } catch {
            try await EventLog.append(
                tenant: tenant, subject: ("task", String(task)), kind: "task.handoffFailed", actor: "whistle", at: now,
                details: ["from": previous ?? "", "reason": error.description], on: connection, logger: logger)
            return
        }
        guard let duty else {
            // A gap in the roster: the task stays where it is, the event tells the office and the
            // team, and the hand-off waits for whoever comes on duty next.
            let next = try? roster.nextDutyStart(after: shiftEnd, calendar: calendar)
            var details = ["from": previous ?? "", "reason": "排班空档：\(ISOMoment.format(shiftEnd, in: zone)) 起无人值班"]
            details["retryAt"] = next.map { ISOMoment.format($0, in: zone) }
            try await EventLog.append(
                tenant: tenant, subject: ("task", String(task)), kind: "task.handoffFailed", actor: "whistle", at: now, details: details,
                on: connection, logger: logger)
            if let next { try await arm(task, tenant: tenant, at: next, member: previous, on: connection, logger: logger) }
            return
        }
        if duty.member != previous {
            try await connection.query(
                "UPDATE tasks SET assignee = \(duty.member), row_version = row_version + 1 WHERE tenant_id = \(tenant) AND task_id = \(task)",
                logger: logger)
            var details = [
                "issue": String(issue), "from": previous ?? "", "to": duty.member, "shiftEnd": ISOMoment.format(shiftEnd, in: zone),
                "reason": previous == nil ? "派单时无人值班，交给当班人员" : rosterChanged ? "排班调整，转交当班人员" : "班次结束仍未签收，转交当班人员",
            ]
            details["until"] = duty.until.map { ISOMoment.format($0, in: zone) }
            try await EventLog.append(
                tenant: tenant, subject: ("task", String(task)), kind: "task.handedOff", actor: "whistle", at: now, details: details,
                on: connection, logger: logger)
            let member = team.members.first { $0.code == duty.member }
            let previousName = team.members.first { $0.code == previous }?.name ?? previous ?? ""
            let compoundName = routing.directory.compounds.first { $0.compound.code == compound }?.compound.name ?? compound
            let message = NotificationMessage(
                title: "任务转交",
                lines: [
                    "\(member?.name ?? duty.member)：\(compoundName)（问题 #\(issue)，任务 #\(task)）"
                        + (previous == nil
                            ? "派单时无人值班，现交给您，请立即签收办理。"
                            : rosterChanged
                                ? "因排班调整由\(previousName)转交给您，请立即签收办理。" : "在\(previousName)的班次内未签收，现转交给您，请立即签收办理。"),
                    description,
                ])
            if let department = routing.directory.departments.first(where: { $0.code == team.team }) {
                let recipients = EscalationRecipients.onDuty(member?.name ?? duty.member, mobile: member?.mobile, team: department, in: routing.directory)
                try await OutboxStore.enqueue(
                    recipients.deliveries, message: message, tenant: tenant, escalation: nil, eventKind: "task.handedOff", now: now, on: connection,
                    logger: logger)
            }
        }
        if let until = duty.until { try await arm(task, tenant: tenant, at: until, member: duty.member, on: connection, logger: logger) }
    }

    private func arm(_ task: Int64, tenant: String, at due: Date, member: String?, on connection: PostgresConnection, logger: Logger) async throws {
        let details = String(decoding: try JSONEncoder().encode(["member": member ?? ""]), as: UTF8.self)
        try await TimerStore.arm(
            TimerKey(tenant: tenant, subjectKind: "task", subjectID: String(task), kind: Self.timerKind), due: due, details: details,
            on: connection, logger: logger)
    }
}

/// Several timer actions in one claiming transaction, each taking the timers it knows.
public struct TimerActions: TimerAction {
    let actions: [any TimerAction]

    public init(_ actions: [any TimerAction]) {
        self.actions = actions
    }

    public func perform(_ timers: [FiredTimer], on connection: PostgresConnection, logger: Logger) async throws {
        for action in actions { try await action.perform(timers, on: connection, logger: logger) }
    }
}
