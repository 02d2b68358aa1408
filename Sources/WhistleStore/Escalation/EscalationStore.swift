import Foundation
import Logging
import PostgresNIO
import Synchronization
import WhistleCore

/// The escalation ladder in the database: the ladders tasks keep, the rungs that fired on them,
/// and what the office and the group leader decide about talks and public notices.
public struct EscalationStore: Sendable {
    public let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Stores each tenant's ladder once (by checksum); tasks dispatched from now on keep it.
    /// - Returns: per tenant, the ladder's row and whether it was new.
    @discardableResult
    public func register(_ tenants: [ConfigDirectory.TenantFiles]) async throws -> [(tenant: String, ladder: Int64, new: Bool)] {
        try await database.withSystemTransaction { connection in
            var results: [(String, Int64, Bool)] = []
            for files in tenants {
                let tenant = files.directory.tenant.code
                let ladder = files.escalation
                let rows = try await connection.query(
                    """
                    WITH added AS (
                        INSERT INTO escalation_ladders (tenant_id, checksum, body) VALUES (\(tenant), \(ladder.checksum), \(ladder.storedJSON)::jsonb)
                        ON CONFLICT (tenant_id, checksum) DO NOTHING RETURNING ladder_id)
                    SELECT ladder_id, true FROM added
                    UNION ALL
                    SELECT ladder_id, false FROM escalation_ladders WHERE tenant_id = \(tenant) AND checksum = \(ladder.checksum)
                    """, logger: database.logger)
                for try await (id, new) in rows.decode((Int64, Bool).self) {
                    results.append((tenant, id, new))
                    break
                }
            }
            return results
        }
    }

    // MARK: Ladders and the next rung

    private static let ladders = Mutex<[Int64: EscalationLadder]>([:])

    /// The ladder of row `id` (rows never change, so they are cached); `fallback` for a task
    /// dispatched before ladders were stored.
    static func ladder(_ id: Int64?, fallback: EscalationLadder, on connection: PostgresConnection, logger: Logger) async throws -> EscalationLadder {
        guard let id else { return fallback }
        if let known = ladders.withLock({ $0[id] }) { return known }
        let rows = try await connection.query("SELECT body::text FROM escalation_ladders WHERE ladder_id = \(id)", logger: logger)
        for try await body in rows.decode(String.self) {
            let ladder = try JSONDecoder().decode(EscalationLadder.self, from: Data(body.utf8))
            ladders.withLock { $0[id] = ladder }
            return ladder
        }
        return fallback
    }

    /// What a task's ladder counts from, and which rungs fired on it.
    struct LadderState {
        var issueID: Int64
        var department: String
        var state: TaskState
        var ladderID: Int64?
        var anchors: [EscalationAnchor: Date]
        var fired: [EscalationTrack: Set<String>]
        var compound: String
        var issueType: String?
        var description: String
    }

    /// Reads (and, with `lock`, locks) a task's ladder state.
    static func ladderState(
        task: Int64, tenant: String, lock: Bool, on connection: PostgresConnection, logger: Logger
    ) async throws -> LadderState? {
        let rows = try await connection.query(
            """
            SELECT t.issue_id, t.department_code, t.state, t.ladder_id, t.acknowledge_due, t.rectify_due, t.supervision_due, t.talk_promise,
                   i.compound_code, i.issue_type, i.description,
                   coalesce((SELECT array_agg(e.track || ' ' || e.rung) FROM escalations e
                             WHERE e.tenant_id = t.tenant_id AND e.task_id = t.task_id), '{}')
            FROM tasks t JOIN issues i ON i.tenant_id = t.tenant_id AND i.issue_id = t.issue_id
            WHERE t.tenant_id = \(tenant) AND t.task_id = \(task)
            \(unescaped: lock ? "FOR UPDATE OF t" : "")
            """, logger: logger)
        for try await r in rows.decode((Int64, String, String, Int64?, Date?, Date?, Date?, Date?, String, String?, String, [String]).self) {
            var anchors: [EscalationAnchor: Date] = [:]
            anchors[.acknowledgeDue] = r.4
            anchors[.rectifyDue] = r.5
            anchors[.supervisionDue] = r.6
            anchors[.talkPromise] = r.7
            var fired: [EscalationTrack: Set<String>] = [:]
            for entry in r.11 {
                let parts = entry.split(separator: " ", maxSplits: 1)
                if parts.count == 2, let track = EscalationTrack(rawValue: String(parts[0])) { fired[track, default: []].insert(String(parts[1])) }
            }
            return LadderState(
                issueID: r.0, department: r.1, state: TaskState(rawValue: r.2) ?? .dispatched, ladderID: r.3, anchors: anchors, fired: fired,
                compound: r.8, issueType: r.9, description: r.10)
        }
        return nil
    }

    /// Arms each track's timer for its next rung, or disarms it when the next rung waits for an
    /// anchor or none is left. Runs in the caller's transaction, after the change that moved an
    /// anchor (an extension, a talk's promise, a rejection that reopens the work). A rung the
    /// calendar cannot count (an extension into a year not in it yet) stops the track with
    /// `escalation.unscheduled`, which `DeadlineCatchUp` resumes once the year is added.
    static func rearm(
        task: Int64, tenant: String, tracks: [EscalationTrack], routing: TenantRouting.Tenant, now: Date, on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        guard let policy = routing.policy,
            let state = try await ladderState(task: task, tenant: tenant, lock: false, on: connection, logger: logger)
        else { return }
        let ladder = try await ladder(state.ladderID, fallback: routing.ladder, on: connection, logger: logger)
        let next = LadderTimer.plan(
            ladder: ladder, tracks: tracks, fired: state.fired, anchors: state.anchors, calendar: policy.calendar, zone: routing.timeZone)
        for track in tracks {
            let key = TimerKey(tenant: tenant, subjectKind: "task", subjectID: String(task), kind: track.timerKind)
            if let timer = next.timers.first(where: { $0.track == track }) {
                try await TimerStore.arm(key, due: timer.at, details: timer.details, on: connection, logger: logger)
            } else {
                try await TimerStore.disarm(key, on: connection, logger: logger)
            }
        }
        for stopped in next.unscheduled {
            try await stopped.record(task: task, issue: state.issueID, tenant: tenant, at: now, on: connection, logger: logger)
        }
    }
}

extension EscalationStore.LadderState {
    /// What escalation `escalation` on `task` says of it, with `anchors` as they stand at `at`:
    /// names from the tenant's directory and lists.
    func facts(escalation: Int64, task: Int64, anchors: [EscalationAnchor: Date], at: Date, routing: TenantRouting.Tenant) -> EscalationFacts {
        let directory = routing.directory
        return EscalationFacts(
            tenantName: directory.tenant.name, escalationID: escalation, issueID: issueID, taskID: task,
            compound: directory.compounds.first { $0.compound.code == compound }?.compound.name ?? compound,
            issueType: routing.typeName(issueType), description: description, department: routing.departmentNames[department] ?? department,
            acknowledgeDue: anchors[.acknowledgeDue], rectifyDue: anchors[.rectifyDue], supervisionDue: anchors[.supervisionDue],
            talkPromise: anchors[.talkPromise], at: at, timeZone: routing.timeZone)
    }
}
