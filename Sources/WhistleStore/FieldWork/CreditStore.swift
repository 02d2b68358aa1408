import Foundation
import Logging
import PostgresNIO
import WhistleCore

/// A property company's credit as it stands, with the items behind it and its grade history.
public struct CompanyCredit: Sendable, Hashable, Codable {
    public struct Change: Sendable, Hashable, Codable {
        public var at: String
        public var grade: String
        public var stars: Int
        public var score: Double
    }

    public var company: String
    public var name: String
    public var compounds: [String]
    public var score: Double
    public var grade: String
    public var stars: Int
    public var items: [CreditItem]
    public var history: [Change]
}

/// A compound on the priority rectification list (重点整治清单).
public struct PriorityCompound: Sendable, Hashable, Codable {
    public var compound: String
    public var name: String
    public var company: String?
    public var companyName: String?
    public var reasons: [String]
    public var enteredAt: String
}

/// Property companies' credit (003's grades, 002's stars) and the priority rectification list,
/// recomputed from the issues whenever they are read: a change of grade or of the list is
/// recorded once, with an event that names the issues that caused it.
public struct CreditStore: Sendable {
    public let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Every company's credit, after recording any change since the last reading.
    public func companies(tenant: String, routing: TenantRouting.Tenant, now: Date) async throws -> [CompanyCredit] {
        try await refresh(tenant: tenant, routing: routing, now: now).companies
    }

    public func priorityList(tenant: String, routing: TenantRouting.Tenant, now: Date) async throws -> [PriorityCompound] {
        try await refresh(tenant: tenant, routing: routing, now: now).priority
    }

    /// Recomputes scores and the list, records what changed, and answers both.
    public func refresh(tenant: String, routing: TenantRouting.Tenant, now: Date) async throws -> (companies: [CompanyCredit], priority: [PriorityCompound]) {
        let logger = database.logger
        let directory = routing.directory
        var rules = routing.assessment
        // Types the lists mark count against the company beside those assessment.yaml names.
        rules.credit.countedTypes += routing.companyTypes.sorted()
        let zone = routing.timeZone
        let compounds = directory.compounds.map { (code: $0.compound.code, company: $0.compound.propertyCompany) }
        let compoundNames = Dictionary(directory.compounds.map { ($0.compound.code, $0.compound.name) }, uniquingKeysWith: { first, _ in first })
        let companyNames = Dictionary(directory.propertyCompanies.map { ($0.code, $0.name) }, uniquingKeysWith: { first, _ in first })
        return try await database.withTenant(tenant) { connection in
            // One refresh at a time per tenant, so a change is recorded once.
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext('whistle.credit:' || \(tenant)))", logger: logger)
            let since = now.addingTimeInterval(-Double(rules.credit.windowDays) * 86_400)
            let rows = try await connection.query(
                """
                SELECT i.issue_id, i.compound_code, i.issue_type, i.reported_at,
                       EXISTS (SELECT 1 FROM tasks t WHERE t.issue_id = i.issue_id AND t.state <> 'withdrawn' AND t.rectify_due IS NOT NULL
                                 AND coalesce(t.rectified_at, \(now)) > t.rectify_due),
                       coalesce(i.satisfaction = 'dissatisfied', false),
                       EXISTS (SELECT 1 FROM escalations e WHERE e.issue_id = i.issue_id
                                 AND e.action IN ('supervisionOrder', 'talk', 'publicNotice', 'accountability'))
                FROM issues i
                WHERE i.state <> 'merged' AND i.reported_at > \(since) AND i.reported_at <= \(now)
                """, logger: logger)
            var facts: [CreditFact] = []
            for try await r in rows.decode((Int64, String, String?, Date, Bool, Bool, Bool).self) {
                facts.append(
                    CreditFact(
                        issue: r.0, compound: r.1, type: r.2, issueClass: r.2.flatMap { routing.typeClasses[$0] }, reportedAt: r.3, late: r.4,
                        dissatisfied: r.5, conflict: r.5 || r.6))
            }
            var last: [String: (grade: String, stars: Int, items: [CreditItem])] = [:]
            var history: [String: [CompanyCredit.Change]] = [:]
            let graded = try await connection.query(
                "SELECT company_code, changed_at, grade, stars, score::float8, items::text FROM company_grades ORDER BY company_code, changed_at",
                logger: logger)
            for try await r in graded.decode((String, Date, String, Int, Double, String).self) {
                last[r.0] = (r.2, r.3, (try? JSONDecoder().decode([CreditItem].self, from: Data(r.5.utf8))) ?? [])
                history[r.0, default: []].append(.init(at: ISOMoment.format(r.1, in: zone), grade: r.2, stars: r.3, score: r.4))
            }
            var companies: [CompanyCredit] = []
            var stars: [String: Int] = [:]
            for company in directory.propertyCompanies {
                let theirs = Set(compounds.filter { $0.company == company.code }.map(\.code))
                let assessment = CreditAssessment.assess(
                    company: company.code, facts: facts.filter { theirs.contains($0.compound) }, rules: rules.credit, now: now)
                stars[company.code] = assessment.stars
                let before = last[company.code]
                if before == nil || before?.grade != assessment.grade || before?.stars != assessment.stars {
                    let items = String(decoding: try JSONEncoder.sorted.encode(assessment.items), as: UTF8.self)
                    try await connection.query(
                        """
                        INSERT INTO company_grades (tenant_id, company_code, changed_at, score, grade, stars, items)
                        VALUES (\(tenant), \(company.code), \(now), \(assessment.score)::float8::numeric, \(assessment.grade), \(assessment.stars), \(items)::jsonb)
                        ON CONFLICT DO NOTHING
                        """, logger: logger)
                    let (added, dropped) = assessment.explanation(since: before?.items ?? [])
                    var because = added.map(\.chinese)
                    because += dropped.map { "\($0.chinese)（已超出 \(rules.credit.windowDays) 天评价期）" }
                    var details = [
                        "to": assessment.grade, "stars": String(assessment.stars), "score": EscalationNotice.formatPoints(assessment.score),
                        "because": because.isEmpty ? "首次评价" : because.joined(separator: "；"),
                        "issues": Set(added.map(\.issue) + dropped.map(\.issue)).sorted().map(String.init).joined(separator: ","),
                    ]
                    details["from"] = before?.grade
                    details["fromStars"] = before.map { String($0.stars) }
                    try await EventLog.append(
                        tenant: tenant, subject: ("company", company.code), kind: before == nil ? "company.graded" : "company.gradeChanged", actor: "whistle",
                        at: now, details: details, on: connection, logger: logger)
                    history[company.code, default: []].append(
                        .init(at: ISOMoment.format(now, in: zone), grade: assessment.grade, stars: assessment.stars, score: assessment.score))
                }
                companies.append(
                    CompanyCredit(
                        company: company.code, name: company.name, compounds: theirs.sorted(), score: assessment.score, grade: assessment.grade,
                        stars: assessment.stars, items: assessment.items, history: history[company.code] ?? []))
            }

            let entries = PriorityList.entries(compounds: compounds, facts: facts, stars: stars, rules: rules, now: now)
            let open = try await connection.query(
                "SELECT compound_code, entered_at, reasons FROM priority_compounds WHERE left_at IS NULL", logger: logger)
            var listed: [String: (Date, [String])] = [:]
            for try await (code, entered, reasons) in open.decode((String, Date, [String]).self) { listed[code] = (entered, reasons) }
            var priority: [PriorityCompound] = []
            for entry in entries {
                var entered = listed[entry.compound]?.0
                if entered == nil {
                    entered = now
                    try await connection.query(
                        "INSERT INTO priority_compounds (tenant_id, compound_code, entered_at, reasons) VALUES (\(tenant), \(entry.compound), \(now), \(entry.reasons))",
                        logger: logger)
                    try await EventLog.append(
                        tenant: tenant, subject: ("compound", entry.compound), kind: "compound.priorityEntered", actor: "whistle", at: now,
                        details: ["reasons": entry.reasons.joined(separator: "；"), "company": entry.company ?? ""], on: connection, logger: logger)
                } else if listed[entry.compound]?.1 != entry.reasons {
                    try await connection.query(
                        "UPDATE priority_compounds SET reasons = \(entry.reasons) WHERE compound_code = \(entry.compound) AND left_at IS NULL", logger: logger)
                }
                priority.append(
                    PriorityCompound(
                        compound: entry.compound, name: compoundNames[entry.compound] ?? entry.compound, company: entry.company,
                        companyName: entry.company.flatMap { companyNames[$0] }, reasons: entry.reasons, enteredAt: ISOMoment.format(entered!, in: zone)))
            }
            for code in listed.keys.sorted() where !entries.contains(where: { $0.compound == code }) {
                try await connection.query(
                    "UPDATE priority_compounds SET left_at = \(now) WHERE compound_code = \(code) AND left_at IS NULL", logger: logger)
                try await EventLog.append(
                    tenant: tenant, subject: ("compound", code), kind: "compound.priorityLeft", actor: "whistle", at: now,
                    details: ["reasons": listed[code]?.1.joined(separator: "；") ?? "", "message": "不再符合重点整治条件"], on: connection, logger: logger)
            }
            return (companies, priority)
        }
    }
}
