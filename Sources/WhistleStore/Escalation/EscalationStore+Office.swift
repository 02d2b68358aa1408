import Foundation
import Logging
import PostgresNIO
import WhistleCore

/// Why an escalation request was refused.
public enum EscalationError: Error, Sendable, Equatable {
    case notFound(Int64)
    case notificationNotFound(Int64)
    /// The escalation's state does not allow the step; `allowed` are the steps it does allow.
    case notAllowed(state: String, step: String, allowed: [String])
    case invalid([IssueIntake.FieldProblem])
}

/// One rung that fired on a task, as the office, the leaders and the department see it.
public struct EscalationRecord: Sendable, Hashable, Codable {
    public struct Talk: Sendable, Hashable, Codable {
        public var time: String
        public var place: String
        public var manner: String
        public var host: String
        public var promisedBy: String?
        public var note: String?
    }

    public var id: Int64
    /// The task the rung fired on; nil for a joint operation's confirmation (`operation`).
    public var task: Int64?
    public var issue: Int64?
    /// The joint operation a participant did not confirm (track `confirm`).
    public var operation: Int64?
    public var department: String
    /// acknowledge · rectify · confirm (a joint operation's 报到).
    public var track: String
    public var rung: String
    public var action: String
    public var actionName: String
    public var dueAt: String
    public var firedAt: String
    public var deduction: Double
    public var targets: [String]
    public var recipients: [RecipientSummary]
    public var unreachable: [String]
    /// issued · awaitingSchedule · scheduled · held (talks) · draft · approved · rejected (notices).
    public var state: String
    public var document: EscalationDocument?
    public var talk: Talk?
    public var decidedBy: String?
    public var decidedAt: String?
    public var decisionReason: String?
    /// pending · delivered · unnotified (nobody could be told).
    public var notified: String
    public var rowVersion: Int
}

/// A department's deductions in one month (月度考评扣分).
public struct DepartmentDeductions: Sendable, Hashable, Codable {
    public struct Item: Sendable, Hashable, Codable {
        /// The rung behind it; nil for a spot check's deduction (`deduction`).
        public var escalation: Int64?
        /// A spot check's deduction (assessment_deductions).
        public var deduction: Int64?
        public var task: Int64?
        public var issue: Int64?
        public var operation: Int64?
        /// The rung's code, or the spot check's reason (unlistedProblem · falseClosure).
        public var rung: String
        /// The rung's action, or `spotCheck`.
        public var action: String
        public var points: Double
        /// When the rung was due: the month it counts in (a rung fired late after downtime counts when it was due).
        public var dueAt: String
    }

    public var department: String
    public var departmentName: String
    public var points: Double
    public var items: [Item]
}

extension EscalationRecord {
    /// What the rung's events are written on: its task, or its joint operation.
    var subject: (kind: String, id: String) {
        if let task { return ("task", String(task)) }
        return ("operation", String(operation ?? 0))
    }
}

extension EscalationStore {
    static let columns = """
        e.escalation_id, e.task_id, e.issue_id, e.department_code, e.track, e.rung, e.action, e.due_at, e.fired_at, e.deduction::float8,
        e.targets, e.recipients::text, e.unreachable, e.state, e.document::text, e.talk::text, e.decided_by, e.decided_at, e.decision_reason,
        e.notified, e.row_version, e.operation_id
        """

    static func decode(_ rows: PostgresRowSequence, zone: TimeZone) async throws -> [EscalationRecord] {
        let decoder = JSONDecoder()
        var records: [EscalationRecord] = []
        for try await r in rows.decode(
            (
                Int64, Int64?, Int64?, String, String, String, String, Date, Date, Double, [String], String, [String], String, String?, String?, String?,
                Date?, String?, String, Int, Int64?
            ).self)
        {
            let action = EscalationAction(rawValue: r.6)
            records.append(
                EscalationRecord(
                    id: r.0, task: r.1, issue: r.2, operation: r.21, department: r.3, track: r.4, rung: r.5, action: r.6, actionName: action?.chineseName ?? r.6,
                    dueAt: ISOMoment.format(r.7, in: zone), firedAt: ISOMoment.format(r.8, in: zone), deduction: r.9, targets: r.10,
                    recipients: (try? decoder.decode([RecipientSummary].self, from: Data(r.11.utf8))) ?? [], unreachable: r.12, state: r.13,
                    document: r.14.flatMap { try? decoder.decode(EscalationDocument.self, from: Data($0.utf8)) },
                    talk: r.15.flatMap { try? decoder.decode(EscalationRecord.Talk.self, from: Data($0.utf8)) }, decidedBy: r.16,
                    decidedAt: r.17.map { ISOMoment.format($0, in: zone) }, decisionReason: r.18, notified: r.19, rowVersion: r.20))
        }
        return records
    }

    /// Filters of the escalation list.
    public struct Filter: Sendable, Hashable {
        public var state: String?
        public var task: Int64?
        public var department: String?
        /// Only what waits for someone: talks to arrange, notices to decide, rungs nobody was told of.
        public var attention = false

        public init(state: String? = nil, task: Int64? = nil, department: String? = nil, attention: Bool = false) {
            self.state = state
            self.task = task
            self.department = department
            self.attention = attention
        }
    }

    /// The tenant's escalations, newest first.
    public func list(_ filter: Filter, tenant: String, zone: TimeZone, limit: Int = 200) async throws -> [EscalationRecord] {
        try await database.withTenant(tenant) { connection in
            let rows = try await connection.query(
                """
                SELECT \(unescaped: Self.columns) FROM escalations e
                WHERE (\(filter.state)::text IS NULL OR e.state = \(filter.state))
                  AND (\(filter.task)::int8 IS NULL OR e.task_id = \(filter.task))
                  AND (\(filter.department)::text IS NULL OR e.department_code = \(filter.department))
                  AND (NOT \(filter.attention) OR e.state IN ('awaitingSchedule', 'draft') OR e.notified = 'unnotified')
                ORDER BY e.escalation_id DESC LIMIT \(limit)
                """, logger: database.logger)
            return try await Self.decode(rows, zone: zone)
        }
    }

    public func escalation(_ id: Int64, tenant: String, zone: TimeZone) async throws -> EscalationRecord {
        try await database.withTenant(tenant) { connection in
            try await Self.read(id, lock: false, zone: zone, on: connection, logger: database.logger)
        }
    }

    static func read(_ id: Int64, lock: Bool, zone: TimeZone, on connection: PostgresConnection, logger: Logger) async throws -> EscalationRecord {
        let rows = try await connection.query(
            "SELECT \(unescaped: columns) FROM escalations e WHERE e.escalation_id = \(id) \(unescaped: lock ? "FOR UPDATE" : "")", logger: logger)
        guard let record = try await decode(rows, zone: zone).first else { throw EscalationError.notFound(id) }
        return record
    }

    private static func facts(
        _ record: EscalationRecord, tenant: String, routing: TenantRouting.Tenant, on connection: PostgresConnection, logger: Logger
    ) async throws -> EscalationFacts {
        guard let task = record.task, let issue = record.issue,
            let state = try await ladderState(task: task, tenant: tenant, lock: true, on: connection, logger: logger)
        else {
            throw EscalationError.notFound(record.id)
        }
        let directory = routing.directory
        return EscalationFacts(
            tenantName: directory.tenant.name, escalationID: record.id, issueID: issue, taskID: task,
            compound: directory.compounds.first { $0.compound.code == state.compound }?.compound.name ?? state.compound,
            issueType: routing.typeName(state.issueType), description: state.description, department: routing.departmentNames[record.department] ?? record.department,
            acknowledgeDue: state.anchors[.acknowledgeDue], rectifyDue: state.anchors[.rectifyDue], supervisionDue: state.anchors[.supervisionDue],
            talkPromise: state.anchors[.talkPromise], at: ISOMoment.parse(record.dueAt, in: routing.timeZone) ?? Date(),
            timeZone: routing.timeZone)
    }

    private static func refuse(_ record: EscalationRecord, _ step: String) -> EscalationError {
        let allowed: [String]
        switch (record.action, record.state) {
        case ("talk", "awaitingSchedule"): allowed = ["schedule-talk"]
        case ("talk", "scheduled"): allowed = ["schedule-talk", "talk-outcome"]
        case ("publicNotice", "draft"): allowed = ["approve", "reject"]
        default: allowed = []
        }
        return .notAllowed(state: record.state, step: step, allowed: allowed)
    }

    /// The office sets a talk's time and place (or moves them); the talk notice goes to everyone the
    /// rung names, as a document with reason, manner, time, place and participants.
    public func scheduleTalk(
        _ id: Int64, arrangement: TalkArrangement, expectedVersion: Int?, tenant: String, routing: TenantRouting.Tenant, now: Date, actor: String
    ) async throws -> EscalationRecord {
        let logger = database.logger
        let zone = routing.timeZone
        return try await database.withTenant(tenant) { connection in
            let record = try await Self.read(id, lock: true, zone: zone, on: connection, logger: logger)
            guard record.action == EscalationAction.talk.rawValue, ["awaitingSchedule", "scheduled"].contains(record.state) else {
                throw Self.refuse(record, "schedule-talk")
            }
            try Self.check(expectedVersion, record)
            guard arrangement.time > now else {
                throw EscalationError.invalid([.init(field: "time", reason: "约谈时间须晚于当前时间")])
            }
            let facts = try await Self.facts(record, tenant: tenant, routing: routing, on: connection, logger: logger)
            let targets = record.targets.compactMap(EscalationTarget.init(rawValue:))
            let recipients = EscalationRecipients.resolve(targets, department: record.department, in: routing.directory)
            let message = EscalationNotice.talkNotice(facts: facts, arrangement: arrangement, participants: recipients.people)
            let talk = EscalationRecord.Talk(
                time: ISOMoment.format(arrangement.time, in: zone), place: arrangement.place, manner: arrangement.manner, host: arrangement.host)
            let encoder = JSONEncoder.sorted
            try await connection.query(
                """
                UPDATE escalations SET state = 'scheduled', talk = \(String(decoding: try encoder.encode(talk), as: UTF8.self))::jsonb,
                       document = \(String(decoding: try encoder.encode(message.document), as: UTF8.self))::jsonb, row_version = row_version + 1
                WHERE escalation_id = \(id)
                """, logger: logger)
            try await EventLog.append(
                tenant: tenant, subject: record.subject, kind: "escalation.talkScheduled", actor: actor, at: now,
                details: [
                    "escalation": String(id), "time": talk.time, "place": arrangement.place, "manner": arrangement.manner,
                    "participants": recipients.people.joined(separator: "、"),
                ], on: connection, logger: logger)
            try await Self.notify(recipients, message: message, record: record, eventKind: "escalation.talkScheduled", tenant: tenant, now: now, on: connection, logger: logger)
            return try await Self.read(id, lock: false, zone: zone, on: connection, logger: logger)
        }
    }

    /// The talk was held: the date the department promised becomes the anchor of the next rungs.
    public func recordTalkOutcome(
        _ id: Int64, promisedBy: Date, note: String?, expectedVersion: Int?, tenant: String, routing: TenantRouting.Tenant, now: Date, actor: String
    ) async throws -> EscalationRecord {
        let logger = database.logger
        let zone = routing.timeZone
        return try await database.withTenant(tenant) { connection in
            let record = try await Self.read(id, lock: true, zone: zone, on: connection, logger: logger)
            guard let task = record.task, record.action == EscalationAction.talk.rawValue, record.state == "scheduled" else {
                throw Self.refuse(record, "talk-outcome")
            }
            try Self.check(expectedVersion, record)
            guard promisedBy > now else {
                throw EscalationError.invalid([.init(field: "promisedBy", reason: "承诺办结时间须晚于当前时间")])
            }
            var talk = record.talk
            talk?.promisedBy = ISOMoment.format(promisedBy, in: zone)
            talk?.note = note
            try await connection.query(
                """
                UPDATE escalations SET state = 'held', talk = \(String(decoding: try JSONEncoder.sorted.encode(talk), as: UTF8.self))::jsonb,
                       row_version = row_version + 1
                WHERE escalation_id = \(id)
                """, logger: logger)
            try await connection.query("UPDATE tasks SET talk_promise = \(promisedBy) WHERE task_id = \(task)", logger: logger)
            var details = ["escalation": String(id), "promisedBy": ISOMoment.format(promisedBy, in: zone)]
            details["note"] = note
            try await EventLog.append(
                tenant: tenant, subject: record.subject, kind: "escalation.talkHeld", actor: actor, at: now, details: details,
                on: connection, logger: logger)
            try await Self.rearm(task: task, tenant: tenant, tracks: [.rectify], routing: routing, now: now, on: connection, logger: logger)
            return try await Self.read(id, lock: false, zone: zone, on: connection, logger: logger)
        }
    }

    /// The group leader approves a drafted public notice (it goes to every member unit and its
    /// deduction counts) or rejects it with a reason (the office is told).
    public func decideNotice(
        _ id: Int64, approve: Bool, reason: String?, expectedVersion: Int?, tenant: String, routing: TenantRouting.Tenant, now: Date, actor: String
    ) async throws -> EscalationRecord {
        let logger = database.logger
        let zone = routing.timeZone
        let step = approve ? "approve" : "reject"
        return try await database.withTenant(tenant) { connection in
            let record = try await Self.read(id, lock: true, zone: zone, on: connection, logger: logger)
            guard record.action == EscalationAction.publicNotice.rawValue, record.state == "draft" else { throw Self.refuse(record, step) }
            try Self.check(expectedVersion, record)
            let reason = reason?.trimmingCharacters(in: .whitespacesAndNewlines)
            if !approve, reason?.isEmpty ?? true {
                throw EscalationError.invalid([.init(field: "reason", reason: "不同意通报须说明理由")])
            }
            try await connection.query(
                """
                UPDATE escalations SET state = \(approve ? "approved" : "rejected"), decided_by = \(actor), decided_at = \(now),
                       decision_reason = \(reason), row_version = row_version + 1
                WHERE escalation_id = \(id)
                """, logger: logger)
            let document: EscalationDocument
            if let drafted = record.document {
                document = drafted
            } else {
                document = EscalationNotice.publicNoticeDocument(
                    facts: try await Self.facts(record, tenant: tenant, routing: routing, on: connection, logger: logger))
            }
            var details = ["escalation": String(id), "document": document.number]
            details["reason"] = reason
            try await EventLog.append(
                tenant: tenant, subject: record.subject, kind: approve ? "escalation.noticeApproved" : "escalation.noticeRejected",
                actor: actor, at: now, details: details, on: connection, logger: logger)
            if approve {
                let message = EscalationNotice.publishedNotice(document, tenantName: routing.directory.tenant.name, approvedBy: actor)
                try await Self.notify(
                    EscalationRecipients.memberUnits(of: routing.directory), message: message, record: record, eventKind: "escalation.noticePublished",
                    tenant: tenant, now: now, on: connection, logger: logger)
            } else {
                let recipients = EscalationRecipients.resolve([.office], department: record.department, in: routing.directory)
                try await Self.notify(
                    recipients, message: EscalationNotice.rejectedNotice(document, reason: reason ?? ""), record: record,
                    eventKind: "escalation.noticeRejected", tenant: tenant, now: now, on: connection, logger: logger)
            }
            return try await Self.read(id, lock: false, zone: zone, on: connection, logger: logger)
        }
    }

    private static func check(_ expected: Int?, _ record: EscalationRecord) throws {
        if let expected, expected != record.rowVersion {
            throw EscalationError.notAllowed(state: record.state, step: "rowVersion \(expected) ≠ \(record.rowVersion)", allowed: [])
        }
    }

    /// Outbox rows for `recipients`, or the event that says nobody could be told.
    private static func notify(
        _ recipients: EscalationRecipients, message: NotificationMessage, record: EscalationRecord, eventKind: String, tenant: String, now: Date,
        on connection: PostgresConnection, logger: Logger
    ) async throws {
        if recipients.reachesNobody {
            try await EventLog.append(
                tenant: tenant, subject: record.subject, kind: "escalation.unnotified", actor: "whistle", at: now,
                details: [
                    "escalation": String(record.id), "rung": record.rung, "action": record.action, "about": eventKind,
                    "reason": "无人可通知：" + (recipients.unreachable.isEmpty ? "没有通知渠道" : recipients.unreachable.joined(separator: "；")),
                ], on: connection, logger: logger)
            try await connection.query("UPDATE escalations SET notified = 'unnotified' WHERE escalation_id = \(record.id)", logger: logger)
            return
        }
        try await OutboxStore.enqueue(
            recipients.deliveries, message: message, tenant: tenant, escalation: record.id, eventKind: eventKind, now: now, on: connection,
            logger: logger)
    }

    // MARK: Deductions

    /// The month's deductions per department (`month` is `YYYY-MM` in the tenant's time zone):
    /// every fired rung with points that was due in the month, except notices still in draft or rejected.
    public func deductions(month: String, tenant: String, zone: TimeZone) async throws -> [DepartmentDeductions] {
        guard let first = CivilDate(month: month) else {
            throw EscalationError.invalid([.init(field: "month", reason: "月份格式为 YYYY-MM，例如 2026-11")])
        }
        let (start, end) = (first.start(in: zone), first.nextMonth.start(in: zone))
        return try await database.withTenant(tenant) { connection in
            let rows = try await connection.query(
                """
                SELECT department_code, escalation, deduction, task, issue, rung, action, points, due, operation FROM (
                    SELECT e.department_code, e.escalation_id AS escalation, NULL::int8 AS deduction, e.task_id AS task, e.issue_id AS issue, e.rung,
                           e.action, e.deduction::float8 AS points, e.due_at AS due, e.operation_id AS operation
                    FROM escalations e
                    WHERE e.due_at >= \(start) AND e.due_at < \(end) AND e.deduction > 0 AND e.state NOT IN ('draft', 'rejected')
                    UNION ALL
                    -- Spot checks' deductions (issue 9): a problem the ledgers missed, a false closure.
                    SELECT d.department_code, NULL, d.deduction_id, NULL, d.issue_id, d.reason, 'spotCheck', d.points::float8, d.counted_at, NULL
                    FROM assessment_deductions d
                    WHERE d.counted_at >= \(start) AND d.counted_at < \(end)
                ) items
                ORDER BY department_code, escalation NULLS LAST, deduction
                """, logger: database.logger)
            var byDepartment: [String: [DepartmentDeductions.Item]] = [:]
            var order: [String] = []
            for try await r in rows.decode((String, Int64?, Int64?, Int64?, Int64?, String, String, Double, Date, Int64?).self) {
                if byDepartment[r.0] == nil { order.append(r.0) }
                byDepartment[r.0, default: []].append(
                    .init(
                        escalation: r.1, deduction: r.2, task: r.3, issue: r.4, operation: r.9, rung: r.5, action: r.6, points: r.7,
                        dueAt: ISOMoment.format(r.8, in: zone)))
            }
            return order.map { code in
                let items = byDepartment[code] ?? []
                return DepartmentDeductions(
                    department: code, departmentName: "", points: items.reduce(0) { $0 + $1.points }, items: items)
            }.sorted { $0.points > $1.points || ($0.points == $1.points && $0.department < $1.department) }
        }
    }

    // MARK: The outbox, for the office

    public func notifications(state: String?, tenant: String, limit: Int = 200) async throws -> [OutboxRecord] {
        try await database.withTenant(tenant) { connection in
            try await OutboxStore.list(state: state, limit: limit, on: connection, logger: database.logger)
        }
    }

    /// Sends a dead notification again, with fresh attempts.
    public func retryNotification(_ id: Int64, tenant: String, now: Date, actor: String) async throws -> OutboxRecord {
        try await database.withTenant(tenant) { connection in
            guard let record = try await OutboxStore.retry(id, now: now, on: connection, logger: database.logger) else {
                let rows = try await connection.query("SELECT state FROM outbox WHERE outbox_id = \(id)", logger: database.logger)
                for try await state in rows.decode(String.self) {
                    throw EscalationError.notAllowed(state: state, step: "retry", allowed: [])
                }
                throw EscalationError.notificationNotFound(id)
            }
            return record
        }
    }
}
