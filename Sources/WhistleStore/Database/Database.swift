import Logging
import PostgresNIO

/// The daemon's handle on PostgreSQL: a pooled client plus the tenancy rules.
///
/// Tenant work goes through `withTenant`, which runs under the `whistle_tenant` role with
/// the tenant set for the transaction, so row-level security walls every query, including
/// hand-written ones. System work (migrations, configuration loading, timers across tenants)
/// uses `withSystemTransaction` as the schema owner.
public struct Database: Sendable {
    public let client: PostgresClient
    public let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Runs `body` in one transaction scoped to `tenant`; any error rolls the whole of it back.
    public func withTenant<Result: Sendable>(
        _ tenant: String,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await withSystemTransaction(isolation: isolation) { connection in
            try await enterTenant(tenant, connection)
            return try await body(connection)
        }
    }

    /// Runs `body` read-only in one snapshot (REPEATABLE READ) scoped to `tenant`, for reads of
    /// several statements that must agree with each other, such as kept counts and the changes
    /// made after them.
    public func withTenantSnapshot<Result: Sendable>(
        _ tenant: String,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await client.withConnection(isolation: isolation) { connection in
            try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            do {
                try await enterTenant(tenant, connection)
                let result = try await body(connection)
                try await connection.query("COMMIT", logger: logger)
                return result
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    /// Switches the open transaction to the tenant role with `tenant` set, in one round trip:
    /// set_config('role', …, true) is SET LOCAL ROLE.
    private func enterTenant(_ tenant: String, _ connection: PostgresConnection) async throws {
        try await connection.query(
            "SELECT set_config('role', 'whistle_tenant', true), set_config('whistle.tenant_id', \(tenant), true)", logger: logger)
    }

    /// Runs `body` in one transaction as the schema owner (no tenant walls).
    public func withSystemTransaction<Result: Sendable>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        do {
            return try await client.withTransaction(logger: logger, isolation: isolation) { connection in
                try await body(connection)
            }
        } catch let error as PostgresTransactionError {
            // Callers see their own typed errors, not the transaction wrapper.
            if let inner = error.closureError { throw inner }
            throw error
        }
    }

    /// Whether the server answers a trivial query.
    public func ping() async -> Bool {
        do {
            try await client.query("SELECT 1", logger: logger)
            return true
        } catch {
            return false
        }
    }
}
