import Foundation
import Logging
import PostgresNIO

/// What a timer belongs to: the subject (a task, an issue …) and the kind of deadline.
/// A subject has at most one armed timer of each kind.
public struct TimerKey: Hashable, Sendable, CustomStringConvertible {
    public var tenant: String
    public var subjectKind: String
    public var subjectID: String
    public var kind: String

    public init(tenant: String, subjectKind: String, subjectID: String, kind: String) {
        self.tenant = tenant
        self.subjectKind = subjectKind
        self.subjectID = subjectID
        self.kind = kind
    }

    public var description: String { "\(tenant)/\(subjectKind)/\(subjectID)/\(kind)" }
}

/// A timer the scheduler has claimed and marked fired, in the transaction that runs its action.
public struct FiredTimer: Sendable, Hashable {
    public var key: TimerKey
    public var timerID: Int64
    public var dueAt: Date
    public var firedAt: Date
    /// How late it fired: after downtime this is how long the daemon was away.
    public var lateMilliseconds: Int64
    /// The JSON the timer was armed with.
    public var details: String
}

/// The `timers` table: arming, moving and disarming deadlines (in the caller's transaction),
/// and the scheduler's loading and claiming.
public enum TimerStore {
    /// The channel schedulers LISTEN on.
    public static let channel = "whistle_timers"

    /// Arms the timer of `key` for `due`, or moves it there if it is armed already (an extension).
    /// Runs in the caller's transaction, so the deadline exists exactly when the change that set it does.
    @discardableResult
    public static func arm(
        _ key: TimerKey, due: Date, details: String = "{}", on connection: PostgresConnection, logger: Logger
    ) async throws -> Int64 {
        let rows = try await connection.query(
            """
            INSERT INTO timers (tenant_id, subject_kind, subject_id, kind, due_at, details)
            VALUES (\(key.tenant), \(key.subjectKind), \(key.subjectID), \(key.kind), \(due), \(details)::jsonb)
            ON CONFLICT (tenant_id, subject_kind, subject_id, kind) WHERE state = 'armed'
            DO UPDATE SET due_at = EXCLUDED.due_at, details = EXCLUDED.details, armed_at = now()
            RETURNING timer_id
            """, logger: logger)
        for try await id in rows.decode(Int64.self) { return id }
        throw PostgresTimerError.noRow
    }

    /// Disarms the armed timer of `key` (the task closed); false when none was armed.
    @discardableResult
    public static func disarm(_ key: TimerKey, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let rows = try await connection.query(
            """
            WITH c AS (
                UPDATE timers SET state = 'cancelled'
                WHERE tenant_id = \(key.tenant) AND subject_kind = \(key.subjectKind)
                  AND subject_id = \(key.subjectID) AND kind = \(key.kind) AND state = 'armed'
                RETURNING 1)
            SELECT count(*)::int8 FROM c
            """, logger: logger)
        for try await count in rows.decode(Int64.self) { return count > 0 }
        return false
    }

    /// Disarms every armed timer of a subject (a task withdrawn or closed) in one statement.
    public static func disarmAll(
        tenant: String, subjectKind: String, subjectID: String, on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.query(
            """
            UPDATE timers SET state = 'cancelled'
            WHERE tenant_id = \(tenant) AND subject_kind = \(subjectKind) AND subject_id = \(subjectID) AND state = 'armed'
            """, logger: logger)
    }

    /// The due time of the armed timer of `key`, if one is armed.
    public static func armedDue(_ key: TimerKey, on connection: PostgresConnection, logger: Logger) async throws -> Date? {
        let rows = try await connection.query(
            """
            SELECT due_at FROM timers
            WHERE tenant_id = \(key.tenant) AND subject_kind = \(key.subjectKind)
              AND subject_id = \(key.subjectID) AND kind = \(key.kind) AND state = 'armed'
            """, logger: logger)
        for try await due in rows.decode(Date.self) { return due }
        return nil
    }

    /// Streams the armed timers due in `[from, before)` (all earlier ones when `from` is nil)
    /// as (timer id, due in Unix milliseconds); returns how many there were.
    public static func loadArmed(
        from: Date?, before: Date, client: PostgresClient, logger: Logger, _ each: (Int64, Int64) -> Void
    ) async throws -> Int {
        let fromValue = from ?? Date.distantPast
        // Rows come in arrays of up to 65,536 (id, due) pairs: a million timers decode as a few
        // dozen arrays rather than a million rows, which is what makes a restart quick.
        let rows = try await client.query(
            """
            SELECT array_agg(timer_id), array_agg(due_ms) FROM (
                SELECT timer_id, floor(extract(epoch FROM due_at) * 1000)::int8 AS due_ms,
                       (row_number() OVER ()) / 65536 AS chunk
                FROM timers WHERE state = 'armed' AND due_at >= \(fromValue) AND due_at < \(before)) armed
            GROUP BY chunk
            """, logger: logger)
        var count = 0
        for try await (ids, dues) in rows.decode(([Int64], [Int64]).self) {
            for (id, due) in zip(ids, dues) { each(id, due) }
            count += ids.count
        }
        return count
    }

    /// Claims up to `limit` armed timers due at `now`, earliest first, marks them fired by `node`
    /// and appends their `timer.fired` events, all in one statement of the caller's transaction.
    /// Rows another daemon is firing are skipped, never waited for.
    public static func claimDue(
        now: Date, limit: Int, node: String, on connection: PostgresConnection, logger: Logger
    ) async throws -> [FiredTimer] {
        let actor = "scheduler:\(node)"
        let rows = try await connection.query(
            """
            WITH due AS (
                SELECT ctid FROM timers
                WHERE state = 'armed' AND due_at <= \(now)
                ORDER BY due_at, timer_id
                LIMIT \(limit)
                FOR UPDATE SKIP LOCKED
            ), fired AS (
                -- By ctid: the rows are locked by this statement, so their ctid cannot move, and a
                -- TID scan never reads the rest of the table whatever the planner knows of it.
                UPDATE timers t
                SET state = 'fired', fired_at = \(now), fired_by = \(node),
                    late_ms = greatest(0, floor(extract(epoch FROM (\(now)::timestamptz - t.due_at)) * 1000))::int8
                WHERE t.ctid = ANY (ARRAY(SELECT ctid FROM due)) AND t.state = 'armed'
                RETURNING t.tenant_id, t.timer_id, t.subject_kind, t.subject_id, t.kind, t.due_at, t.late_ms, t.details
            ), recorded AS (
                INSERT INTO events (tenant_id, subject_kind, subject_id, kind, actor, occurred_at, details)
                SELECT tenant_id, subject_kind, subject_id, 'timer.fired', \(actor), \(now),
                       jsonb_build_object('timer', timer_id, 'timerKind', kind, 'dueAt', due_at, 'lateMs', late_ms)
                FROM fired ORDER BY due_at, timer_id
            )
            SELECT tenant_id, timer_id, subject_kind, subject_id, kind, due_at, late_ms, details::text
            FROM fired ORDER BY due_at, timer_id
            """, logger: logger)
        var fired: [FiredTimer] = []
        fired.reserveCapacity(limit)
        for try await (tenant, id, subjectKind, subjectID, kind, due, late, details) in rows.decode(
            (String, Int64, String, String, String, Date, Int64, String).self)
        {
            fired.append(
                FiredTimer(
                    key: TimerKey(tenant: tenant, subjectKind: subjectKind, subjectID: subjectID, kind: kind),
                    timerID: id, dueAt: due, firedAt: now, lateMilliseconds: late, details: details))
        }
        return fired
    }

    /// Bounds the transaction on `connection`: a daemon that hangs while holding claimed timers
    /// loses them after `lease`, when the server ends its transaction.
    static func limitTransaction(to leaseSeconds: Int, on connection: PostgresConnection, logger: Logger) async throws {
        let milliseconds = "\(leaseSeconds * 1000)"
        try await connection.query(
            """
            SELECT set_config('statement_timeout', \(milliseconds), true),
                   set_config('idle_in_transaction_session_timeout', \(milliseconds), true)
            """, logger: logger)
    }
}

/// A statement that must return a row returned none.
enum PostgresTimerError: Error {
    case noRow
}
