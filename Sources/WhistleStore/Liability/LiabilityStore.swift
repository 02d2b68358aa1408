import Foundation
import Logging
import PostgresNIO
import WhistleCore

/// Keeps every text of every liability-list version the daemon has loaded.
public struct LiabilityStore: Sendable {
    public let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// What loading did to one version.
    public struct LoadResult: Sendable, Hashable {
        public enum Outcome: String, Sendable, Hashable {
            /// First load of this version.
            case new
            /// The same text as already loaded: nothing written.
            case unchanged
            /// The file of an already loaded version was edited: its new text is kept beside the old.
            case changedInPlace
        }

        public var tenant: String
        public var version: String
        /// The row tasks routed by this text refer to.
        public var listID: Int64
        public var outcome: Outcome
    }

    /// Stores the list versions of `tenants` in one transaction (the directories must be loaded).
    @discardableResult
    public func load(_ tenants: [ConfigDirectory.TenantFiles]) async throws -> [LoadResult] {
        try await database.withSystemTransaction { connection in
            var results: [LoadResult] = []
            for files in tenants {
                let tenant = files.directory.tenant.code
                for list in files.lists.versions {
                    guard let file = files.listTexts[list.version] else { continue }
                    let checksum = sha256Hex(Data(file.text.utf8))
                    let inserted = try await connection.query(
                        """
                        INSERT INTO liability_lists (tenant_id, version, checksum, effective, until, title, source, document, types)
                        VALUES (\(tenant), \(list.version), \(checksum), \(list.effective.description)::date,
                                \(list.until?.description)::date, \(list.title), \(list.source), \(file.text), \(Self.summary(list))::jsonb)
                        ON CONFLICT (tenant_id, version, checksum) DO NOTHING
                        RETURNING list_id, (SELECT count(*) FROM liability_lists o WHERE o.tenant_id = \(tenant) AND o.version = \(list.version))
                        """, logger: database.logger)
                    var row: (Int64, Int64)?
                    for try await value in inserted.decode((Int64, Int64).self) { row = value }
                    if let (id, earlier) = row {
                        results.append(LoadResult(tenant: tenant, version: list.version, listID: id, outcome: earlier > 0 ? .changedInPlace : .new))
                        continue
                    }
                    let existing = try await connection.query(
                        "SELECT list_id FROM liability_lists WHERE tenant_id = \(tenant) AND version = \(list.version) AND checksum = \(checksum)",
                        logger: database.logger)
                    for try await id in existing.decode(Int64.self) {
                        results.append(LoadResult(tenant: tenant, version: list.version, listID: id, outcome: .unchanged))
                    }
                }
            }
            return results
        }
    }

    /// A loaded text of a version, as the API shows its history.
    public struct StoredList: Sendable, Hashable, Codable {
        public var listID: Int64
        public var version: String
        public var checksum: String
        public var effective: String
        public var until: String?
        public var title: String
        public var loadedAt: Date
    }

    /// Every text of every version of `tenant`, newest load first.
    public func history(_ tenant: String) async throws -> [StoredList] {
        try await database.withTenant(tenant) { connection in
            let rows = try await connection.query(
                """
                SELECT list_id, version, checksum, effective::text, until::text, title, loaded_at
                FROM liability_lists ORDER BY list_id DESC
                """, logger: database.logger)
            var result: [StoredList] = []
            for try await (id, version, checksum, effective, until, title, loadedAt) in rows.decode(
                (Int64, String, String, String, String?, String, Date).self)
            {
                result.append(StoredList(listID: id, version: version, checksum: checksum, effective: effective, until: until, title: title, loadedAt: loadedAt))
            }
            return result
        }
    }

    /// The entries of a version in JSON: what the API and the ledgers need without the YAML.
    static func summary(_ list: LiabilityList) -> String {
        struct Entry: Encodable {
            var code: String
            var name: String
            var `class`: String
            var tags: [String]
            var lead: [String]
            var responsible: [String]
            var supporting: [String]
            var acknowledgeHours: Int?
            var rectifyWorkingDays: Int?
        }
        func targets(_ type: IssueType, _ column: Assignment.Column) -> [String] {
            type.assignments.filter { $0.column == column }.map {
                switch $0.target {
                case .department(let code): return code
                case .territorial: return "@territorial"
                }
            }
        }
        let entries = list.types.map {
            Entry(
                code: $0.code, name: $0.name, class: $0.problemClass.rawValue, tags: $0.tags, lead: targets($0, .lead),
                responsible: targets($0, .responsible), supporting: targets($0, .supporting),
                acknowledgeHours: $0.limits.acknowledgeHours, rectifyWorkingDays: $0.limits.rectifyWorkingDays)
        }
        let data = (try? JSONEncoder().encode(entries)) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
