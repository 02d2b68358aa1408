import Foundation
import Logging
import PostgresNIO
import WhistleCore

/// What a fired confirmation timer means: a participant of a joint operation has not confirmed
/// (报到) by its deadline, and the tenant's acknowledge ladder climbs for it exactly as for a task
/// not reported in: the rung's escalation row (track `confirm`, naming the operation), its
/// deduction, its notifications or an `escalation.unnotified` event, then the next rung's timer.
public struct OperationLadder: TimerAction {
    let routing: TenantRouting
    let onOutbox: @Sendable () -> Void

    public init(routing: TenantRouting, onOutbox: @escaping @Sendable () -> Void = {}) {
        self.routing = routing
        self.onOutbox = onOutbox
    }

    public func perform(_ timers: [FiredTimer], on connection: PostgresConnection, logger: Logger) async throws {
        var wrote = false
        for timer in timers where timer.key.subjectKind == "participant" && timer.key.kind == OperationStore.timerKind {
            let parts = timer.key.subjectID.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let operation = Int64(parts[0]), let tenant = routing.tenants[timer.key.tenant] else { continue }
            if try await climb(operation, department: String(parts[1]), tenant: timer.key.tenant, routing: tenant, now: timer.firedAt, on: connection, logger: logger) {
                wrote = true
            }
        }
        if wrote { onOutbox() }
    }

    private func climb(
        _ operation: Int64, department: String, tenant: String, routing: TenantRouting.Tenant, now: Date, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Bool {
        // Confirmed, cancelled or held meanwhile: nothing to press for.
        guard let (confirmDue, ladderID, firedRungs) = try await Self.pressing(operation, department: department, tenant: tenant, on: connection, logger: logger),
            let calendar = routing.policy?.calendar,
            let (facts, _) = try await OperationStore.facts(operation, routing: routing, on: connection, logger: logger)
        else { return false }
        let ladder = try await EscalationStore.ladder(ladderID, fallback: routing.ladder, on: connection, logger: logger)
        return try await LadderClimb.climb(
            ladder, track: .acknowledge, fired: Set(firedRungs), anchors: [.acknowledgeDue: confirmDue], calendar: calendar, zone: routing.timeZone,
            now: now,
            timer: TimerKey(
                tenant: tenant, subjectKind: "participant", subjectID: OperationStore.participantSubject(operation, department),
                kind: OperationStore.timerKind),
            subject: ("operation", String(operation)), unscheduledDetails: ["track": "confirm", "department": department], on: connection,
            logger: logger
        ) { rung, moment in
            let wrote = try await fire(
                rung, at: moment, operation: operation, department: department, facts: facts, tenant: tenant, routing: routing, now: now,
                on: connection, logger: logger)
            return (wrote, [:])
        }
    }

    /// A participant still to be pressed to confirm (the operation scheduled, the participant
    /// invited), locked: its confirmation deadline, its ladder and the rungs fired for it.
    static func pressing(
        _ operation: Int64, department: String, tenant: String, on connection: PostgresConnection, logger: Logger
    ) async throws -> (confirmDue: Date, ladderID: Int64?, fired: [String])? {
        let rows = try await connection.query(
            """
            SELECT o.state, p.state, o.confirm_due, o.ladder_id,
                   coalesce((SELECT array_agg(e.rung) FROM escalations e
                             WHERE e.tenant_id = p.tenant_id AND e.operation_id = p.operation_id AND e.department_code = p.department_code
                               AND e.track = 'confirm'), '{}')
            FROM operation_participants p JOIN operations o ON o.tenant_id = p.tenant_id AND o.operation_id = p.operation_id
            WHERE p.tenant_id = \(tenant) AND p.operation_id = \(operation) AND p.department_code = \(department)
            FOR UPDATE OF p
            """, logger: logger)
        for try await r in rows.decode((String, String, Date, Int64?, [String]).self) where r.0 == "scheduled" && r.1 == "invited" {
            return (r.2, r.3, r.4)
        }
        return nil
    }

    private func fire(
        _ rung: EscalationRung, at moment: Date, operation: Int64, department: String, facts: OperationFacts, tenant: String,
        routing: TenantRouting.Tenant, now: Date, on connection: PostgresConnection, logger: Logger
    ) async throws -> Bool {
        let recipients = EscalationRecipients.resolve(rung.targets, department: department, in: routing.directory)
        let summary = String(decoding: try JSONEncoder.sorted.encode(recipients.deliveries.map(RecipientSummary.init)), as: UTF8.self)
        let inserted = try await connection.query(
            """
            INSERT INTO escalations (tenant_id, operation_id, department_code, track, rung, action, due_at, fired_at, deduction, targets,
                                     recipients, unreachable, state, notified)
            VALUES (\(tenant), \(operation), \(department), 'confirm', \(rung.code), \(rung.action.rawValue), \(moment), \(now),
                    \(rung.deduction)::float8::numeric, \(rung.targets.map(\.rawValue)), \(summary)::jsonb, \(recipients.unreachable), 'issued',
                    \(recipients.reachesNobody ? "unnotified" : "pending"))
            ON CONFLICT (tenant_id, operation_id, department_code, track, rung) WHERE operation_id IS NOT NULL DO NOTHING
            RETURNING escalation_id
            """, logger: logger)
        var found: Int64?
        for try await id in inserted.decode(Int64.self) { found = id }
        guard let escalation = found else { return false }
        let zone = routing.timeZone
        try await EventLog.append(
            tenant: tenant, subject: ("operation", String(operation)), kind: "operation.escalated", actor: "whistle", at: now,
            details: [
                "escalation": String(escalation), "department": department, "track": "confirm", "rung": rung.code, "action": rung.action.rawValue,
                "actionName": rung.action.chineseName, "due": ISOMoment.format(moment, in: zone), "deduction": EscalationNotice.formatPoints(rung.deduction),
                "recipients": recipients.people.joined(separator: "、"),
            ], on: connection, logger: logger)
        if recipients.reachesNobody {
            try await EventLog.append(
                tenant: tenant, subject: ("operation", String(operation)), kind: "escalation.unnotified", actor: "whistle", at: now,
                details: [
                    "escalation": String(escalation), "department": department, "rung": rung.code, "action": rung.action.rawValue,
                    "reason": "无人可通知：" + (recipients.unreachable.isEmpty ? "没有通知渠道" : recipients.unreachable.joined(separator: "；")),
                ], on: connection, logger: logger)
            return false
        }
        let message = OperationNotice.unconfirmed(
            facts, department: routing.departmentNames[department] ?? department, rung: rung, people: recipients.people)
        try await OutboxStore.enqueue(
            recipients.deliveries, message: message, tenant: tenant, escalation: escalation, eventKind: "operation.escalated", now: now,
            on: connection, logger: logger)
        return true
    }
}
