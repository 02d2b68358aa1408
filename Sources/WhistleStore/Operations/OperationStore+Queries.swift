import Foundation
import Logging
import PostgresNIO
import WhistleCore

extension OperationStore {
    /// One operation with its participants and outcomes.
    public func operation(_ id: Int64, tenant: String, routing: TenantRouting.Tenant) async throws -> OperationRecord {
        try await database.withTenant(tenant) { connection in
            guard let record = try await Self.read(ids: [id], routing: routing, on: connection, logger: database.logger).first else {
                throw OperationError.notFound(id)
            }
            return record
        }
    }

    /// Operations starting in `[from, to)` (every one without bounds), soonest first; with
    /// `department`, only those it takes part in.
    public func list(
        tenant: String, routing: TenantRouting.Tenant, department: String? = nil, state: String? = nil, from: Date? = nil, to: Date? = nil,
        limit: Int = 200
    ) async throws -> [OperationRecord] {
        try await database.withTenant(tenant) { connection in
            let rows = try await connection.query(
                """
                SELECT o.operation_id FROM operations o
                WHERE (\(department)::text IS NULL OR EXISTS (
                          SELECT 1 FROM operation_participants p
                          WHERE p.tenant_id = o.tenant_id AND p.operation_id = o.operation_id AND p.department_code = \(department)))
                  AND (\(state)::text IS NULL OR o.state = \(state))
                  AND (\(from)::timestamptz IS NULL OR o.starts_at >= \(from))
                  AND (\(to)::timestamptz IS NULL OR o.starts_at < \(to))
                ORDER BY o.starts_at, o.operation_id LIMIT \(limit)
                """, logger: database.logger)
            var ids: [Int64] = []
            for try await id in rows.decode(Int64.self) { ids.append(id) }
            return try await Self.read(ids: ids, routing: routing, on: connection, logger: database.logger)
        }
    }

    static func read(ids: [Int64], routing: TenantRouting.Tenant, on connection: PostgresConnection, logger: Logger) async throws -> [OperationRecord] {
        guard !ids.isEmpty else { return [] }
        let zone = routing.timeZone
        func format(_ date: Date) -> String { ISOMoment.format(date, in: zone) }
        var records: [Int64: OperationRecord] = [:]
        let rows = try await connection.query(
            """
            SELECT operation_id, title, purpose, place, compounds, issues, lead_department, starts_at, ends_at, confirm_due, state,
                   created_by, created_at, cancel_reason, row_version
            FROM operations WHERE operation_id = ANY(\(ids))
            """, logger: logger)
        for try await r in rows.decode((Int64, String, String, String?, [String], [Int64], String, Date, Date, Date, String, String, Date, String?, Int).self) {
            records[r.0] = OperationRecord(
                id: r.0, title: r.1, purpose: r.2, place: r.3, compounds: r.4, issues: r.5, lead: r.6, startsAt: format(r.7), endsAt: format(r.8),
                confirmDue: format(r.9), state: r.10, createdBy: r.11, createdAt: format(r.12), cancelReason: r.13, participants: [], outcomes: [],
                warnings: [], rowVersion: r.14)
        }
        let participants = try await connection.query(
            """
            SELECT p.operation_id, p.department_code, p.is_lead, p.is_team, p.state, p.confirmed_at, p.confirmed_by, p.confirmed_at > o.confirm_due
            FROM operation_participants p JOIN operations o ON o.tenant_id = p.tenant_id AND o.operation_id = p.operation_id
            WHERE p.operation_id = ANY(\(ids))
            ORDER BY p.operation_id, NOT p.is_lead, p.department_code
            """, logger: logger)
        for try await r in participants.decode((Int64, String, Bool, Bool, String, Date?, String?, Bool?).self) {
            records[r.0]?.participants.append(
                OperationRecord.Participant(
                    department: r.1, name: routing.departmentNames[r.1] ?? r.1, lead: r.2, team: r.3, state: r.4, confirmedAt: r.5.map(format),
                    confirmedBy: r.6, late: r.7 ?? false))
        }
        let outcomes = try await connection.query(
            """
            SELECT operation_id, issue_id, outcome, note, department_code, recorded_by, recorded_at
            FROM operation_outcomes WHERE operation_id = ANY(\(ids)) ORDER BY operation_id, issue_id
            """, logger: logger)
        for try await r in outcomes.decode((Int64, Int64, String, String, String?, String, Date).self) {
            records[r.0]?.outcomes.append(
                OperationRecord.Outcome(
                    issue: r.1, outcome: r.2, outcomeName: OperationOutcome(rawValue: r.2)?.chineseName ?? r.2, note: r.3, department: r.4,
                    recordedBy: r.5, recordedAt: format(r.6)))
        }
        return ids.compactMap { records[$0] }
    }

    static func facts(id: Int64, plan: OperationPlan, participants: [String], confirmDue: Date, routing: TenantRouting.Tenant) -> OperationFacts {
        let compounds = plan.compounds.map { code in routing.directory.compounds.first { $0.compound.code == code }?.compound.name ?? code }
        return OperationFacts(
            id: id, title: plan.title, purpose: plan.purpose, place: plan.place.map { "\(compounds.joined(separator: "、"))（\($0)）" } ?? compounds.joined(separator: "、"),
            compounds: compounds, lead: routing.departmentNames[plan.lead] ?? plan.lead,
            participants: participants.map { routing.departmentNames[$0] ?? $0 }, start: plan.startsAt, end: plan.endsAt, confirmDue: confirmDue,
            timeZone: routing.timeZone)
    }

    /// The facts of a stored operation, for its later notices.
    static func facts(_ id: Int64, routing: TenantRouting.Tenant, on connection: PostgresConnection, logger: Logger) async throws -> (OperationFacts, [String])? {
        let rows = try await connection.query(
            """
            SELECT o.title, o.purpose, o.place, o.compounds, o.issues, o.lead_department, o.starts_at, o.ends_at, o.confirm_due,
                   (SELECT array_agg(p.department_code ORDER BY NOT p.is_lead, p.department_code) FROM operation_participants p
                    WHERE p.tenant_id = o.tenant_id AND p.operation_id = o.operation_id)
            FROM operations o WHERE o.operation_id = \(id)
            """, logger: logger)
        for try await r in rows.decode((String, String, String?, [String], [Int64], String, Date, Date, Date, [String]).self) {
            let plan = OperationPlan(
                title: r.0, purpose: r.1, place: r.2, compounds: r.3, issues: r.4, lead: r.5, participants: r.9, startsAt: r.6, endsAt: r.7,
                confirmDue: r.8)
            return (facts(id: id, plan: plan, participants: r.9, confirmDue: r.8, routing: routing), r.9)
        }
        return nil
    }

    /// Each department's channels, with nobody in particular mentioned.
    static func deliveries(to departments: [String], in directory: Directory) -> [EscalationRecipients.Delivery] {
        departments.flatMap { code -> [EscalationRecipients.Delivery] in
            guard let department = directory.departments.first(where: { $0.code == code }) else { return [] }
            return directory.channels(of: department).map {
                EscalationRecipients.Delivery(department: code, departmentName: department.name, channel: $0, mentions: [], people: [])
            }
        }
    }

    /// Arms the participant's first rung of the acknowledge ladder, counted from the confirmation deadline.
    static func armConfirmation(
        _ id: Int64, department: String, confirmDue: Date, fired: Set<String> = [], routing: TenantRouting.Tenant, tenant: String,
        ladder: EscalationLadder? = nil, on connection: PostgresConnection, logger: Logger
    ) async throws {
        guard let calendar = routing.policy?.calendar,
            let next = try? (ladder ?? routing.ladder).next(
                on: .acknowledge, fired: fired, anchors: [.acknowledgeDue: confirmDue], calendar: calendar, in: routing.timeZone),
            let moment = next.moment
        else { return }
        try await TimerStore.arm(
            TimerKey(tenant: tenant, subjectKind: "participant", subjectID: participantSubject(id, department), kind: timerKind), due: moment,
            details: LadderTimer(track: .acknowledge, rung: next.rung.code, at: moment).details, on: connection, logger: logger)
    }
}
