import Foundation
import Logging
import PostgresNIO
import WhistleCore

/// Reads ledgers' rows from the database as a stream, in the order a layout groups them, so that
/// an export of any length never holds the ledger in memory.
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

    /// One page of seed 000's 附件2 rows: the issues of the four inspection classes reported in
    /// `[from, to)` (of `territory`'s compounds, or all), grouped by class in the ledger's order,
    /// then by time; pages follow each other by keyset, so a long export holds one page at a time.
    /// - Parameter photoURL: the link of a photo, by its SHA-256.
    public func inspectionPage(
        tenant: String, routing: TenantRouting.Tenant, from: Date, to: Date, territory: String?, after cursor: Cursor?, limit: Int = 500,
        photoURL: @Sendable (String) -> String
    ) async throws -> (rows: [LedgerRow], next: Cursor?) {
        let zone = routing.timeZone
        let ranks = Dictionary(LedgerWriter.inspectionClasses.enumerated().map { ($1.rawValue, $0) }, uniquingKeysWith: { first, _ in first })
        let typed = routing.typeClasses.filter { ranks[$0.value] != nil }.sorted { $0.key < $1.key }
        let types = typed.map(\.key)
        let typeRanks = typed.map { ranks[$0.value] ?? 0 }
        let typeClasses = typed.map(\.value)
        let compounds = routing.directory.compounds.filter { territory == nil || $0.territory == territory }.map(\.compound.code)
        let names = routing.departmentNames
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        func day(_ date: Date) -> String {
            let c = calendar.dateComponents([.year, .month, .day], from: date)
            return "\(c.year!)年\(c.month!)月\(c.day!)日"
        }
        let (afterRank, afterAt, afterIssue) = (cursor?.rank ?? -1, cursor?.reportedAt ?? Date(timeIntervalSince1970: 0), cursor?.issue ?? 0)
        let page = try await database.withTenant(tenant) { connection -> [(LedgerRow, Cursor)] in
            let rows = try await connection.query(
                """
                WITH ranked AS (SELECT * FROM unnest(\(types)::text[], \(typeRanks)::int[], \(typeClasses)::text[]) AS r(type, rank, class))
                SELECT i.issue_id, r.class, i.description, i.reported_at, r.rank,
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
                FROM issues i JOIN ranked r ON r.type = i.issue_type
                WHERE i.state <> 'merged' AND i.reported_at >= \(from) AND i.reported_at < \(to) AND i.compound_code = ANY(\(compounds))
                  AND (r.rank, i.reported_at, i.issue_id) > (\(afterRank), \(afterAt), \(afterIssue))
                ORDER BY r.rank, i.reported_at, i.issue_id
                LIMIT \(limit)
                """, logger: database.logger)
            var page: [(LedgerRow, Cursor)] = []
            for try await r in rows.decode((Int64, String, String, Date, Int, [String], String, Date?, String, [String]).self) {
                var departments: [String] = []
                for code in r.9 where !departments.contains(names[code] ?? code) { departments.append(names[code] ?? code) }
                page.append(
                    (
                        LedgerRow(
                            issue: r.0, problemClass: r.1, description: r.2, reportedAt: day(r.3), photos: r.5, measures: r.6,
                            deadline: r.7.map(day) ?? "", progress: r.8, responsible: departments.joined(separator: "、")),
                        Cursor(rank: r.4, reportedAt: r.3, issue: r.0)
                    ))
            }
            return page
        }
        let rows = page.map { entry in
            var row = entry.0
            row.photos = row.photos.map(photoURL)
            return row
        }
        return (rows, page.count == limit ? page.last?.1 : nil)
    }
}
