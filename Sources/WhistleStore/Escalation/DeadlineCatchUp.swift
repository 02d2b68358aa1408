import Foundation
import Logging
import PostgresNIO
import WhistleCore

/// What the calendar could not count when it ran out, counted once it can.
///
/// A task dispatched when its rectify deadline falls in a year without a holiday notice goes out
/// without that deadline (`task.deadlineUnset`), a ladder whose next rung falls there stops
/// (`escalation.unscheduled`), and a team's shift that runs into it has no known end, so its task
/// is not handed on. Nothing fires for them until someone acts. When the daemon starts with a
/// calendar that now covers those days (the notice for the next year was added), this counts the
/// missing deadlines from each task's dispatch, arms their timers and rungs, and resumes the
/// stopped ladders (a task's, a joint operation participant's) and the teams' hand-offs, each in
/// the tenant's trail (`task.deadlineSet`, `escalation.rescheduled`, `task.handoffResumed`).
/// Whatever the calendar still cannot count is left as it is, without a new event, so every
/// start does not repeat the same warning.
public struct DeadlineCatchUp: Sendable {
    /// What a run did, over all tenants.
    public struct Outcome: Sendable, Hashable {
        /// Tasks that got their rectify deadline.
        public var deadlinesSet = 0
        /// Ladder tracks armed again.
        public var laddersResumed = 0
        /// Team tasks whose hand-off at shift end is armed again.
        public var handoffsResumed = 0
        /// Tasks or tracks the calendar still cannot count.
        public var stillUncounted = 0

        public init() {}
    }

    let database: Database
    let routing: TenantRouting

    /// The states in which a task's rectify deadline and ladder still run (`EscalationEngine.runs`).
    static let rectifying = TaskState.allCases.filter { EscalationEngine.runs(.rectify, in: $0) }.map(\.rawValue)

    public init(database: Database, routing: TenantRouting) {
        self.database = database
        self.routing = routing
    }

    /// Catches up every tenant with a calendar, one transaction per tenant.
    public func run(now: Date) async throws -> Outcome {
        var outcome = Outcome()
        for code in routing.tenants.keys.sorted() {
            guard let tenant = routing.tenants[code], let policy = tenant.policy else { continue }
            let part = try await database.withTenant(code) { connection in
                var part = Outcome()
                try await setDeadlines(tenant: code, routing: tenant, policy: policy, now: now, outcome: &part, on: connection)
                try await resumeLadders(tenant: code, routing: tenant, policy: policy, now: now, outcome: &part, on: connection)
                try await resumeConfirmations(tenant: code, routing: tenant, policy: policy, now: now, outcome: &part, on: connection)
                try await resumeHandoffs(tenant: code, routing: tenant, policy: policy, now: now, outcome: &part, on: connection)
                return part
            }
            outcome.deadlinesSet += part.deadlinesSet
            outcome.laddersResumed += part.laddersResumed
            outcome.handoffsResumed += part.handoffsResumed
            outcome.stillUncounted += part.stillUncounted
        }
        return outcome
    }

    /// Live tasks without a rectify deadline: counted from their dispatch with the limits they
    /// went out with, as if the calendar had covered the year then.
    private func setDeadlines(
        tenant: String, routing: TenantRouting.Tenant, policy: DeadlinePolicy, now: Date, outcome: inout Outcome,
        on connection: PostgresConnection
    ) async throws {
        let logger = database.logger
        let rows = try await connection.query(
            """
            SELECT task_id, issue_id, state, dispatched_at, acknowledge_due, acknowledge_hours, rectify_working_days
            FROM tasks
            WHERE tenant_id = \(tenant) AND rectify_due IS NULL AND state = ANY (\(Self.rectifying))
            ORDER BY task_id
            FOR UPDATE SKIP LOCKED
            """, logger: logger)
        var undated: [(task: Int64, issue: Int64, state: String, dispatchedAt: Date, acknowledgeDue: Date?, limits: DeadlineLimits)] = []
        for try await r in rows.decode((Int64, Int64, String, Date, Date?, Int?, Int?).self) {
            undated.append((r.0, r.1, r.2, r.3, r.4, DeadlineLimits(acknowledgeHours: r.5, rectifyWorkingDays: r.6)))
        }
        for task in undated {
            let deadlines: TaskDeadlines
            do throws(DeadlineError) {
                deadlines = try policy.deadlines(dispatchedAt: task.dispatchedAt, limits: task.limits)
            } catch {
                outcome.stillUncounted += 1
                continue
            }
            let acknowledgeDue = task.acknowledgeDue ?? deadlines.acknowledgeDue
            try await connection.query(
                """
                UPDATE tasks SET rectify_due = \(deadlines.rectifyDue), original_rectify_due = \(deadlines.rectifyDue),
                                 rectify_working_days = \(deadlines.rectifyWorkingDays), acknowledge_due = \(acknowledgeDue),
                                 row_version = row_version + 1
                WHERE tenant_id = \(tenant) AND task_id = \(task.task) AND rectify_due IS NULL
                """, logger: logger)
            let subject = String(task.task)
            try await TimerStore.arm(
                TimerKey(tenant: tenant, subjectKind: "task", subjectID: subject, kind: "rectify"), due: deadlines.rectifyDue, on: connection,
                logger: logger)
            var tracks: [EscalationTrack] = [.rectify]
            if task.acknowledgeDue == nil, let due = acknowledgeDue, task.state == TaskState.dispatched.rawValue {
                try await TimerStore.arm(
                    TimerKey(tenant: tenant, subjectKind: "task", subjectID: subject, kind: "acknowledge"), due: due, on: connection, logger: logger)
                tracks.append(.acknowledge)
            }
            if let state = try await EscalationStore.ladderState(task: task.task, tenant: tenant, lock: false, on: connection, logger: logger) {
                let ladder = try await EscalationStore.ladder(state.ladderID, fallback: routing.ladder, on: connection, logger: logger)
                let next = LadderTimer.plan(
                    ladder: ladder, tracks: tracks, fired: state.fired, anchors: state.anchors, calendar: policy.calendar, zone: routing.timeZone)
                for timer in next.timers {
                    try await TimerStore.arm(
                        TimerKey(tenant: tenant, subjectKind: "task", subjectID: subject, kind: timer.track.timerKind), due: timer.at,
                        details: timer.details, on: connection, logger: logger)
                }
                // The deadline is counted but a rung past it is not (yet): the track waits for the
                // next start, as any stopped ladder does. Written once: the deadline is set now.
                for stopped in next.unscheduled {
                    try await stopped.record(task: task.task, issue: task.issue, tenant: tenant, at: now, on: connection, logger: logger)
                    outcome.stillUncounted += 1
                }
            }
            var details = [
                "issue": String(task.issue), "rectifyDue": ISOMoment.format(deadlines.rectifyDue, in: routing.timeZone),
                "rectifyWorkingDays": String(deadlines.rectifyWorkingDays), "calendar": policy.calendar.name,
            ]
            details["acknowledgeDue"] = acknowledgeDue.map { ISOMoment.format($0, in: routing.timeZone) }
            try await EventLog.append(
                tenant: tenant, subject: ("task", subject), kind: "task.deadlineSet", actor: "whistle", at: now, details: details, on: connection,
                logger: logger)
            outcome.deadlinesSet += 1
        }
    }

    /// Tracks stopped by `escalation.unscheduled` that still run and have no timer: the
    /// supervision order's deadline counted when that is what the calendar could not count, then
    /// the track armed for its next rung (at once when it is already due: the scheduler fires
    /// what was missed, in order).
    private func resumeLadders(
        tenant: String, routing: TenantRouting.Tenant, policy: DeadlinePolicy, now: Date, outcome: inout Outcome,
        on connection: PostgresConnection
    ) async throws {
        let logger = database.logger
        let zone = routing.timeZone
        let rows = try await connection.query(
            """
            SELECT DISTINCT e.subject_id::bigint, e.details->>'track', (e.details->>'escalation')::bigint
            FROM events e JOIN tasks t ON t.tenant_id = e.tenant_id AND t.task_id = e.subject_id::bigint
            WHERE e.tenant_id = \(tenant) AND e.kind = 'escalation.unscheduled' AND e.subject_kind = 'task'
              AND t.state = ANY (\(Self.rectifying))
              AND NOT EXISTS (SELECT 1 FROM timers m
                              WHERE m.tenant_id = e.tenant_id AND m.subject_kind = 'task' AND m.subject_id = e.subject_id
                                AND m.kind = 'ladder.' || (e.details->>'track') AND m.state = 'armed')
            ORDER BY 1, 2, 3
            """, logger: logger)
        var stopped: [(task: Int64, track: EscalationTrack, escalation: Int64?)] = []
        for try await r in rows.decode((Int64, String?, Int64?).self) {
            if let track = r.1.flatMap(EscalationTrack.init(rawValue:)) { stopped.append((r.0, track, r.2)) }
        }
        for (task, track, escalation) in stopped {
            guard var state = try await EscalationStore.ladderState(task: task, tenant: tenant, lock: true, on: connection, logger: logger),
                EscalationEngine.runs(track, in: state.state)
            else { continue }
            let ladder = try await EscalationStore.ladder(state.ladderID, fallback: routing.ladder, on: connection, logger: logger)
            let subject = String(task)
            var details = ["issue": String(state.issueID), "track": track.rawValue, "calendar": policy.calendar.name]
            // A supervision order that went out without its new deadline (办结时限未设定).
            var order: (rung: EscalationRung, due: Date)?
            if let escalation, state.anchors[.supervisionDue] == nil {
                order = try await supervisionOrder(escalation, tenant: tenant, ladder: ladder, on: connection)
            }
            let supervisionDue: Date?
            let next: (rung: EscalationRung, moment: Date?)?
            do throws(WorkCalendarError) {
                supervisionDue = try order.flatMap { order throws(WorkCalendarError) in
                    try order.rung.newDeadlineWorkingDays.map { days throws(WorkCalendarError) in
                        try policy.calendar.addWorkingDays(from: order.due, days: days, in: zone)
                    }
                }
                state.anchors[.supervisionDue] = supervisionDue ?? state.anchors[.supervisionDue]
                next = try ladder.next(on: track, fired: state.fired[track] ?? [], anchors: state.anchors, calendar: policy.calendar, in: zone)
            } catch {
                outcome.stillUncounted += 1
                continue
            }
            if let supervisionDue, let escalation, let order {
                try await connection.query(
                    "UPDATE tasks SET supervision_due = \(supervisionDue) WHERE tenant_id = \(tenant) AND task_id = \(task) AND supervision_due IS NULL",
                    logger: logger)
                details["escalation"] = String(escalation)
                details["supervisionDue"] = ISOMoment.format(supervisionDue, in: zone)
                // The order's recipients were told "未设定": a talk must not follow a deadline nobody heard of.
                try await tellSupervisionDeadline(
                    order.rung, escalation: escalation, orderDue: order.due, task: task, state: state, tenant: tenant, routing: routing, now: now,
                    on: connection)
            }
            if let next, let moment = next.moment {
                try await TimerStore.arm(
                    TimerKey(tenant: tenant, subjectKind: "task", subjectID: subject, kind: track.timerKind), due: moment,
                    details: LadderTimer(track: track, rung: next.rung.code, at: moment).details, on: connection, logger: logger)
                details["rung"] = next.rung.code
                details["at"] = ISOMoment.format(moment, in: zone)
            }
            // Nothing the calendar could newly count (the ladder had ended): nothing to say.
            guard details["rung"] != nil || details["supervisionDue"] != nil else { continue }
            try await EventLog.append(
                tenant: tenant, subject: ("task", subject), kind: "escalation.rescheduled", actor: "whistle", at: now, details: details,
                on: connection, logger: logger)
            outcome.laddersResumed += 1
        }
    }

    /// Joint operations' confirmation ladders (`OperationLadder`) the calendar stopped, for
    /// participants still invited to a scheduled operation: armed for their next rung.
    private func resumeConfirmations(
        tenant: String, routing: TenantRouting.Tenant, policy: DeadlinePolicy, now: Date, outcome: inout Outcome,
        on connection: PostgresConnection
    ) async throws {
        let logger = database.logger
        let zone = routing.timeZone
        let rows = try await connection.query(
            """
            SELECT DISTINCT e.subject_id::bigint, e.details->>'department'
            FROM events e
            WHERE e.tenant_id = \(tenant) AND e.kind = 'escalation.unscheduled' AND e.subject_kind = 'operation'
              AND e.details->>'department' IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM timers m
                              WHERE m.tenant_id = e.tenant_id AND m.subject_kind = 'participant'
                                AND m.subject_id = e.subject_id || ':' || (e.details->>'department')
                                AND m.kind = \(OperationStore.timerKind) AND m.state = 'armed')
            ORDER BY 1, 2
            """, logger: logger)
        var stopped: [(operation: Int64, department: String)] = []
        for try await r in rows.decode((Int64, String).self) { stopped.append(r) }
        for (operation, department) in stopped {
            guard let pressing = try await OperationLadder.pressing(operation, department: department, tenant: tenant, on: connection, logger: logger)
            else { continue }
            let ladder = try await EscalationStore.ladder(pressing.ladderID, fallback: routing.ladder, on: connection, logger: logger)
            let next: (rung: EscalationRung, moment: Date?)?
            do throws(WorkCalendarError) {
                next = try ladder.next(
                    on: .acknowledge, fired: Set(pressing.fired), anchors: [.acknowledgeDue: pressing.confirmDue], calendar: policy.calendar, in: zone)
            } catch {
                outcome.stillUncounted += 1
                continue
            }
            guard let next, let moment = next.moment else { continue }
            try await TimerStore.arm(
                TimerKey(
                    tenant: tenant, subjectKind: "participant", subjectID: OperationStore.participantSubject(operation, department),
                    kind: OperationStore.timerKind),
                due: moment, details: LadderTimer(track: .acknowledge, rung: next.rung.code, at: moment).details, on: connection, logger: logger)
            try await EventLog.append(
                tenant: tenant, subject: ("operation", String(operation)), kind: "escalation.rescheduled", actor: "whistle", at: now,
                details: [
                    "track": "confirm", "department": department, "rung": next.rung.code, "at": ISOMoment.format(moment, in: zone),
                    "calendar": policy.calendar.name,
                ], on: connection, logger: logger)
            outcome.laddersResumed += 1
        }
    }

    /// Team tasks still waiting for someone to report in, without a hand-off armed, whose roster
    /// the calendar can now count (the shift's end was past its last day, or the hand-off failed
    /// on it): a hand-off armed now, which gives the task to whoever is on duty and arms the next.
    private func resumeHandoffs(
        tenant: String, routing: TenantRouting.Tenant, policy: DeadlinePolicy, now: Date, outcome: inout Outcome,
        on connection: PostgresConnection
    ) async throws {
        let logger = database.logger
        let teams = routing.rosters.teams.map(\.team)
        guard !teams.isEmpty else { return }
        let rows = try await connection.query(
            """
            SELECT t.task_id, t.issue_id, t.department_code, t.assignee FROM tasks t
            WHERE t.tenant_id = \(tenant) AND t.department_code = ANY (\(teams)) AND t.state = 'dispatched'
              AND NOT EXISTS (SELECT 1 FROM timers m
                              WHERE m.tenant_id = t.tenant_id AND m.subject_kind = 'task' AND m.subject_id = t.task_id::text
                                AND m.kind = \(RosterHandoff.timerKind) AND m.state = 'armed')
            ORDER BY t.task_id
            FOR UPDATE OF t SKIP LOCKED
            """, logger: logger)
        var waiting: [(task: Int64, issue: Int64, team: String, assignee: String?)] = []
        for try await r in rows.decode((Int64, Int64, String, String?).self) { waiting.append(r) }
        guard !waiting.isEmpty else { return }
        let overrides = try await RosterStore.overrides(teams: teams, after: now, on: connection, logger: logger)
        let horizon = now.addingTimeInterval(31 * 86_400)
        for task in waiting {
            guard let team = routing.rosters.teams.first(where: { $0.team == task.team }) else { continue }
            var roster = team.roster
            roster.overrides += overrides[team.team] ?? []
            do throws(WorkCalendarError) {
                if let duty = try roster.assignment(at: now, calendar: policy.calendar) {
                    guard duty.member != task.assignee || duty.until != nil else {
                        // Its end not known because the calendar runs out within the horizon: still waiting for the notice.
                        if policy.calendar.cut(horizon, from: now) < horizon { outcome.stillUncounted += 1 }
                        continue
                    }
                } else if try roster.nextDutyStart(after: now, calendar: policy.calendar) == nil {
                    continue
                }
            } catch {
                outcome.stillUncounted += 1
                continue
            }
            let details = String(decoding: try JSONEncoder.sorted.encode(["member": task.assignee ?? ""]), as: UTF8.self)
            try await TimerStore.arm(
                TimerKey(tenant: tenant, subjectKind: "task", subjectID: String(task.task), kind: RosterHandoff.timerKind), due: now,
                details: details, on: connection, logger: logger)
            try await EventLog.append(
                tenant: tenant, subject: ("task", String(task.task)), kind: "task.handoffResumed", actor: "whistle", at: now,
                details: ["issue": String(task.issue), "from": task.assignee ?? "", "calendar": policy.calendar.name], on: connection,
                logger: logger)
            outcome.handoffsResumed += 1
        }
    }

    /// The supervision order's new deadline to those the order went to (or, when nobody can be
    /// told, an `escalation.unnotified` event, as for a rung).
    private func tellSupervisionDeadline(
        _ rung: EscalationRung, escalation: Int64, orderDue: Date, task: Int64, state: EscalationStore.LadderState, tenant: String,
        routing: TenantRouting.Tenant, now: Date, on connection: PostgresConnection
    ) async throws {
        let logger = database.logger
        let facts = state.facts(escalation: escalation, task: task, anchors: state.anchors, at: orderDue, routing: routing)
        let message = EscalationNotice.supervisionDeadlineSet(facts: facts, workingDays: rung.newDeadlineWorkingDays ?? 0)
        let recipients = EscalationRecipients.resolve(rung.targets, department: state.department, in: routing.directory)
        guard !recipients.reachesNobody else {
            try await EventLog.append(
                tenant: tenant, subject: ("task", String(task)), kind: "escalation.unnotified", actor: "whistle", at: now,
                details: ["escalation": String(escalation), "reason": "无人可通知补定的督办时限"], on: connection, logger: logger)
            return
        }
        try await OutboxStore.enqueue(
            recipients.deliveries, message: message, tenant: tenant, escalation: escalation,
            eventKind: "escalation.rescheduled", now: now, on: connection, logger: logger)
    }

    /// The rung of a fired escalation and when it was due, when it is a supervision order.
    private func supervisionOrder(
        _ escalation: Int64, tenant: String, ladder: EscalationLadder, on connection: PostgresConnection
    ) async throws -> (EscalationRung, Date)? {
        let rows = try await connection.query(
            """
            SELECT track, rung, due_at FROM escalations
            WHERE tenant_id = \(tenant) AND escalation_id = \(escalation) AND action = 'supervisionOrder'
            """, logger: database.logger)
        for try await r in rows.decode((String, String, Date).self) {
            guard let track = EscalationTrack(rawValue: r.0), let rung = ladder.rungs(of: track).first(where: { $0.code == r.1 }) else { return nil }
            return (rung, r.2)
        }
        return nil
    }
}
