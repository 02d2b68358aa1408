import Foundation
import Logging
import PostgresNIO
import WhistleCore

/// Writes tenants' directories from configuration and reads them back for the API.
public struct DirectoryStore: Sendable {
    public let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// What a load did per tenant.
    public struct LoadResult: Sendable, Hashable {
        public var tenant: String
        /// False when the configuration was the same as the last load and nothing was written.
        public var changed: Bool
    }

    /// Loads every tenant in one transaction: all of them or none.
    ///
    /// A tenant whose files have the same checksum as at its last load is left untouched, so
    /// loading at every start is idempotent and writes nothing when nothing changed.
    @discardableResult
    public func load(_ tenants: [ConfigDirectory.TenantFiles]) async throws -> [LoadResult] {
        try await database.withSystemTransaction { connection in
            var results: [LoadResult] = []
            for files in tenants {
                let checksum = sha256Hex(Data(files.directoryText.utf8))
                let code = files.directory.tenant.code
                let last = try await connection.query(
                    "SELECT checksum FROM config_loads WHERE tenant_id = \(code) ORDER BY load_id DESC LIMIT 1", logger: database.logger)
                var lastChecksum: String?
                for try await value in last.decode(String.self) { lastChecksum = value }
                if lastChecksum == checksum {
                    results.append(LoadResult(tenant: code, changed: false))
                    continue
                }
                try await write(files.directory, connection: connection)
                let summary =
                    "{\"territories\": \(files.directory.territories.count), \"compounds\": \(files.directory.compounds.count), \"departments\": \(files.directory.departments.count)}"
                try await connection.query(
                    """
                    INSERT INTO config_loads (tenant_id, checksum, files, summary)
                    VALUES (\(code), \(checksum), \([files.directoryFile]), \(summary)::jsonb)
                    """, logger: database.logger)
                results.append(LoadResult(tenant: code, changed: true))
            }
            return results
        }
    }

    private func write(_ directory: Directory, connection: PostgresConnection) async throws {
        let logger = database.logger
        let t = directory.tenant
        try await connection.query(
            """
            INSERT INTO tenants (tenant_id, name, kind, parent, time_zone, calendar, source)
            VALUES (\(t.code), \(t.name), \(t.kind.rawValue), \(t.parent), \(t.timeZone), \(t.calendar), \(t.source))
            ON CONFLICT (tenant_id) DO UPDATE SET name = excluded.name, kind = excluded.kind, parent = excluded.parent,
                time_zone = excluded.time_zone, calendar = excluded.calendar, source = excluded.source, updated_at = now()
            """, logger: logger)
        // Entries that left the configuration stay (tasks refer to them) but become inactive.
        for table in ["territories", "communities", "property_companies", "compounds", "buildings", "departments"] {
            try await connection.query(
                PostgresQuery(unsafeSQL: "UPDATE \(table) SET active = false WHERE tenant_id = $1 AND active", binds: binds(t.code)), logger: logger)
        }
        try await connection.query("DELETE FROM department_people WHERE tenant_id = \(t.code)", logger: logger)

        for company in directory.propertyCompanies {
            try await connection.query(
                """
                INSERT INTO property_companies (tenant_id, code, name, aliases, sample, active)
                VALUES (\(t.code), \(company.code), \(company.name), \(company.aliases), \(company.sample), true)
                ON CONFLICT (tenant_id, code) DO UPDATE SET name = excluded.name, aliases = excluded.aliases,
                    sample = excluded.sample, active = true
                """, logger: logger)
        }
        for territory in directory.territories {
            try await connection.query(
                """
                INSERT INTO territories (tenant_id, code, name, kind, aliases, sample, active)
                VALUES (\(t.code), \(territory.code), \(territory.name), \(territory.kind.rawValue), \(territory.aliases), \(territory.sample), true)
                ON CONFLICT (tenant_id, code) DO UPDATE SET name = excluded.name, kind = excluded.kind, aliases = excluded.aliases,
                    sample = excluded.sample, active = true
                """, logger: logger)
            for community in territory.communities {
                try await connection.query(
                    """
                    INSERT INTO communities (tenant_id, code, territory_code, name, sample, active)
                    VALUES (\(t.code), \(community.code), \(territory.code), \(community.name), \(community.sample), true)
                    ON CONFLICT (tenant_id, code) DO UPDATE SET territory_code = excluded.territory_code, name = excluded.name,
                        sample = excluded.sample, active = true
                    """, logger: logger)
                for compound in community.compounds {
                    try await connection.query(
                        """
                        INSERT INTO compounds (tenant_id, code, community_code, territory_code, name, address, property_company_code,
                            households, sample, active)
                        VALUES (\(t.code), \(compound.code), \(community.code), \(territory.code), \(compound.name), \(compound.address),
                            \(compound.propertyCompany), \(compound.households), \(compound.sample), true)
                        ON CONFLICT (tenant_id, code) DO UPDATE SET community_code = excluded.community_code,
                            territory_code = excluded.territory_code, name = excluded.name, address = excluded.address,
                            property_company_code = excluded.property_company_code, households = excluded.households,
                            sample = excluded.sample, active = true
                        """, logger: logger)
                    for building in compound.buildings {
                        try await connection.query(
                            """
                            INSERT INTO buildings (tenant_id, compound_code, code, name, households, active)
                            VALUES (\(t.code), \(compound.code), \(building.code), \(building.name), \(building.households), true)
                            ON CONFLICT (tenant_id, compound_code, code) DO UPDATE SET name = excluded.name,
                                households = excluded.households, active = true
                            """, logger: logger)
                    }
                }
            }
        }
        for department in directory.departments {
            try await connection.query(
                """
                INSERT INTO departments (tenant_id, code, name, kind, aliases, territory_code, parent_code, sample, active)
                VALUES (\(t.code), \(department.code), \(department.name), \(department.kind.rawValue), \(department.aliases),
                    \(department.territory), \(department.parent), \(department.sample), true)
                ON CONFLICT (tenant_id, code) DO UPDATE SET name = excluded.name, kind = excluded.kind, aliases = excluded.aliases,
                    territory_code = excluded.territory_code, parent_code = excluded.parent_code, sample = excluded.sample, active = true
                """, logger: logger)
            for (seq, person) in department.people.enumerated() {
                try await connection.query(
                    """
                    INSERT INTO department_people (tenant_id, department_code, seq, role, title, name)
                    VALUES (\(t.code), \(department.code), \(seq + 1), \(person.role.rawValue), \(person.title), \(person.name))
                    """, logger: logger)
                for (contactSeq, contact) in person.contacts.enumerated() {
                    try await connection.query(
                        """
                        INSERT INTO person_contacts (tenant_id, department_code, person_seq, seq, channel, address)
                        VALUES (\(t.code), \(department.code), \(seq + 1), \(contactSeq + 1), \(contact.channel.rawValue), \(contact.address))
                        """, logger: logger)
                }
            }
        }
    }

    private func binds(_ values: String...) -> PostgresBindings {
        var bindings = PostgresBindings()
        for value in values { bindings.append(value) }
        return bindings
    }
}
