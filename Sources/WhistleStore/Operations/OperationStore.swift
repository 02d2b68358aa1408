import Foundation
import Logging
import PostgresNIO
import WhistleCore

/// Why a joint-operation request was refused.
public enum OperationError: Error, Sendable, Equatable {
    case notFound(Int64)
    case invalid([IssueIntake.FieldProblem])
    /// A team would be in two operations at once: each clash, described.
    case clash([String])
    /// The operation's (or the participant's) state does not allow the step.
    case notAllowed(state: String, step: String, reason: String)
    /// The department does not take part in the operation.
    case notParticipant(String)
}

/// A joint operation (联合整治) as the office, the lead and the participants see it.
public struct OperationRecord: Sendable, Hashable, Codable {
    public struct Participant: Sendable, Hashable, Codable {
        public var department: String
        public var name: String
        public var lead: Bool
        public var team: Bool
        /// invited · confirmed
        public var state: String
        public var confirmedAt: String?
        public var confirmedBy: String?
        public var late: Bool
    }

    public struct Outcome: Sendable, Hashable, Codable {
        public var issue: Int64
        public var outcome: String
        public var outcomeName: String
        public var note: String
        public var department: String?
        public var recordedBy: String
        public var recordedAt: String
    }

    public var id: Int64
    public var title: String
    public var purpose: String
    public var place: String?
    public var compounds: [String]
    public var issues: [Int64]
    public var lead: String
    public var startsAt: String
    public var endsAt: String
    public var confirmDue: String
    /// scheduled · held · cancelled
    public var state: String
    public var createdBy: String
    public var createdAt: String
    public var cancelReason: String?
    public var participants: [Participant]
    public var outcomes: [Outcome]
    /// Overlaps of departments with other operations, roster gaps of teams: nothing that refuses, all worth knowing.
    public var warnings: [String]
    public var rowVersion: Int
}

/// What the office or a lead department asks for when it schedules an operation.
public struct OperationPlan: Sendable, Hashable {
    public var title: String
    public var purpose: String
    public var place: String?
    public var compounds: [String]
    public var issues: [Int64]
    public var lead: String
    public var participants: [String]
    public var startsAt: Date
    public var endsAt: Date
    public var confirmDue: Date?

    public init(
        title: String, purpose: String, place: String? = nil, compounds: [String], issues: [Int64] = [], lead: String, participants: [String],
        startsAt: Date, endsAt: Date, confirmDue: Date? = nil
    ) {
        self.title = title
        self.purpose = purpose
        self.place = place
        self.compounds = compounds
        self.issues = issues
        self.lead = lead
        self.participants = participants
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.confirmDue = confirmDue
    }
}

/// Joint operations in the database: scheduling with clash checks, confirmations, cancellation and
/// the outcomes that move the issues' tasks. Every change writes its event and its notifications
/// in the same transaction.
public struct OperationStore: Sendable {
    public let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// The kind of a participant's confirmation timer (subject `participant`, id `operation:department`).
    public static let timerKind = "ladder.confirm"

    static func participantSubject(_ operation: Int64, _ department: String) -> String { "\(operation):\(department)" }

    /// Schedules an operation. A team already in an overlapping operation refuses it (`clash`);
    /// overlapping departments and roster gaps are warnings on the answer.
    ///
    /// - Parameter confirmedBy: the lead's own department when one of its people schedules: its confirmation is given.
    public func schedule(
        _ plan: OperationPlan, tenant: String, routing: TenantRouting.Tenant, now: Date, actor: String, confirmedBy: String? = nil
    ) async throws -> OperationRecord {
        let logger = database.logger
        let zone = routing.timeZone
        let directory = routing.directory
        let departments = Dictionary(directory.departments.map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })
        var participants = [plan.lead]
        for code in plan.participants where !participants.contains(code) { participants.append(code) }
        let confirmDue = plan.confirmDue ?? max(now, plan.startsAt.addingTimeInterval(-86_400))

        var problems: [IssueIntake.FieldProblem] = []
        if plan.title.trimmingCharacters(in: .whitespaces).isEmpty { problems.append(.init(field: "title", reason: "须填写行动名称")) }
        if plan.purpose.trimmingCharacters(in: .whitespaces).isEmpty { problems.append(.init(field: "purpose", reason: "须填写行动目的")) }
        if plan.compounds.isEmpty { problems.append(.init(field: "compounds", reason: "须至少指定一个小区")) }
        let known = Set(directory.compounds.map(\.compound.code))
        for (n, code) in plan.compounds.enumerated() where !known.contains(code) {
            problems.append(.init(field: "compounds[\(n)]", reason: "没有代码为 '\(code)' 的小区"))
        }
        if departments[plan.lead] == nil { problems.append(.init(field: "lead", reason: "没有代码为 '\(plan.lead)' 的部门")) }
        for (n, code) in plan.participants.enumerated() where departments[code] == nil {
            problems.append(.init(field: "participants[\(n)]", reason: "没有代码为 '\(code)' 的部门"))
        }
        if participants.count < 2 { problems.append(.init(field: "participants", reason: "联合整治须有牵头单位以外的参加单位")) }
        if plan.endsAt <= plan.startsAt { problems.append(.init(field: "endsAt", reason: "结束时间须晚于开始时间")) }
        if plan.startsAt <= now { problems.append(.init(field: "startsAt", reason: "开始时间须在当前时间之后")) }
        if plan.confirmDue != nil, confirmDue <= now || confirmDue > plan.startsAt {
            problems.append(.init(field: "confirmDue", reason: "报到截止时间须在当前时间之后、行动开始之前"))
        }
        guard problems.isEmpty else { throw OperationError.invalid(problems) }

        let teams = Set(participants.filter { departments[$0]?.kind == .team })
        let (id, warnings) = try await database.withTenant(tenant) { connection -> (Int64, [String]) in
            var warnings: [String] = []
            // Issues: of this tenant; one outside the operation's compounds is only a warning.
            if !plan.issues.isEmpty {
                let rows = try await connection.query(
                    "SELECT issue_id, compound_code FROM issues WHERE issue_id = ANY(\(plan.issues))", logger: logger)
                var found: [Int64: String] = [:]
                for try await (issue, compound) in rows.decode((Int64, String).self) { found[issue] = compound }
                let missing = plan.issues.enumerated().filter { found[$0.element] == nil }
                    .map { IssueIntake.FieldProblem(field: "issues[\($0.offset)]", reason: "没有编号为 \($0.element) 的问题") }
                guard missing.isEmpty else { throw OperationError.invalid(missing) }
                for issue in plan.issues where !plan.compounds.contains(found[issue] ?? "") {
                    warnings.append("问题 #\(issue) 所在小区不在本次行动范围内")
                }
            }
            // One scheduler at a time per tenant, so two overlapping operations cannot both take a team.
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext('whistle.operations:' || \(tenant)))", logger: logger)
            let booked = try await connection.query(
                """
                SELECT p.operation_id, o.title, p.department_code, p.starts_at, p.ends_at
                FROM operation_participants p JOIN operations o ON o.tenant_id = p.tenant_id AND o.operation_id = p.operation_id
                WHERE p.active AND p.department_code = ANY(\(participants)) AND p.starts_at < \(plan.endsAt) AND p.ends_at > \(plan.startsAt)
                """, logger: logger)
            var bookings: [OperationBooking] = []
            for try await r in booked.decode((Int64, String, String, Date, Date).self) {
                bookings.append(OperationBooking(operation: r.0, title: r.1, department: r.2, start: r.3, end: r.4))
            }
            let clashes = OperationClashes.find(start: plan.startsAt, end: plan.endsAt, participants: participants, teams: teams, booked: bookings)
            func name(_ code: String) -> String { departments[code]?.name ?? code }
            guard clashes.teams.isEmpty else {
                throw OperationError.clash(clashes.teams.map { OperationClashes.describe($0, name: name($0.department), zone: zone) + "，同一专班不能同时参加两次行动" })
            }
            warnings += clashes.departments.map { OperationClashes.describe($0, name: name($0.department), zone: zone) }
            if let calendar = routing.policy?.calendar {
                for team in routing.rosters.teams where teams.contains(team.team) {
                    if let gaps = try? team.roster.gaps(from: plan.startsAt, to: plan.endsAt, calendar: calendar), !gaps.isEmpty {
                        warnings.append("\(name(team.team))排班在行动期间有 \(gaps.count) 段无人值班")
                    }
                }
            }

            let inserted = try await connection.query(
                """
                INSERT INTO operations (tenant_id, title, purpose, place, compounds, issues, lead_department, starts_at, ends_at, confirm_due,
                                        ladder_id, created_by, created_at)
                VALUES (\(tenant), \(plan.title), \(plan.purpose), \(plan.place), \(plan.compounds), \(plan.issues), \(plan.lead), \(plan.startsAt),
                        \(plan.endsAt), \(confirmDue),
                        (SELECT ladder_id FROM escalation_ladders WHERE tenant_id = \(tenant) AND checksum = \(routing.ladderChecksum)),
                        \(actor), \(now))
                RETURNING operation_id
                """, logger: logger)
            var id: Int64 = 0
            for try await value in inserted.decode(Int64.self) { id = value }
            for code in participants {
                let confirmed = code == confirmedBy
                try await connection.query(
                    """
                    INSERT INTO operation_participants (tenant_id, operation_id, department_code, is_lead, is_team, state, confirmed_at, confirmed_by,
                                                        starts_at, ends_at)
                    VALUES (\(tenant), \(id), \(code), \(code == plan.lead), \(teams.contains(code)), \(confirmed ? "confirmed" : "invited"),
                            \(confirmed ? now : nil), \(confirmed ? actor : nil), \(plan.startsAt), \(plan.endsAt))
                    """, logger: logger)
                if !confirmed { try await Self.armConfirmation(id, department: code, confirmDue: confirmDue, routing: routing, tenant: tenant, on: connection, logger: logger) }
            }
            let facts = Self.facts(
                id: id, plan: plan, participants: participants, confirmDue: confirmDue, routing: routing)
            var details = [
                "title": plan.title, "lead": plan.lead, "participants": participants.joined(separator: ","),
                "startsAt": ISOMoment.format(plan.startsAt, in: zone), "endsAt": ISOMoment.format(plan.endsAt, in: zone),
                "confirmDue": ISOMoment.format(confirmDue, in: zone), "compounds": plan.compounds.joined(separator: ","),
                "issues": plan.issues.map(String.init).joined(separator: ","),
            ]
            if !warnings.isEmpty { details["warnings"] = warnings.joined(separator: "；") }
            try await EventLog.append(
                tenant: tenant, subject: ("operation", String(id)), kind: "operation.scheduled", actor: actor, at: now, details: details,
                on: connection, logger: logger)
            for issue in plan.issues {
                try await EventLog.append(
                    tenant: tenant, subject: ("issue", String(issue)), kind: "issue.operationScheduled", actor: actor, at: now,
                    details: ["operation": String(id), "title": plan.title, "startsAt": ISOMoment.format(plan.startsAt, in: zone)],
                    on: connection, logger: logger)
            }
            try await OutboxStore.enqueue(
                Self.deliveries(to: participants, in: directory), message: OperationNotice.summons(facts), tenant: tenant, escalation: nil,
                eventKind: "operation.scheduled", now: now, on: connection, logger: logger)
            return (id, warnings)
        }
        var record = try await operation(id, tenant: tenant, routing: routing)
        record.warnings = warnings
        return record
    }
}
