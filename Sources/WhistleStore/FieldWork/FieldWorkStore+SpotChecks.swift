import Foundation
import Logging
import PostgresNIO
import WhistleCore

/// A random draw of compounds and closed issues (四不两直, 双随机一公开) and what was found.
public struct SpotCheckRecord: Sendable, Hashable, Codable {
    public struct Finding: Sendable, Hashable, Codable {
        public var id: Int64
        public var compound: String
        /// unlisted · listed · falseClosure · confirmed
        public var kind: String
        public var issue: Int64?
        public var description: String
        public var inspector: String
        public var recordedAt: String
        /// The deductions it caused: department and points.
        public var deductions: [String: Double]
    }

    public var id: Int64
    public var seed: String
    public var territory: String?
    public var candidateCompounds: [String]
    public var candidateIssues: [Int64]
    public var compounds: [String]
    public var issues: [Int64]
    public var note: String?
    public var drawnBy: String
    public var drawnAt: String
    /// The draw re-run from its seed and candidates gives the same sample.
    public var reproduced: Bool
    public var findings: [Finding]
}

/// What an inspector found at a compound of the draw.
public struct FindingInput: Sendable, Hashable {
    public var compound: String
    public var description: String
    public var inspector: String
    public var type: String?
    public var building: String?
    public var household: String?
    /// A closed issue of the draw that was checked, and whether it is really rectified.
    public var closedIssue: Int64?
    public var rectified: Bool?
    /// The listed issue the inspector says covers the problem.
    public var listedIssue: Int64?

    public init(
        compound: String, description: String, inspector: String, type: String? = nil, building: String? = nil, household: String? = nil,
        closedIssue: Int64? = nil, rectified: Bool? = nil, listedIssue: Int64? = nil
    ) {
        self.compound = compound
        self.description = description
        self.inspector = inspector
        self.type = type
        self.building = building
        self.household = household
        self.closedIssue = closedIssue
        self.rectified = rectified
        self.listedIssue = listedIssue
    }
}

extension FieldWorkStore {
    /// Draws `compounds` compounds (of `territory`, or every one) and `closedIssues` closed issues
    /// of them with `seed` (a fresh one when nil); the seed and candidates are kept.
    public func drawSpotCheck(
        compounds count: Int, closedIssues issueCount: Int, territory: String?, seed: String?, note: String?, tenant: String,
        routing: TenantRouting.Tenant, now: Date, actor: String
    ) async throws -> SpotCheckRecord {
        var problems: [IssueIntake.FieldProblem] = []
        if count < 1 { problems.append(.init(field: "compounds", reason: "至少抽取 1 个小区")) }
        if issueCount < 0 { problems.append(.init(field: "closedIssues", reason: "不能为负数")) }
        if let territory, !routing.directory.territories.contains(where: { $0.code == territory }) {
            problems.append(.init(field: "territory", reason: "没有代码为 '\(territory)' 的镇街"))
        }
        if let seed, seed.isEmpty || seed.count > 200 { problems.append(.init(field: "seed", reason: "长度须为 1–200 个字符")) }
        guard problems.isEmpty else { throw FieldWorkError.invalid(problems) }
        let seed = seed ?? SpotDraw.freshSeed()
        let candidates = routing.directory.compounds.filter { territory == nil || $0.territory == territory }.map(\.compound.code).sorted()
        let drawn = SpotDraw.draw(candidates, count: count, seed: seed)
        let logger = database.logger
        let id = try await database.withTenant(tenant) { connection -> Int64 in
            let rows = try await connection.query(
                "SELECT issue_id::text FROM issues WHERE state = 'closed' AND compound_code = ANY(\(drawn)) ORDER BY issue_id", logger: logger)
            var closed: [String] = []
            for try await issue in rows.decode(String.self) { closed.append(issue) }
            let issues = SpotDraw.draw(closed, count: issueCount, seed: seed + ":issues")
            let inserted = try await connection.query(
                """
                INSERT INTO spot_checks (tenant_id, seed, territory, candidate_compounds, candidate_issues, compounds, issues, note, drawn_by, drawn_at)
                VALUES (\(tenant), \(seed), \(territory), \(candidates), \(closed), \(drawn), \(issues), \(note), \(actor), \(now))
                RETURNING spot_check_id
                """, logger: logger)
            var id: Int64 = 0
            for try await value in inserted.decode(Int64.self) { id = value }
            try await EventLog.append(
                tenant: tenant, subject: ("spotCheck", String(id)), kind: "spotCheck.drawn", actor: actor, at: now,
                details: ["seed": seed, "compounds": drawn.joined(separator: ","), "issues": issues.joined(separator: ",")], on: connection, logger: logger)
            return id
        }
        return try await spotCheck(id, tenant: tenant, routing: routing)
    }

    public func spotCheck(_ id: Int64, tenant: String, routing: TenantRouting.Tenant) async throws -> SpotCheckRecord {
        let zone = routing.timeZone
        return try await database.withTenant(tenant) { connection in
            let rows = try await connection.query(
                """
                SELECT seed, territory, candidate_compounds, candidate_issues, compounds, issues, note, drawn_by, drawn_at
                FROM spot_checks WHERE spot_check_id = \(id)
                """, logger: database.logger)
            var found: SpotCheckRecord?
            for try await r in rows.decode((String, String?, [String], [String], [String], [String], String?, String, Date).self) {
                // Anyone can re-run the draw: the same seed and candidates must give the same sample.
                let reproduced =
                    SpotDraw.draw(r.2, count: r.4.count, seed: r.0) == r.4 && SpotDraw.draw(r.3, count: r.5.count, seed: r.0 + ":issues") == r.5
                found = SpotCheckRecord(
                    id: id, seed: r.0, territory: r.1, candidateCompounds: r.2, candidateIssues: r.3.compactMap { Int64($0) }, compounds: r.4,
                    issues: r.5.compactMap { Int64($0) }, note: r.6, drawnBy: r.7, drawnAt: ISOMoment.format(r.8, in: zone), reproduced: reproduced,
                    findings: [])
            }
            guard var record = found else { throw FieldWorkError.notFound("spot check \(id)") }
            let findings = try await connection.query(
                """
                SELECT f.finding_id, f.compound_code, f.kind, f.issue_id, f.description, f.inspector, f.recorded_at,
                       coalesce((SELECT jsonb_object_agg(d.department_code, d.points) FROM assessment_deductions d
                                 WHERE d.tenant_id = f.tenant_id AND d.finding_id = f.finding_id), '{}')::text
                FROM spot_findings f WHERE f.spot_check_id = \(id) ORDER BY f.finding_id
                """, logger: database.logger)
            for try await r in findings.decode((Int64, String, String, Int64?, String, String, Date, String).self) {
                let deductions = (try? JSONDecoder().decode([String: Double].self, from: Data(r.7.utf8))) ?? [:]
                record.findings.append(
                    .init(
                        id: r.0, compound: r.1, kind: r.2, issue: r.3, description: r.4, inspector: r.5, recordedAt: ISOMoment.format(r.6, in: zone),
                        deductions: deductions))
            }
            return record
        }
    }

    /// Records a finding. A problem no listed issue of the compound covers becomes an issue
    /// (inspection channel) and costs the compound's territory its deduction; a closed issue found
    /// not rectified is reopened (new tasks for the departments that closed theirs) and costs each
    /// of them its deduction.
    public func recordFinding(
        _ input: FindingInput, spotCheck id: Int64, tenant: String, routing: TenantRouting.Tenant, now: Date, actor: String, reportedBy: Int64?
    ) async throws -> SpotCheckRecord {
        let check = try await spotCheck(id, tenant: tenant, routing: routing)
        var problems: [IssueIntake.FieldProblem] = []
        if !check.compounds.contains(input.compound) { problems.append(.init(field: "compound", reason: "小区 '\(input.compound)' 不在本次抽查范围内")) }
        if input.description.trimmingCharacters(in: .whitespaces).isEmpty { problems.append(.init(field: "description", reason: "须描述检查发现")) }
        if input.inspector.trimmingCharacters(in: .whitespaces).isEmpty { problems.append(.init(field: "inspector", reason: "须填写检查人")) }
        if let issue = input.closedIssue {
            if !check.issues.contains(issue) { problems.append(.init(field: "closedIssue", reason: "问题 #\(issue) 不是本次抽中的已销号问题")) }
            if input.rectified == nil { problems.append(.init(field: "rectified", reason: "须说明是否确已整改")) }
        }
        guard problems.isEmpty else { throw FieldWorkError.invalid(problems) }
        let rules = routing.assessment.spotChecks
        let logger = database.logger
        let zone = routing.timeZone

        // A problem: is it covered by a listed issue of the compound?
        var listed: Int64?
        if input.closedIssue == nil {
            listed = try await database.withTenant(tenant) { connection -> Int64? in
                let rows = try await connection.query(
                    """
                    SELECT issue_id FROM issues
                    WHERE compound_code = \(input.compound) AND state <> 'merged'
                      AND ((\(input.listedIssue)::int8 IS NOT NULL AND issue_id = \(input.listedIssue))
                           OR (\(input.listedIssue)::int8 IS NULL AND \(input.type)::text IS NOT NULL AND issue_type = \(input.type)))
                    ORDER BY issue_id LIMIT 1
                    """, logger: logger)
                for try await issue in rows.decode(Int64.self) { return issue }
                return nil
            }
            if input.listedIssue != nil, listed == nil {
                throw FieldWorkError.invalid([.init(field: "listedIssue", reason: "问题 #\(input.listedIssue!) 不是该小区的问题")])
            }
        }
        var newIssue: Int64?
        if input.closedIssue == nil, listed == nil {
            let intake = IssueIntake(
                channel: .inspection, compound: input.compound, building: input.building, household: input.household, type: input.type,
                description: input.description, reportedAt: now, channelDetails: ["排查时间": ISOMoment.format(now, in: zone), "检查人": input.inspector, "来源": "抽查发现（未列入台账）"])
            do {
                newIssue = try await IssueStore(database: database).intake(intake, tenant: tenant, routing: routing, now: now, actor: actor, reportedBy: reportedBy).issue.id
            } catch IssueError.invalid(let fields) {
                throw FieldWorkError.invalid(fields)
            }
        }
        try await database.withTenant(tenant) { connection in
            let kind: String
            let issue: Int64?
            if let closed = input.closedIssue {
                kind = input.rectified == true ? "confirmed" : "falseClosure"
                issue = closed
            } else if let listed {
                kind = "listed"
                issue = listed
            } else {
                kind = "unlisted"
                issue = newIssue
            }
            let rows = try await connection.query(
                """
                INSERT INTO spot_findings (tenant_id, spot_check_id, compound_code, kind, issue_id, description, inspector, recorded_by, recorded_at)
                VALUES (\(tenant), \(id), \(input.compound), \(kind), \(issue), \(input.description), \(input.inspector), \(actor), \(now))
                RETURNING finding_id
                """, logger: logger)
            var finding: Int64 = 0
            for try await value in rows.decode(Int64.self) { finding = value }
            var charged: [String] = []
            var points = 0.0
            switch kind {
            case "unlisted":
                points = rules.unlistedProblemPoints
                let town = routing.directory.compounds.first { $0.compound.code == input.compound }?.territory
                charged = routing.directory.departments.filter { $0.kind == .territorial && $0.territory == town }.map(\.code)
            case "falseClosure":
                points = rules.falseClosurePoints
                guard let issue else { break }
                charged = try await reopen(issue, finding: finding, tenant: tenant, routing: routing, now: now, actor: actor, on: connection)
            default:
                break
            }
            for department in charged where points > 0 {
                let note = kind == "unlisted" ? "抽查发现未列入台账的问题（小区 \(input.compound)）" : "问题 #\(issue ?? 0) 销号后经抽查未整改"
                try await connection.query(
                    """
                    INSERT INTO assessment_deductions (tenant_id, department_code, reason, points, counted_at, finding_id, issue_id, note)
                    VALUES (\(tenant), \(department), \(kind == "unlisted" ? "unlistedProblem" : "falseClosure"), \(points)::float8::numeric, \(now),
                            \(finding), \(issue), \(note))
                    """, logger: logger)
            }
            var details = ["finding": String(finding), "kind": kind, "compound": input.compound, "inspector": input.inspector]
            details["issue"] = issue.map(String.init)
            if !charged.isEmpty { details["charged"] = charged.joined(separator: ","); details["points"] = EscalationNotice.formatPoints(points) }
            try await EventLog.append(
                tenant: tenant, subject: ("spotCheck", String(id)), kind: "spotCheck.finding", actor: actor, at: now, details: details, on: connection,
                logger: logger)
        }
        return try await spotCheck(id, tenant: tenant, routing: routing)
    }

    /// Reopens a falsely closed issue with new tasks for the departments whose tasks were closed;
    /// returns those departments.
    private func reopen(
        _ issueID: Int64, finding: Int64, tenant: String, routing: TenantRouting.Tenant, now: Date, actor: String, on connection: PostgresConnection
    ) async throws -> [String] {
        let logger = database.logger
        let rows = try await connection.query(
            "SELECT state, compound_code, reported_at, list_id FROM issues WHERE issue_id = \(issueID) FOR UPDATE", logger: logger)
        var found: (String, String, Date, Int64?)?
        for try await row in rows.decode((String, String, Date, Int64?).self) { found = row }
        guard let (state, compound, reportedAt, listID) = found, state == "closed" else { return [] }
        let lists = try await connection.query("SELECT max(list_id) FROM tasks WHERE issue_id = \(issueID)", logger: logger)
        var taskList: Int64?
        for try await list in lists.decode(Int64?.self) { taskList = list }
        return try await IssueStore(database: database).reopen(
            issueID, compound: compound, reportedAt: reportedAt, listID: listID ?? taskList ?? 0, why: "抽查发现销号不实，重新派单",
            details: ["reason": "spotCheck", "finding": String(finding)], tenant: tenant, routing: routing, now: now, actor: actor, on: connection)
    }
}
