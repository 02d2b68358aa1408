import Foundation
import Logging
import PostgresNIO
import WhistleCore

/// Why a roster request was refused.
public enum RosterError: Error, Sendable, Equatable {
    case notFound(Int64)
    case invalid([IssueIntake.FieldProblem])
    case alreadyCancelled(Int64)
}

/// An override a scheduler made through the API.
public struct RosterOverrideRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var team: String
    public var member: String
    public var memberName: String
    public var from: String
    public var to: String
    public var reason: String
    public var createdBy: String
    public var createdAt: String
    public var cancelledBy: String?
    public var cancelledAt: String?
}

/// The API's overrides of specialist teams' rosters, and each team's roster as it stands with them:
/// rosters.yaml's rotations and overrides, then the API's, latest last (the latest wins).
public struct RosterStore: Sendable {
    public let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// The live overrides of `teams` that have not ended by `after`, in the order they were made.
    static func overrides(
        teams: [String], after: Date, on connection: PostgresConnection, logger: Logger
    ) async throws -> [String: [RosterOverride]] {
        guard !teams.isEmpty else { return [:] }
        let rows = try await connection.query(
            """
            SELECT team_code, member, starts_at, ends_at, reason FROM roster_overrides
            WHERE team_code = ANY(\(teams)) AND cancelled_at IS NULL AND ends_at > \(after)
            ORDER BY override_id
            """, logger: logger)
        var result: [String: [RosterOverride]] = [:]
        for try await r in rows.decode((String, String, Date, Date, String).self) {
            result[r.0, default: []].append(RosterOverride(member: r.1, from: r.2, to: r.3, reason: r.4))
        }
        return result
    }

    /// The overrides of those of `departments` that have a roster (no query when none has).
    public func overrides(for departments: [String], routing: TenantRouting.Tenant, tenant: String, after: Date) async throws -> [String: [RosterOverride]] {
        let teams = departments.filter { code in routing.rosters.teams.contains { $0.team == code } }
        guard !teams.isEmpty else { return [:] }
        return try await database.withTenant(tenant) { connection in
            try await Self.overrides(teams: teams, after: after, on: connection, logger: database.logger)
        }
    }

    /// The team's roster with the API's overrides that have not ended by `after`.
    public func roster(_ team: TeamRosters.Team, tenant: String, after: Date) async throws -> Roster {
        var roster = team.roster
        let extra = try await database.withTenant(tenant) { connection in
            try await Self.overrides(teams: [team.team], after: after, on: connection, logger: database.logger)
        }
        roster.overrides += extra[team.team] ?? []
        return roster
    }

    /// The team's overrides made through the API, newest first; with `current`, only those not ended or cancelled.
    public func list(team: String, tenant: String, routing: TenantRouting.Tenant, now: Date, current: Bool) async throws -> [RosterOverrideRecord] {
        try await database.withTenant(tenant) { connection in
            let rows = try await connection.query(
                """
                SELECT override_id FROM roster_overrides
                WHERE team_code = \(team) AND (NOT \(current) OR (cancelled_at IS NULL AND ends_at > \(now)))
                ORDER BY override_id DESC LIMIT 500
                """, logger: database.logger)
            var ids: [Int64] = []
            for try await id in rows.decode(Int64.self) { ids.append(id) }
            var records: [RosterOverrideRecord] = []
            for id in ids { records.append(try await Self.read(id, routing: routing, on: connection, logger: database.logger)) }
            return records
        }
    }

    /// Adds an override: from `from` to `to`, `member` is on duty instead. The team's tasks still
    /// waiting for someone to report in are looked at again when it starts, so a sick member's
    /// tasks go to whoever stands in.
    public func add(
        team: TeamRosters.Team, member: String, from: Date, to: Date, reason: String, tenant: String, routing: TenantRouting.Tenant, now: Date,
        actor: String
    ) async throws -> RosterOverrideRecord {
        var problems: [IssueIntake.FieldProblem] = []
        if !team.members.contains(where: { $0.code == member }) {
            problems.append(.init(field: "member", reason: "“\(member)”不是该专班的成员；成员：\(team.members.map(\.code).joined(separator: ", "))"))
        }
        if to <= from { problems.append(.init(field: "to", reason: "须晚于 from")) }
        if to <= now { problems.append(.init(field: "to", reason: "已经过去的时段无需调班")) }
        if to.timeIntervalSince(from) > 92 * 86_400 { problems.append(.init(field: "to", reason: "一次调班最长 92 天；长期安排请修改 rosters.yaml 的轮班")) }
        if reason.trimmingCharacters(in: .whitespaces).isEmpty { problems.append(.init(field: "reason", reason: "须说明调班原因（换班、病假等）")) }
        guard problems.isEmpty else { throw RosterError.invalid(problems) }
        let logger = database.logger
        return try await database.withTenant(tenant) { connection in
            let rows = try await connection.query(
                """
                INSERT INTO roster_overrides (tenant_id, team_code, member, starts_at, ends_at, reason, created_by, created_at)
                VALUES (\(tenant), \(team.team), \(member), \(from), \(to), \(reason), \(actor), \(now))
                RETURNING override_id
                """, logger: logger)
            var id: Int64 = 0
            for try await value in rows.decode(Int64.self) { id = value }
            let zone = routing.timeZone
            try await EventLog.append(
                tenant: tenant, subject: ("team", team.team), kind: "roster.overridden", actor: actor, at: now,
                details: [
                    "override": String(id), "member": member, "from": ISOMoment.format(from, in: zone), "to": ISOMoment.format(to, in: zone),
                    "reason": reason,
                ], on: connection, logger: logger)
            try await Self.reviewHandoffs(team: team.team, at: max(now, from), override: id, tenant: tenant, on: connection, logger: logger)
            return try await Self.read(id, routing: routing, on: connection, logger: logger)
        }
    }

    /// Cancels an override; the team's waiting tasks are looked at again from now (or its start).
    public func cancel(_ id: Int64, team: String, tenant: String, routing: TenantRouting.Tenant, now: Date, actor: String) async throws -> RosterOverrideRecord {
        let logger = database.logger
        return try await database.withTenant(tenant) { connection in
            let rows = try await connection.query(
                "SELECT starts_at, cancelled_at FROM roster_overrides WHERE override_id = \(id) AND team_code = \(team) FOR UPDATE", logger: logger)
            var found: (Date, Date?)?
            for try await row in rows.decode((Date, Date?).self) { found = row }
            guard let (from, cancelled) = found else { throw RosterError.notFound(id) }
            guard cancelled == nil else { throw RosterError.alreadyCancelled(id) }
            try await connection.query(
                "UPDATE roster_overrides SET cancelled_at = \(now), cancelled_by = \(actor) WHERE override_id = \(id)", logger: logger)
            try await EventLog.append(
                tenant: tenant, subject: ("team", team), kind: "roster.overrideCancelled", actor: actor, at: now, details: ["override": String(id)],
                on: connection, logger: logger)
            try await Self.reviewHandoffs(team: team, at: max(now, from), override: id, tenant: tenant, on: connection, logger: logger)
            return try await Self.read(id, routing: routing, on: connection, logger: logger)
        }
    }

    /// Brings each waiting task's hand-off of `team` forward to `moment` (never later than it was
    /// armed): `RosterHandoff` then gives it to whoever is on duty by the changed roster.
    static func reviewHandoffs(team: String, at moment: Date, override: Int64, tenant: String, on connection: PostgresConnection, logger: Logger) async throws {
        let rows = try await connection.query(
            """
            SELECT t.task_id, t.assignee, tm.due_at FROM tasks t
            LEFT JOIN timers tm ON tm.tenant_id = t.tenant_id AND tm.subject_kind = 'task' AND tm.subject_id = t.task_id::text
                                AND tm.kind = \(RosterHandoff.timerKind) AND tm.state = 'armed'
            WHERE t.department_code = \(team) AND t.state = 'dispatched'
            """, logger: logger)
        var waiting: [(Int64, String?, Date?)] = []
        for try await row in rows.decode((Int64, String?, Date?).self) { waiting.append(row) }
        for (task, assignee, due) in waiting where due.map({ $0 > moment }) ?? true {
            let details = String(decoding: try JSONEncoder.sorted.encode(["member": assignee ?? "", "override": String(override)]), as: UTF8.self)
            try await TimerStore.arm(
                TimerKey(tenant: tenant, subjectKind: "task", subjectID: String(task), kind: RosterHandoff.timerKind), due: moment, details: details,
                on: connection, logger: logger)
        }
    }

    static func read(_ id: Int64, routing: TenantRouting.Tenant, on connection: PostgresConnection, logger: Logger) async throws -> RosterOverrideRecord {
        let rows = try await connection.query(
            """
            SELECT override_id, team_code, member, starts_at, ends_at, reason, created_by, created_at, cancelled_by, cancelled_at
            FROM roster_overrides WHERE override_id = \(id)
            """, logger: logger)
        let zone = routing.timeZone
        for try await r in rows.decode((Int64, String, String, Date, Date, String, String, Date, String?, Date?).self) {
            let name = routing.rosters.teams.first { $0.team == r.1 }?.members.first { $0.code == r.2 }?.name ?? r.2
            return RosterOverrideRecord(
                id: r.0, team: r.1, member: r.2, memberName: name, from: ISOMoment.format(r.3, in: zone), to: ISOMoment.format(r.4, in: zone),
                reason: r.5, createdBy: r.6, createdAt: ISOMoment.format(r.7, in: zone), cancelledBy: r.8, cancelledAt: r.9.map { ISOMoment.format($0, in: zone) })
        }
        throw RosterError.notFound(id)
    }
}
