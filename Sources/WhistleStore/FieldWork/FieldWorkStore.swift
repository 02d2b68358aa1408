import Foundation
import Logging
import PostgresNIO
import WhistleCore

/// Why a field-work request was refused.
public enum FieldWorkError: Error, Sendable, Equatable {
    case notFound(String)
    case invalid([IssueIntake.FieldProblem])
}

/// A recorded visit of one household.
public struct VisitRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var compound: String
    public var building: String
    public var household: String
    public var visitor: String
    public var visitedAt: String
    /// nothingToReport · problems
    public var result: String
    public var issues: [Int64]
    public var platformRegistered: Bool?
    public var note: String?
}

/// Visited ÷ households of a compound, a community or a town.
public struct CoverageRow: Sendable, Hashable, Codable {
    public var code: String
    public var name: String
    /// compound · community · town (the directory's territory kinds are kept as `territory`)
    public var level: String
    /// Households of the directory (nil when a compound gives no count).
    public var households: Int?
    public var visited: Int
    /// visited ÷ households, 0…1; nil without a household count.
    public var coverage: Double?
    public var registered: Int
    /// registered ÷ households (智慧物业平台注册率).
    public var registration: Double?
}

/// What a visit to a household found, as the visitor reports it.
public struct VisitInput: Sendable, Hashable {
    public struct Problem: Sendable, Hashable {
        public var type: String?
        public var description: String
        public var body: [UInt8]

        public init(type: String?, description: String, body: [UInt8]) {
            self.type = type
            self.description = description
            self.body = body
        }
    }

    public var compound: String
    public var building: String
    public var household: String
    public var visitor: String
    public var visitedAt: Date
    public var problems: [Problem]
    public var ownerName: String?
    public var ownerPhone: String?
    public var platformRegistered: Bool?
    public var note: String?

    public init(
        compound: String, building: String, household: String, visitor: String, visitedAt: Date, problems: [Problem] = [], ownerName: String? = nil,
        ownerPhone: String? = nil, platformRegistered: Bool? = nil, note: String? = nil
    ) {
        self.compound = compound
        self.building = building
        self.household = household
        self.visitor = visitor
        self.visitedAt = visitedAt
        self.problems = problems
        self.ownerName = ownerName
        self.ownerPhone = ownerPhone
        self.platformRegistered = platformRegistered
        self.note = note
    }
}

/// Door-to-door visits (不落一户、户户见面) and their coverage; spot checks live in
/// `FieldWorkStore+SpotChecks.swift`.
public struct FieldWorkStore: Sendable {
    public let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Records a visit. Each problem found becomes an issue through the visit channel (routed and
    /// dispatched as any report); with `idempotencyKey`, a retry returns the same visit and issues.
    public func recordVisit(
        _ visit: VisitInput, idempotencyKey: String?, tenant: String, routing: TenantRouting.Tenant, now: Date, actor: String, reportedBy: Int64?
    ) async throws -> (visit: VisitRecord, created: Bool) {
        var problems: [IssueIntake.FieldProblem] = []
        guard let compound = routing.directory.compounds.first(where: { $0.compound.code == visit.compound })?.compound else {
            throw FieldWorkError.invalid([.init(field: "compound", reason: "没有代码为 '\(visit.compound)' 的小区")])
        }
        if !compound.buildings.isEmpty, !compound.buildings.contains(where: { $0.code == visit.building }) {
            problems.append(.init(field: "building", reason: "小区“\(compound.name)”没有楼栋 '\(visit.building)'；楼栋：\(compound.buildings.map(\.code).joined(separator: ", "))"))
        }
        if visit.household.trimmingCharacters(in: .whitespaces).isEmpty { problems.append(.init(field: "household", reason: "须填写户号")) }
        if let building = compound.buildings.first(where: { $0.code == visit.building }), !building.units.isEmpty,
            !building.units.contains(visit.household)
        {
            problems.append(.init(field: "household", reason: "\(building.name)没有户号 '\(visit.household)'"))
        }
        if visit.visitor.trimmingCharacters(in: .whitespaces).isEmpty { problems.append(.init(field: "visitor", reason: "须填写走访人")) }
        if visit.visitedAt > now.addingTimeInterval(300) { problems.append(.init(field: "visitedAt", reason: "走访时间不能晚于当前时间")) }
        guard problems.isEmpty else { throw FieldWorkError.invalid(problems) }
        let logger = database.logger
        if let key = idempotencyKey, let known = try await database.withTenant(tenant, { connection in
            try await Self.visit(key: key, zone: routing.timeZone, on: connection, logger: logger)
        }) {
            return (known, false)
        }
        // The issues first (each its own intake, idempotent on a key derived from the visit's),
        // then the visit naming them: a retry after a failure in between finds the same issues.
        let base = idempotencyKey ?? UUID().uuidString
        var issues: [Int64] = []
        let store = IssueStore(database: database)
        for (n, problem) in visit.problems.enumerated() {
            let intake = IssueIntake(
                channel: .visit, compound: visit.compound, building: visit.building, household: visit.household, type: problem.type,
                description: problem.description, reportedAt: visit.visitedAt, reporter: .init(name: visit.ownerName, phone: visit.ownerPhone),
                channelDetails: ["走访人": visit.visitor, "楼号户号": "\(visit.building)-\(visit.household)"])
            do {
                let (issue, _) = try await store.intake(
                    intake, tenant: tenant, routing: routing, idempotency: .init(key: "\(base)#problem-\(n)", body: problem.body), now: now, actor: actor,
                    reportedBy: reportedBy)
                issues.append(issue.id)
            } catch IssueError.invalid(let fields) {
                throw FieldWorkError.invalid(fields.map { .init(field: "problems[\(n)].\($0.field)", reason: $0.reason) })
            }
        }
        let record = try await database.withTenant(tenant) { connection -> VisitRecord? in
            let rows = try await connection.query(
                """
                INSERT INTO visits (tenant_id, compound_code, building, household, visitor, visited_at, result, issues, platform_registered, note,
                                    idempotency_key, recorded_by, recorded_at)
                VALUES (\(tenant), \(visit.compound), \(visit.building), \(visit.household), \(visit.visitor), \(visit.visitedAt),
                        \(issues.isEmpty ? "nothingToReport" : "problems"), \(issues), \(visit.platformRegistered), \(visit.note), \(idempotencyKey),
                        \(actor), \(now))
                ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
                RETURNING visit_id
                """, logger: logger)
            var id: Int64?
            for try await value in rows.decode(Int64.self) { id = value }
            guard let id else { return nil }
            try await EventLog.append(
                tenant: tenant, subject: ("compound", visit.compound), kind: "compound.visited", actor: actor, at: now,
                details: [
                    "visit": String(id), "building": visit.building, "household": visit.household, "visitor": visit.visitor,
                    "issues": issues.map(String.init).joined(separator: ","),
                ], on: connection, logger: logger)
            return try await Self.visit(id: id, zone: routing.timeZone, on: connection, logger: logger)
        }
        if let record { return (record, true) }
        // A concurrent retry with the same key won: its visit is the answer.
        guard let key = idempotencyKey,
            let known = try await database.withTenant(tenant, { connection in try await Self.visit(key: key, zone: routing.timeZone, on: connection, logger: logger) })
        else { throw FieldWorkError.notFound("visit") }
        return (known, false)
    }

    static let visitColumns = "visit_id, compound_code, building, household, visitor, visited_at, result, issues, platform_registered, note"

    static func visits(_ rows: PostgresRowSequence, zone: TimeZone) async throws -> [VisitRecord] {
        var result: [VisitRecord] = []
        for try await r in rows.decode((Int64, String, String, String, String, Date, String, [Int64], Bool?, String?).self) {
            result.append(
                VisitRecord(
                    id: r.0, compound: r.1, building: r.2, household: r.3, visitor: r.4, visitedAt: ISOMoment.format(r.5, in: zone), result: r.6,
                    issues: r.7, platformRegistered: r.8, note: r.9))
        }
        return result
    }

    static func visit(key: String, zone: TimeZone, on connection: PostgresConnection, logger: Logger) async throws -> VisitRecord? {
        try await visits(
            try await connection.query("SELECT \(unescaped: visitColumns) FROM visits WHERE idempotency_key = \(key)", logger: logger), zone: zone).first
    }

    static func visit(id: Int64, zone: TimeZone, on connection: PostgresConnection, logger: Logger) async throws -> VisitRecord? {
        try await visits(try await connection.query("SELECT \(unescaped: visitColumns) FROM visits WHERE visit_id = \(id)", logger: logger), zone: zone).first
    }

    /// Per compound, community and town: households, visited (distinct households with a visit in
    /// `[from, to)`), and registered on the platform (the latest answer of each household's visits).
    public func coverage(tenant: String, routing: TenantRouting.Tenant, from: Date?, to: Date?, territory: String? = nil) async throws -> [CoverageRow] {
        let counts = try await database.withTenant(tenant) { connection -> [String: (visited: Int, registered: Int)] in
            let rows = try await connection.query(
                """
                SELECT compound_code, count(*)::int, count(*) FILTER (WHERE registered)::int FROM (
                    SELECT DISTINCT ON (compound_code, building, household) compound_code,
                           coalesce(platform_registered, false) AS registered
                    FROM visits
                    WHERE (\(from)::timestamptz IS NULL OR visited_at >= \(from)) AND (\(to)::timestamptz IS NULL OR visited_at < \(to))
                    ORDER BY compound_code, building, household, (platform_registered IS NULL), visited_at DESC
                ) households
                GROUP BY compound_code
                """, logger: database.logger)
            var counts: [String: (Int, Int)] = [:]
            for try await (code, visited, registered) in rows.decode((String, Int, Int).self) { counts[code] = (visited, registered) }
            return counts
        }
        func ratio(_ part: Int, _ whole: Int?) -> Double? {
            guard let whole, whole > 0 else { return nil }
            return (Double(part) / Double(whole) * 10_000).rounded() / 10_000
        }
        var rows: [CoverageRow] = []
        for town in routing.directory.territories where territory == nil || town.code == territory {
            var townHouseholds: Int? = 0
            var townVisited = 0
            var townRegistered = 0
            for community in town.communities {
                var communityHouseholds: Int? = 0
                var communityVisited = 0
                var communityRegistered = 0
                for compound in community.compounds {
                    let households = Self.households(of: compound)
                    let (visited, registered) = counts[compound.code] ?? (0, 0)
                    rows.append(
                        CoverageRow(
                            code: compound.code, name: compound.name, level: "compound", households: households, visited: visited,
                            coverage: ratio(visited, households), registered: registered, registration: ratio(registered, households)))
                    communityHouseholds = communityHouseholds.flatMap { sum in households.map { sum + $0 } }
                    communityVisited += visited
                    communityRegistered += registered
                }
                rows.append(
                    CoverageRow(
                        code: community.code, name: community.name, level: "community", households: communityHouseholds, visited: communityVisited,
                        coverage: ratio(communityVisited, communityHouseholds), registered: communityRegistered,
                        registration: ratio(communityRegistered, communityHouseholds)))
                townHouseholds = townHouseholds.flatMap { sum in communityHouseholds.map { sum + $0 } }
                townVisited += communityVisited
                townRegistered += communityRegistered
            }
            rows.append(
                CoverageRow(
                    code: town.code, name: town.name, level: "town", households: townHouseholds, visited: townVisited,
                    coverage: ratio(townVisited, townHouseholds), registered: townRegistered, registration: ratio(townRegistered, townHouseholds)))
        }
        return rows
    }

    /// A compound's households: its own count, else the sum of its buildings' (nil when unknown).
    static func households(of compound: Compound) -> Int? {
        if let count = compound.households { return count }
        let counts = compound.buildings.map(\.households)
        guard !counts.isEmpty, counts.allSatisfy({ $0 != nil }) else { return nil }
        return counts.compactMap { $0 }.reduce(0, +)
    }

    /// Per building of a compound: households, those visited in the period, how many are left.
    public struct BuildingCoverage: Sendable, Hashable, Codable {
        public var building: String
        public var name: String
        public var households: Int?
        public var visited: [String]
        public var notVisited: Int?
        /// The households not yet visited by number, where the directory lists them (`units`).
        public var notVisitedUnits: [String]?
    }

    public func buildings(_ code: String, tenant: String, routing: TenantRouting.Tenant, from: Date?, to: Date?) async throws -> [BuildingCoverage] {
        guard let compound = routing.directory.compounds.first(where: { $0.compound.code == code })?.compound else {
            throw FieldWorkError.notFound("compound \(code)")
        }
        let visited = try await database.withTenant(tenant) { connection -> [String: [String]] in
            let rows = try await connection.query(
                """
                SELECT building, array_agg(DISTINCT household ORDER BY household) FROM visits
                WHERE compound_code = \(code) AND (\(from)::timestamptz IS NULL OR visited_at >= \(from)) AND (\(to)::timestamptz IS NULL OR visited_at < \(to))
                GROUP BY building
                """, logger: database.logger)
            var result: [String: [String]] = [:]
            for try await (building, households) in rows.decode((String, [String]).self) { result[building] = households }
            return result
        }
        var result = compound.buildings.map { building in
            let done = visited[building.code] ?? []
            let known = Set(building.units)
            let listed = done.filter(known.contains).count
            return BuildingCoverage(
                building: building.code, name: building.name, households: building.households, visited: done,
                notVisited: building.households.map { max(0, $0 - (known.isEmpty ? done.count : listed)) },
                notVisitedUnits: known.isEmpty ? nil : building.units.filter { !done.contains($0) })
        }
        // Visits of buildings the directory does not list (a compound without buildings).
        for (building, done) in visited.sorted(by: { $0.key < $1.key }) where !compound.buildings.contains(where: { $0.code == building }) {
            result.append(BuildingCoverage(building: building, name: building, households: nil, visited: done, notVisited: nil, notVisitedUnits: nil))
        }
        return result
    }
}
