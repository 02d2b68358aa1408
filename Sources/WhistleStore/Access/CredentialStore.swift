import Foundation
import Logging
import PostgresNIO
import WhistleCore

/// Credentials: created with a random token shown once, stored as its SHA-256, revoked, and
/// looked up per request.
public struct CredentialStore: Sendable {
    public let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// A credential as listed: never the token.
    public struct CredentialRecord: Sendable, Hashable, Codable {
        public var id: Int64
        public var tenant: String
        public var role: String
        public var department: String?
        public var name: String
        public var createdAt: Date
        public var revokedAt: Date?
    }

    public enum CredentialError: Error, Sendable, Hashable, CustomStringConvertible {
        case departmentRequired(Role)
        case departmentNotAllowed(Role)
        case unknownDepartment(String)

        public var description: String {
            switch self {
            case .departmentRequired(let role): return "role \(role.rawValue) is bound to a department: give --department"
            case .departmentNotAllowed(let role): return "role \(role.rawValue) is not bound to a department: leave out --department"
            case .unknownDepartment(let code): return "no department '\(code)' in the tenant's directory"
            }
        }
    }

    /// `wh_` and 43 characters of base64url: 256 random bits.
    static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let text = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return "wh_" + text
    }

    static func hash(_ token: String) -> String {
        sha256Hex(Data(token.utf8))
    }

    /// Creates a credential and returns its token, which is not kept anywhere.
    public func create(tenant: String, role: Role, department: String?, name: String) async throws -> (id: Int64, token: String) {
        if role.isDepartmentRole && department == nil { throw CredentialError.departmentRequired(role) }
        if !role.isDepartmentRole && department != nil { throw CredentialError.departmentNotAllowed(role) }
        let token = Self.newToken()
        guard try await tenantExists(tenant) else { throw StoreError.tenantNotFound(tenant) }
        let id = try await database.withSystemTransaction { connection -> Int64 in
            if let department {
                var exists = false
                for try await _ in try await connection.query(
                    "SELECT 1 FROM departments WHERE tenant_id = \(tenant) AND code = \(department)", logger: database.logger
                ).decode(Int.self) { exists = true }
                guard exists else { throw CredentialError.unknownDepartment(department) }
            }
            let rows = try await connection.query(
                """
                INSERT INTO credentials (tenant_id, token_hash, role, department_code, name)
                VALUES (\(tenant), \(Self.hash(token)), \(role.rawValue), \(department), \(name))
                RETURNING credential_id
                """, logger: database.logger)
            for try await id in rows.decode(Int64.self) { return id }
            return 0
        }
        return (id, token)
    }

    /// The credentials of `tenant`, or of every tenant.
    public func list(tenant: String?) async throws -> [CredentialRecord] {
        try await database.withSystemTransaction { connection in
            let rows = try await connection.query(
                """
                SELECT credential_id, tenant_id, role, department_code, name, created_at, revoked_at FROM credentials
                WHERE \(tenant)::text IS NULL OR tenant_id = \(tenant) ORDER BY tenant_id, credential_id
                """, logger: database.logger)
            var result: [CredentialRecord] = []
            for try await r in rows.decode((Int64, String, String, String?, String, Date, Date?).self) {
                result.append(CredentialRecord(id: r.0, tenant: r.1, role: r.2, department: r.3, name: r.4, createdAt: r.5, revokedAt: r.6))
            }
            return result
        }
    }

    /// Revokes a credential at once; false when there is no such live credential.
    public func revoke(_ id: Int64) async throws -> Bool {
        try await database.withSystemTransaction { connection in
            let rows = try await connection.query(
                "UPDATE credentials SET revoked_at = now() WHERE credential_id = \(id) AND revoked_at IS NULL RETURNING 1", logger: database.logger)
            for try await _ in rows.decode(Int.self) { return true }
            return false
        }
    }

    /// Whether `tenant` is a loaded tenant (a wrong tenant in a path is 404, not 403).
    public func tenantExists(_ tenant: String) async throws -> Bool {
        guard Directory.isValidCode(tenant) else { return false }
        let rows = try await database.client.query("SELECT 1 FROM tenants WHERE tenant_id = \(tenant)", logger: database.logger)
        for try await _ in rows.decode(Int.self) { return true }
        return false
    }

    /// The principal a bearer token stands for; nil when it is unknown or revoked.
    public func authenticate(_ token: String) async throws -> Principal? {
        guard token.hasPrefix("wh_"), token.count < 100 else { return nil }
        let rows = try await database.client.execute(Lookup(tokenHash: Self.hash(token)), logger: database.logger)
        for try await (id, tenant, role, department, name) in rows {
            guard let role = Role(rawValue: role) else { return nil }
            return Principal(credential: id, tenant: tenant, role: role, department: department, name: name)
        }
        return nil
    }
}

extension CredentialStore {
    /// The lookup every authenticated request makes, prepared once per connection: parsed and
    /// planned afresh it cost PostgreSQL about as much as it cost to run.
    struct Lookup: PostgresPreparedStatement {
        static let name = "whistle_credential_lookup"
        static let sql = """
            SELECT credential_id, tenant_id, role, department_code, name FROM credentials
            WHERE token_hash = $1 AND revoked_at IS NULL
            """
        static let bindingDataTypes: [PostgresDataType] = [.text]
        typealias Row = (Int64, String, String, String?, String)

        var tokenHash: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(tokenHash)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }
}
