import Foundation
import Logging
import PostgresNIO
import WhistleCore

/// Reads ledgers' rows from the database by keyset pages, in the order a layout groups them, so
/// that an export of any length holds one page at a time.
public struct LedgerStore: Sendable {
    public let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Where a page of a ledger ended: the next page starts after it.
    public struct Cursor: Sendable, Hashable {
        var rank: Int
        var reportedAt: Date
        var issue: Int64
    }

    /// What a ledger covers: reports in `[from, to)` of `compounds`.
    public struct Scope: Sendable, Hashable {
        public var from: Date
        public var to: Date
        public var compounds: [String]

        public init(from: Date, to: Date, compounds: [String]) {
            self.from = from
            self.to = to
            self.compounds = compounds
        }
    }

    /// One page of `layout`'s rows: the issues of its classes (000 附件3: those found by visits),
    /// grouped by class in the layout's order, then by report time.
    /// - Parameters:
    ///   - photoURL: the link of a photo, by its SHA-256.
    ///   - unmasked: whether the reader may see owners' names.
    public func page(
        _ layout: LedgerLayout, tenant: String, routing: TenantRouting.Tenant, scope: Scope, after cursor: Cursor?, limit: Int = 500,
        unmasked: Bool = false, photoURL: @escaping @Sendable (String) -> String
    ) async throws -> (rows: [LedgerRow], next: Cursor?) {
        let zone = routing.timeZone
        let ranks = Dictionary(layout.groups.enumerated().map { ($1.rawValue, $0) }, uniquingKeysWith: { first, _ in first })
        let classOf = routing.typeClasses.filter { ranks[$0.value] != nil }
        let names = routing.departmentNames
        let buildings = Dictionary(
            routing.directory.compounds.flatMap { entry in entry.compound.buildings.map { ("\(entry.compound.code)/\($0.code)", $0.name) } },
            uniquingKeysWith: { first, _ in first })
        let day = { (date: Date) in Self.chineseDay(date, in: zone) }
        let visitsOnly = layout.code == LedgerLayout.visits.code
        let page = try await database.withTenant(tenant) { connection -> [(LedgerRow, Cursor)] in
            var page: [(LedgerRow, Cursor)] = []
            // Class by class, each read in report order from the index on (tenant, reported_at):
            // a page reads about its own rows, however long the ledger.
            for rank in max(cursor?.rank ?? 0, 0)..<layout.groups.count where page.count < limit {
                let types = classOf.filter { ranks[$0.value] == rank }.keys.sorted()
                guard !types.isEmpty else { continue }
                let resume = cursor.flatMap { $0.rank == rank ? $0 : nil }
                let (afterAt, afterIssue) = (resume?.reportedAt ?? Date(timeIntervalSince1970: 0), resume?.issue ?? 0)
                let rows = try await connection.query(
                    """
                    SELECT i.issue_id, i.issue_type, i.description, i.reported_at, i.compound_code, coalesce(i.building_code, ''), coalesce(i.household, ''),
                           coalesce(i.reporter->>'name', ''), coalesce(i.channel_details->>'走访人', ''), coalesce(i.satisfaction, ''),
                           coalesce((SELECT array_agg(e.sha256 ORDER BY e.evidence_id) FROM evidence e
                                     WHERE e.tenant_id = i.tenant_id AND e.issue_id = i.issue_id AND e.kind = 'before'), '{}'),
                           coalesce((SELECT string_agg(t.measures, '；' ORDER BY t.task_id) FROM tasks t
                                     WHERE t.issue_id = i.issue_id AND t.measures IS NOT NULL AND t.state <> 'withdrawn'), ''),
                           (SELECT max(t.rectify_due) FROM tasks t WHERE t.issue_id = i.issue_id AND t.state <> 'withdrawn'),
                           CASE
                               WHEN i.state = 'closed' THEN '已销号'
                               WHEN i.state = 'triage' THEN '待分派'
                               WHEN NOT EXISTS (SELECT 1 FROM tasks t WHERE t.issue_id = i.issue_id AND t.state NOT IN ('rectified', 'verified', 'closed', 'withdrawn'))
                                   THEN '已整改待验收'
                               WHEN EXISTS (SELECT 1 FROM tasks t WHERE t.issue_id = i.issue_id AND t.state IN ('acknowledged', 'inProgress', 'rectified', 'verified'))
                                   THEN '整改中'
                               ELSE '待签收'
                           END,
                           coalesce((SELECT array_agg(t.department_code ORDER BY t.task_id) FROM tasks t
                                     WHERE t.issue_id = i.issue_id AND t.state <> 'withdrawn'), '{}')
                    FROM issues i
                    WHERE i.tenant_id = whistle_current_tenant() AND i.issue_type = ANY(\(types)) AND i.state <> 'merged'
                      AND i.reported_at >= \(scope.from) AND i.reported_at < \(scope.to) AND i.compound_code = ANY(\(scope.compounds))
                      AND (NOT \(visitsOnly) OR i.channel = 'visit')
                      AND (i.reported_at, i.issue_id) > (\(afterAt), \(afterIssue))
                    ORDER BY i.reported_at, i.issue_id
                    LIMIT \(limit - page.count)
                    """, logger: database.logger)
                for try await r in rows.decode(
                    (Int64, String, String, Date, String, String, String, String, String, String, [String], String, Date?, String, [String]).self)
                {
                    var departments: [String] = []
                    for code in r.14 where !departments.contains(names[code] ?? code) { departments.append(names[code] ?? code) }
                    let cells: [String]
                    if visitsOnly {
                        let building = r.5.isEmpty ? "" : buildings["\(r.4)/\(r.5)"] ?? r.5
                        let owner = unmasked ? r.7 : (IssueIntake.mask(name: r.7.isEmpty ? nil : r.7) ?? "")
                        let satisfied = r.9 == "dissatisfied" ? "否" : r.9.isEmpty ? "" : "是"
                        cells = [building + r.6, owner, r.2, r.12.map(day) ?? "", r.8.isEmpty ? departments.joined(separator: "、") : r.8, satisfied]
                    } else {
                        cells = [r.2, day(r.3), r.10.map(photoURL).joined(separator: "\n"), r.11, r.12.map(day) ?? "", r.13, departments.joined(separator: "、")]
                    }
                    page.append((LedgerRow(issue: r.0, problemClass: classOf[r.1] ?? "", cells: cells), Cursor(rank: rank, reportedAt: r.3, issue: r.0)))
                }
            }
            return page
        }
        return (page.map(\.0), page.count == limit ? page.last?.1 : nil)
    }

    /// The campaigns a tenant's lists name (seed 003's 攻坚行动: the types' tags), for 003 附件2.
    public static func campaigns(_ routing: TenantRouting.Tenant) -> [String] {
        var seen: [String] = []
        for list in routing.router.catalog.versions {
            for type in list.types { for tag in type.tags where !seen.contains(tag) { seen.append(tag) } }
        }
        return seen
    }

    /// One page of seed 003's 附件2 for `campaign`: the issues of the types tagged with it, by
    /// project (compound, in the directory's order), then by report time.
    public func projectPage(
        campaign: String, tenant: String, routing: TenantRouting.Tenant, scope: Scope, after cursor: Cursor?, limit: Int = 500
    ) async throws -> (rows: [ProjectLedgerWriter.Row], next: Cursor?) {
        try await projectPage(.campaign(campaign), tenant: tenant, routing: routing, scope: scope, after: cursor, limit: limit)
    }

    /// One page of a project ledger in `form`: 003's (the types tagged with its 攻坚行动) or 002's
    /// (every type, each problem with its category: the type's first tag in the newest list).
    public func projectPage(
        _ form: ProjectLedgerWriter.Form, tenant: String, routing: TenantRouting.Tenant, scope: Scope, after cursor: Cursor?, limit: Int = 500
    ) async throws -> (rows: [ProjectLedgerWriter.Row], next: Cursor?) {
        let zone = routing.timeZone
        var types: Set<String> = []
        var categories: [String: String] = [:]
        for list in routing.router.catalog.versions {
            for type in list.types {
                if case .campaign(let campaign) = form, type.tags.contains(campaign) { types.insert(type.code) }
                categories[type.code] = type.tags.first ?? ""
            }
        }
        let filtered: Bool
        if case .campaign = form { filtered = true } else { filtered = false }
        let entries = routing.directory.compounds.filter { scope.compounds.contains($0.compound.code) }
        let codes = entries.map(\.compound.code)
        let ranks = Array(0..<codes.count)
        let companies = Dictionary(routing.directory.propertyCompanies.map { ($0.code, $0.name) }, uniquingKeysWith: { first, _ in first })
        var places: [String: (name: String, company: String, community: String, street: String)] = [:]
        for territory in routing.directory.territories {
            for community in territory.communities {
                for compound in community.compounds {
                    places[compound.code] = (compound.name, compound.propertyCompany.flatMap { companies[$0] } ?? "", community.name, territory.name)
                }
            }
        }
        let names = routing.departmentNames
        let day = { (date: Date) in Self.chineseDay(date, in: zone) }
        let (afterRank, afterAt, afterIssue) = (cursor?.rank ?? -1, cursor?.reportedAt ?? Date(timeIntervalSince1970: 0), cursor?.issue ?? 0)
        let typeList = types.sorted()
        let page = try await database.withTenant(tenant) { connection -> [(ProjectLedgerWriter.Row, Cursor)] in
            let rows = try await connection.query(
                """
                WITH ranked AS (SELECT * FROM unnest(\(codes)::text[], \(ranks)::int[]) AS r(compound, rank))
                SELECT i.issue_id, r.rank, i.compound_code, i.description, i.reported_at, coalesce(i.issue_type, ''),
                       coalesce((SELECT string_agg(t.measures, '；' ORDER BY t.task_id) FROM tasks t
                                 WHERE t.issue_id = i.issue_id AND t.measures IS NOT NULL AND t.state <> 'withdrawn'), ''),
                       (SELECT max(t.rectify_due) FROM tasks t WHERE t.issue_id = i.issue_id AND t.state <> 'withdrawn'),
                       CASE WHEN i.state = 'closed' THEN '已完成'
                            WHEN i.state = 'triage' THEN '待分派'
                            WHEN NOT EXISTS (SELECT 1 FROM tasks t WHERE t.issue_id = i.issue_id AND t.state NOT IN ('rectified', 'verified', 'closed', 'withdrawn'))
                                THEN '已整改待验收'
                            ELSE '整治中' END,
                       coalesce((SELECT array_agg(t.department_code ORDER BY t.task_id) FROM tasks t
                                 WHERE t.issue_id = i.issue_id AND t.state <> 'withdrawn'), '{}')
                FROM issues i JOIN ranked r ON r.compound = i.compound_code
                WHERE i.state <> 'merged' AND (NOT \(filtered) OR i.issue_type = ANY(\(typeList))) AND i.reported_at >= \(scope.from) AND i.reported_at < \(scope.to)
                  AND (r.rank, i.reported_at, i.issue_id) > (\(afterRank), \(afterAt), \(afterIssue))
                ORDER BY r.rank, i.reported_at, i.issue_id
                LIMIT \(limit)
                """, logger: database.logger)
            var page: [(ProjectLedgerWriter.Row, Cursor)] = []
            for try await r in rows.decode((Int64, Int, String, String, Date, String, String, Date?, String, [String]).self) {
                var departments: [String] = []
                for code in r.9 where !departments.contains(names[code] ?? code) { departments.append(names[code] ?? code) }
                let place = places[r.2]
                var row = ProjectLedgerWriter.Row(
                    project: r.2, projectName: place?.name ?? r.2, company: place?.company ?? "", standard: "", problem: r.3, measures: r.6,
                    deadline: r.7.map(day) ?? "", responsible: departments.joined(separator: "、"), progress: r.8,
                    community: place?.community ?? "", street: place?.street ?? "", note: r.5.isEmpty ? "待分派" : "")
                row.category = categories[r.5] ?? ""
                page.append((row, Cursor(rank: r.1, reportedAt: r.4, issue: r.0)))
            }
            return page
        }
        return (page.map(\.0), page.count == limit ? page.last?.1 : nil)
    }

    /// 2026年3月1日, as the ledgers write dates.
    public static func chineseDay(_ date: Date, in zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return "\(c.year!)年\(c.month!)月\(c.day!)日"
    }
}
