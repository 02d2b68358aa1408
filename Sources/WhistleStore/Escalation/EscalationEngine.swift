import Foundation
import Logging
import PostgresNIO
import WhistleCore

/// What a fired ladder timer means: the rung it waited for fires (its escalation row, document,
/// event and outbox rows), then the next rung is armed. Runs in the scheduler's claiming
/// transaction, so a rung, its notifications and the next timer commit together or not at all.
public struct EscalationEngine: TimerAction {
    let routing: TenantRouting
    let onOutbox: @Sendable () -> Void

    /// - Parameter onOutbox: called when a batch wrote outbox rows (to wake the dispatcher; it
    ///   also polls, since the rows are visible only once the batch commits).
    public init(routing: TenantRouting, onOutbox: @escaping @Sendable () -> Void = {}) {
        self.routing = routing
        self.onOutbox = onOutbox
    }

    public func perform(_ timers: [FiredTimer], on connection: PostgresConnection, logger: Logger) async throws {
        var wrote = false
        for timer in timers {
            guard timer.key.subjectKind == "task", let track = EscalationTrack(timerKind: timer.key.kind), let task = Int64(timer.key.subjectID),
                let tenant = routing.tenants[timer.key.tenant]
            else { continue }
            if try await climb(track, task: task, tenant: timer.key.tenant, routing: tenant, now: timer.firedAt, on: connection, logger: logger) {
                wrote = true
            }
        }
        if wrote { onOutbox() }
    }

    /// Fires every rung of `track` that is due at `now` (more than one after downtime, in order),
    /// then arms the next. Returns whether anything was written to the outbox.
    private func climb(
        _ track: EscalationTrack, task: Int64, tenant: String, routing: TenantRouting.Tenant, now: Date, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Bool {
        guard let policy = routing.policy,
            var state = try await EscalationStore.ladderState(task: task, tenant: tenant, lock: true, on: connection, logger: logger)
        else { return false }
        guard Self.runs(track, in: state.state) else { return false }
        let ladder = try await EscalationStore.ladder(state.ladderID, fallback: routing.ladder, on: connection, logger: logger)
        return try await LadderClimb.climb(
            ladder, track: track, fired: state.fired[track] ?? [], anchors: state.anchors, calendar: policy.calendar, zone: routing.timeZone,
            now: now, timer: TimerKey(tenant: tenant, subjectKind: "task", subjectID: String(task), kind: track.timerKind),
            subject: ("task", String(task)), unscheduledDetails: ["track": track.rawValue], on: connection, logger: logger
        ) { rung, moment in
            let result = try await fire(
                rung, track: track, at: moment, task: task, state: state, tenant: tenant, routing: routing, calendar: policy.calendar, now: now,
                on: connection, logger: logger)
            if let due = result.supervisionDue { state.anchors[.supervisionDue] = due }
            return (result.wroteOutbox, result.supervisionDue.map { [.supervisionDue: $0] } ?? [:])
        }
    }

    /// Whether a task in `state` still climbs `track`: reported in, rectified, closed or
    /// withdrawn, the track has stopped.
    static func runs(_ track: EscalationTrack, in state: TaskState) -> Bool {
        switch (track, state) {
        case (.acknowledge, .dispatched), (.rectify, .dispatched), (.rectify, .acknowledged), (.rectify, .inProgress), (.rectify, .disputed):
            return true
        default:
            return false
        }
    }

    private func fire(
        _ rung: EscalationRung, track: EscalationTrack, at moment: Date, task: Int64, state: EscalationStore.LadderState, tenant: String,
        routing: TenantRouting.Tenant, calendar: WorkCalendar, now: Date, on connection: PostgresConnection, logger: Logger
    ) async throws -> (wroteOutbox: Bool, supervisionDue: Date?) {
        let zone = routing.timeZone
        let directory = routing.directory
        let recipients = EscalationRecipients.resolve(rung.targets, department: state.department, in: directory)
        var newDeadline: Date?
        var calendarProblem: String?
        if rung.action == .supervisionOrder, let days = rung.newDeadlineWorkingDays {
            // A calendar that ran out must not stop the order (nor fail the batch, which would retry forever).
            do throws(WorkCalendarError) {
                newDeadline = try calendar.addWorkingDays(from: moment, days: days, in: zone)
            } catch {
                calendarProblem = error.description
            }
        }
        let status: String
        switch rung.action {
        case .talk: status = "awaitingSchedule"
        case .publicNotice where rung.requiresApproval: status = "draft"
        default: status = "issued"
        }
        let summary = String(decoding: try JSONEncoder.sorted.encode(recipients.deliveries.map(RecipientSummary.init)), as: UTF8.self)
        let inserted = try await connection.query(
            """
            INSERT INTO escalations (tenant_id, task_id, issue_id, department_code, track, rung, action, due_at, fired_at, deduction, targets,
                                     recipients, unreachable, state, notified)
            VALUES (\(tenant), \(task), \(state.issueID), \(state.department), \(track.rawValue), \(rung.code), \(rung.action.rawValue), \(moment),
                    \(now), \(rung.deduction)::float8::numeric, \(rung.targets.map(\.rawValue)), \(summary)::jsonb, \(recipients.unreachable), \(status),
                    \(recipients.reachesNobody ? "unnotified" : "pending"))
            ON CONFLICT (tenant_id, task_id, track, rung) DO NOTHING
            RETURNING escalation_id
            """, logger: logger)
        var found: Int64?
        for try await id in inserted.decode(Int64.self) { found = id }
        // Fired already (each rung fires once): nothing more to say.
        guard let escalation = found else { return (false, nil) }

        var anchors = state.anchors
        if let newDeadline { anchors[.supervisionDue] = newDeadline }
        let facts = state.facts(escalation: escalation, task: task, anchors: anchors, at: moment, routing: routing)
        let message = EscalationNotice.fired(rung, track: track, facts: facts, people: recipients.people, newDeadline: newDeadline)
        if let document = message.document {
            let json = String(decoding: try JSONEncoder.sorted.encode(document), as: UTF8.self)
            try await connection.query(
                "UPDATE escalations SET document = \(json)::jsonb WHERE tenant_id = \(tenant) AND escalation_id = \(escalation)", logger: logger)
        }
        if let newDeadline {
            try await connection.query(
                "UPDATE tasks SET supervision_due = \(newDeadline) WHERE tenant_id = \(tenant) AND task_id = \(task)", logger: logger)
        }
        var details: [String: String] = [
            "escalation": String(escalation), "issue": String(state.issueID), "track": track.rawValue, "rung": rung.code,
            "action": rung.action.rawValue, "actionName": rung.action.chineseName, "due": ISOMoment.format(moment, in: zone),
            "deduction": EscalationNotice.formatPoints(rung.deduction), "recipients": recipients.people.joined(separator: "、"),
        ]
        details["document"] = message.document.map { "\($0.kind) \($0.number)" }
        details["newDeadline"] = newDeadline.map { ISOMoment.format($0, in: zone) }
        try await EventLog.append(
            tenant: tenant, subject: ("task", String(task)), kind: "task.escalated", actor: "whistle", at: now, details: details, on: connection,
            logger: logger)
        if let calendarProblem {
            try await EventLog.append(
                tenant: tenant, subject: ("task", String(task)), kind: "escalation.unscheduled", actor: "whistle", at: now,
                details: ["escalation": String(escalation), "track": track.rawValue, "reason": calendarProblem], on: connection, logger: logger)
        }
        if recipients.reachesNobody {
            try await EventLog.append(
                tenant: tenant, subject: ("task", String(task)), kind: "escalation.unnotified", actor: "whistle", at: now,
                details: [
                    "escalation": String(escalation), "rung": rung.code, "action": rung.action.rawValue,
                    "reason": "无人可通知：" + (recipients.unreachable.isEmpty ? "没有通知渠道" : recipients.unreachable.joined(separator: "；")),
                ], on: connection, logger: logger)
            return (false, newDeadline)
        }
        try await OutboxStore.enqueue(
            recipients.deliveries, message: message, tenant: tenant, escalation: escalation, eventKind: "task.escalated", now: now,
            on: connection, logger: logger)
        if rung.action == .publicNotice, !rung.requiresApproval, let document = message.document {
            try await OutboxStore.enqueue(
                EscalationRecipients.memberUnits(of: directory).deliveries,
                message: EscalationNotice.publishedNotice(document, tenantName: directory.tenant.name, approvedBy: "whistle"), tenant: tenant,
                escalation: escalation, eventKind: "escalation.noticePublished", now: now, on: connection, logger: logger)
        }
        return (true, newDeadline)
    }
}

/// A recipient as the escalation row keeps it: no addresses or secrets, only who and how.
public struct RecipientSummary: Codable, Sendable, Hashable {
    public var department: String
    public var departmentName: String
    public var channel: String
    public var people: [String]
    public var mentions: [String]

    init(_ delivery: EscalationRecipients.Delivery) {
        department = delivery.department
        departmentName = delivery.departmentName
        channel = delivery.channel.kind.rawValue
        people = delivery.people
        mentions = delivery.mentions
    }
}
