import Foundation
import Logging
import PostgresNIO
import WhistleCore

/// A row of the outbox, as the dispatcher claims it and the API lists it.
public struct OutboxRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var tenant: String
    /// Travels with every attempt (header `Idempotency-Key`), so a receiver drops duplicates.
    public var deliveryKey: String
    public var escalation: Int64?
    public var eventKind: String
    public var department: String
    public var channel: NotifyChannel.Kind
    public var endpoint: String
    public var message: NotificationMessage
    public var mentions: [String]
    public var state: String
    public var attempts: Int
    public var createdAt: Date
    public var nextAttemptAt: Date
    public var lastError: String?
    public var deliveredAt: Date?
}

/// The `outbox` table: notifications written in the transaction of the event that caused them,
/// claimed and delivered by `NotificationDispatcher`.
public enum OutboxStore {
    /// Writes one row per delivery in the caller's transaction.
    static func enqueue(
        _ deliveries: [EscalationRecipients.Delivery], message: NotificationMessage, tenant: String, escalation: Int64?, eventKind: String,
        now: Date, on connection: PostgresConnection, logger: Logger
    ) async throws {
        guard !deliveries.isEmpty else { return }
        struct Row: Encodable {
            var department: String
            var channel: String
            var endpoint: String
            var mentions: [String]
        }
        let rows = deliveries.map { Row(department: $0.department, channel: $0.channel.kind.rawValue, endpoint: $0.channel.endpoint, mentions: $0.mentions) }
        let encoder = JSONEncoder.sorted
        let rowsJSON = String(decoding: try encoder.encode(rows), as: UTF8.self)
        let messageJSON = String(decoding: try encoder.encode(message), as: UTF8.self)
        try await connection.query(
            """
            INSERT INTO outbox (tenant_id, escalation_id, event_kind, department_code, channel, endpoint, message, mentions, created_at, next_attempt_at)
            SELECT \(tenant), \(escalation), \(eventKind), r.department, r.channel, r.endpoint, \(messageJSON)::jsonb,
                   ARRAY(SELECT jsonb_array_elements_text(r.mentions)), \(now), \(now)
            FROM jsonb_to_recordset(\(rowsJSON)::jsonb) AS r(department text, channel text, endpoint text, mentions jsonb)
            """, logger: logger)
    }

    static let columns = """
        o.outbox_id, o.tenant_id, o.delivery_key::text, o.escalation_id, o.event_kind, o.department_code, o.channel, o.endpoint,
        o.message::text, o.mentions, o.state, o.attempts, o.created_at, o.next_attempt_at, o.last_error, o.delivered_at
        """

    static func decode(_ rows: PostgresRowSequence) async throws -> [OutboxRecord] {
        var records: [OutboxRecord] = []
        let decoder = JSONDecoder()
        for try await r in rows.decode(
            (Int64, String, String, Int64?, String, String, String, String, String, [String], String, Int, Date, Date, String?, Date?).self)
        {
            guard let channel = NotifyChannel.Kind(rawValue: r.6) else { continue }
            let message = (try? decoder.decode(NotificationMessage.self, from: Data(r.8.utf8))) ?? NotificationMessage(title: "", lines: [])
            records.append(
                OutboxRecord(
                    id: r.0, tenant: r.1, deliveryKey: r.2, escalation: r.3, eventKind: r.4, department: r.5, channel: channel, endpoint: r.7,
                    message: message, mentions: r.9, state: r.10, attempts: r.11, createdAt: r.12, nextAttemptAt: r.13, lastError: r.14,
                    deliveredAt: r.15))
        }
        return records
    }

    /// Claims what is due at `now` (pending and past its next attempt, or sending with an expired
    /// lease: a daemon that died mid-delivery), oldest first, at most `perMinute` attempts per
    /// endpoint in any 60 seconds: a robot that takes 20 a minute gets 20, the rest wait their turn.
    /// One statement: the state test in the UPDATE makes two dispatchers never claim one row.
    static func claim(
        now: Date, perMinute: Int, leaseSeconds: Int, limit: Int, on connection: PostgresConnection, logger: Logger
    ) async throws -> [OutboxRecord] {
        let windowStart = now.addingTimeInterval(-60)
        let leaseUntil = now.addingTimeInterval(TimeInterval(leaseSeconds))
        let rows = try await connection.query(
            """
            WITH due AS (
                SELECT tenant_id, outbox_id, endpoint FROM outbox
                WHERE state IN ('pending', 'sending') AND next_attempt_at <= \(now)
                  AND (state = 'pending' OR lease_until < \(now))
                ORDER BY next_attempt_at, outbox_id LIMIT \(limit * 4)),
            used AS (
                SELECT endpoint, count(*) AS n FROM outbox
                WHERE endpoint IN (SELECT endpoint FROM due) AND last_attempt_at > \(windowStart) AND endpoint <> 'log'
                GROUP BY endpoint),
            ranked AS (
                SELECT due.tenant_id, due.outbox_id, due.endpoint,
                       row_number() OVER (PARTITION BY due.endpoint ORDER BY due.outbox_id) + coalesce(used.n, 0) AS slot
                FROM due LEFT JOIN used USING (endpoint)),
            picked AS (
                SELECT tenant_id, outbox_id FROM ranked WHERE endpoint = 'log' OR slot <= \(perMinute)
                ORDER BY outbox_id LIMIT \(limit))
            UPDATE outbox o SET state = 'sending', attempts = o.attempts + 1, last_attempt_at = \(now), lease_until = \(leaseUntil),
                   next_attempt_at = \(leaseUntil)
            FROM picked
            WHERE o.tenant_id = picked.tenant_id AND o.outbox_id = picked.outbox_id
              AND (o.state = 'pending' OR (o.state = 'sending' AND o.lease_until < \(now)))
            RETURNING \(unescaped: columns)
            """, logger: logger)
        return try await decode(rows).sorted { $0.id < $1.id }
    }

    /// The attempt succeeded; the escalation counts as notified.
    static func delivered(_ record: OutboxRecord, now: Date, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            WITH d AS (
                UPDATE outbox SET state = 'delivered', delivered_at = \(now), lease_until = NULL, last_error = NULL
                WHERE tenant_id = \(record.tenant) AND outbox_id = \(record.id) AND state = 'sending' AND attempts = \(record.attempts)
                RETURNING escalation_id)
            UPDATE escalations e SET notified = 'delivered'
            FROM d WHERE e.tenant_id = \(record.tenant) AND e.escalation_id = d.escalation_id AND e.notified <> 'delivered'
            """, logger: logger)
    }

    /// The attempt failed: another one at `retryAt`, or, with none left (`retryAt` nil), dead.
    /// An escalation whose every delivery is dead was told to nobody: its own event, for the office.
    static func failed(
        _ record: OutboxRecord, error: String, retryAt: Date?, now: Date, on connection: PostgresConnection, logger: Logger
    ) async throws {
        let state = retryAt == nil ? "dead" : "pending"
        let rows = try await connection.query(
            """
            UPDATE outbox SET state = \(state), next_attempt_at = \(retryAt ?? now), lease_until = NULL, last_error = \(error)
            WHERE tenant_id = \(record.tenant) AND outbox_id = \(record.id) AND state = 'sending' AND attempts = \(record.attempts)
            RETURNING escalation_id
            """, logger: logger)
        var escalation: Int64?
        for try await id in rows.decode(Int64?.self) { escalation = id }
        guard retryAt == nil, let escalation else { return }
        let marked = try await connection.query(
            """
            UPDATE escalations e SET notified = 'unnotified'
            WHERE e.tenant_id = \(record.tenant) AND e.escalation_id = \(escalation) AND e.notified = 'pending'
              AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.tenant_id = e.tenant_id AND o.escalation_id = e.escalation_id
                                                       AND o.state <> 'dead')
            RETURNING CASE WHEN e.task_id IS NOT NULL THEN 'task' ELSE 'operation' END, coalesce(e.task_id, e.operation_id), e.rung, e.action
            """, logger: logger)
        // A task's rung, or a joint operation's confirmation rung: the event goes on its subject.
        for try await (kind, subject, rung, action) in marked.decode((String, Int64, String, String).self) {
            try await EventLog.append(
                tenant: record.tenant, subject: (kind, String(subject)), kind: "escalation.unnotified", actor: "whistle", at: now,
                details: [
                    "escalation": String(escalation), "rung": rung, "action": action,
                    "reason": "所有通知渠道均发送失败（最后一次：\(error)）",
                ], on: connection, logger: logger)
        }
    }

    /// A tenant's outbox rows in `state` (all states when nil), newest first.
    static func list(state: String?, limit: Int, on connection: PostgresConnection, logger: Logger) async throws -> [OutboxRecord] {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: columns) FROM outbox o
            WHERE (\(state)::text IS NULL OR o.state = \(state)) ORDER BY o.outbox_id DESC LIMIT \(limit)
            """, logger: logger)
        return try await decode(rows)
    }

    /// A dead delivery goes back to the queue with fresh attempts; false when it is not dead.
    static func retry(_ id: Int64, now: Date, on connection: PostgresConnection, logger: Logger) async throws -> OutboxRecord? {
        let rows = try await connection.query(
            """
            UPDATE outbox o SET state = 'pending', attempts = 0, next_attempt_at = \(now), last_error = NULL
            WHERE o.outbox_id = \(id) AND o.state = 'dead'
            RETURNING \(unescaped: columns)
            """, logger: logger)
        let records = try await decode(rows)
        if let record = records.first, let escalation = record.escalation {
            try await connection.query(
                "UPDATE escalations SET notified = 'pending' WHERE escalation_id = \(escalation) AND notified = 'unnotified'", logger: logger)
        }
        return records.first
    }
}
