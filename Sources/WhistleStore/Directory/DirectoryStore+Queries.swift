import Logging
import PostgresNIO

extension DirectoryStore {
    /// The tenant, or `StoreError.tenantNotFound`; read in the tenant's own context, so a
    /// tenant can never read another's row.
    public func tenant(_ code: String) async throws -> DirectoryRecords.TenantRecord {
        try await database.withTenant(code) { connection in
            try await Self.tenant(code, connection: connection, logger: database.logger)
        }
    }

    static func tenant(_ code: String, connection: PostgresConnection, logger: Logger) async throws -> DirectoryRecords.TenantRecord {
        let rows = try await connection.query(
            "SELECT tenant_id, name, kind, parent, time_zone, calendar, source FROM tenants WHERE tenant_id = \(code)", logger: logger)
        for try await (code, name, kind, parent, zone, calendar, source) in rows.decode((String, String, String, String?, String, String, String).self) {
            return .init(code: code, name: name, kind: kind, parent: parent, timeZone: zone, calendar: calendar, source: source)
        }
        throw StoreError.tenantNotFound(code)
    }

    /// Codes of every tenant (system context: used at start-up and by operators).
    public func tenantCodes() async throws -> [String] {
        try await database.withSystemTransaction { connection in
            var codes: [String] = []
            let rows = try await connection.query("SELECT tenant_id FROM tenants ORDER BY tenant_id", logger: database.logger)
            for try await code in rows.decode(String.self) { codes.append(code) }
            return codes
        }
    }

    public func territories(_ tenant: String) async throws -> [DirectoryRecords.TerritoryRecord] {
        try await database.withTenant(tenant) { connection in
            let logger = database.logger
            _ = try await Self.tenant(tenant, connection: connection, logger: logger)
            var communities: [String: [DirectoryRecords.CommunityRecord]] = [:]
            let communityRows = try await connection.query(
                "SELECT territory_code, code, name, sample FROM communities WHERE active ORDER BY code", logger: logger)
            for try await (territory, code, name, sample) in communityRows.decode((String, String, String, Bool).self) {
                communities[territory, default: []].append(.init(code: code, name: name, sample: sample))
            }
            var result: [DirectoryRecords.TerritoryRecord] = []
            let rows = try await connection.query(
                "SELECT code, name, kind, aliases, sample FROM territories WHERE active ORDER BY code", logger: logger)
            for try await (code, name, kind, aliases, sample) in rows.decode((String, String, String, [String], Bool).self) {
                result.append(.init(code: code, name: name, kind: kind, aliases: aliases, sample: sample, communities: communities[code] ?? []))
            }
            return result
        }
    }

    /// Compounds, optionally of one territory or community, or just the one with `code`.
    public func compounds(
        _ tenant: String, territory: String? = nil, community: String? = nil, code: String? = nil
    ) async throws -> [DirectoryRecords.CompoundRecord] {
        try await database.withTenant(tenant) { connection in
            let logger = database.logger
            _ = try await Self.tenant(tenant, connection: connection, logger: logger)
            var buildings: [String: [DirectoryRecords.BuildingRecord]] = [:]
            let buildingRows = try await connection.query(
                """
                SELECT compound_code, code, name, households FROM buildings
                WHERE active AND (\(code)::text IS NULL OR compound_code = \(code))
                ORDER BY compound_code, code
                """, logger: logger)
            for try await (compound, code, name, households) in buildingRows.decode((String, String, String, Int?).self) {
                buildings[compound, default: []].append(.init(code: code, name: name, households: households))
            }
            var result: [DirectoryRecords.CompoundRecord] = []
            let rows = try await connection.query(
                """
                SELECT c.code, c.name, c.address, c.territory_code, c.community_code, p.code, p.name, c.households, c.sample
                FROM compounds c
                LEFT JOIN property_companies p ON p.tenant_id = c.tenant_id AND p.code = c.property_company_code
                WHERE c.active
                  AND (\(territory)::text IS NULL OR c.territory_code = \(territory))
                  AND (\(community)::text IS NULL OR c.community_code = \(community))
                  AND (\(code)::text IS NULL OR c.code = \(code))
                ORDER BY c.code
                """, logger: logger)
            for try await (code, name, address, territory, community, companyCode, companyName, households, sample) in rows.decode(
                (String, String, String?, String, String, String?, String?, Int?, Bool).self)
            {
                let company = companyCode.map { DirectoryRecords.PropertyCompanyRecord(code: $0, name: companyName ?? $0) }
                result.append(
                    .init(
                        code: code, name: name, address: address, territory: territory, community: community, propertyCompany: company,
                        households: households, sample: sample, buildings: buildings[code] ?? []))
            }
            return result
        }
    }

    /// Departments with their people by role, optionally of one kind, or just the one with `code`.
    public func departments(_ tenant: String, kind: String? = nil, code: String? = nil) async throws -> [DirectoryRecords.DepartmentRecord] {
        try await database.withTenant(tenant) { connection in
            let logger = database.logger
            _ = try await Self.tenant(tenant, connection: connection, logger: logger)
            var contacts: [String: [DirectoryRecords.ContactRecord]] = [:]
            let contactRows = try await connection.query(
                """
                SELECT department_code, person_seq, channel, address FROM person_contacts
                WHERE \(code)::text IS NULL OR department_code = \(code)
                ORDER BY department_code, person_seq, seq
                """, logger: logger)
            for try await (department, person, channel, address) in contactRows.decode((String, Int, String, String).self) {
                contacts["\(department)#\(person)", default: []].append(.init(channel: channel, address: address))
            }
            var people: [String: [DirectoryRecords.PersonRecord]] = [:]
            let peopleRows = try await connection.query(
                """
                SELECT department_code, seq, role, title, name FROM department_people
                WHERE \(code)::text IS NULL OR department_code = \(code)
                ORDER BY department_code, seq
                """, logger: logger)
            for try await (department, seq, role, title, name) in peopleRows.decode((String, Int, String, String, String?).self) {
                people[department, default: []].append(
                    .init(role: role, title: title, name: name, contacts: contacts["\(department)#\(seq)"] ?? []))
            }
            var result: [DirectoryRecords.DepartmentRecord] = []
            let rows = try await connection.query(
                """
                SELECT code, name, kind, aliases, territory_code, parent_code, sample FROM departments
                WHERE active AND (\(kind)::text IS NULL OR kind = \(kind)) AND (\(code)::text IS NULL OR code = \(code))
                ORDER BY code
                """, logger: logger)
            for try await (code, name, kind, aliases, territory, parent, sample) in rows.decode(
                (String, String, String, [String], String?, String?, Bool).self)
            {
                result.append(
                    .init(
                        code: code, name: name, kind: kind, aliases: aliases, territory: territory, parent: parent, sample: sample,
                        people: people[code] ?? []))
            }
            return result
        }
    }
}
