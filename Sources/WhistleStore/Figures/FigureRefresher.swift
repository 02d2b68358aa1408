import Foundation
import Logging
import PostgresNIO

/// Keeps the figures' day cells current (`sql/0018_figure_rollups.sql`): recomputes the days
/// whose issues, tasks or rungs changed, a month of days per transaction, for every tenant. The
/// figures are exact whether it has run or not; the more it keeps up, the less is counted live.
public struct FigureRefresher: Sendable {
    public let database: Database
    public let logger: Logger
    /// Days recomputed per transaction: short transactions, and progress that survives a stop.
    public var daysPerTransaction = 31

    public init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// Recomputes every changed day of `tenant` (building its cells when it has none, or when its
    /// time zone changed); returns the number of days recomputed.
    @discardableResult
    public func refresh(tenant: String) async throws -> Int {
        var total = 0
        while true {
            let done = try await database.withSystemTransaction { connection in
                let rows = try await connection.query("SELECT figure_refresh(\(tenant), \(daysPerTransaction)::int)", logger: logger)
                for try await count in rows.decode(Int32.self) { return Int(count) }
                return 0
            }
            guard done > 0 else { return total }
            total += done
            if total >= 365 && total % 365 < done {
                logger.info("figure cells: \(total) days recomputed so far", metadata: ["tenant": "\(tenant)"])
            }
        }
    }

    /// Empties the change log's storage when it is large and drained: after a bulk change (a
    /// load, a rebuild) it is mostly dead rows that every figure read would scan. Truncating
    /// needs a moment's exclusive lock, taken only if it comes within 200 ms (writers wait no
    /// longer), and only with no change row left; returns whether it truncated.
    @discardableResult
    public func compactChanges(minimumBytes: Int = 8 << 20) async throws -> Bool {
        let worth = try await database.withSystemTransaction { connection in
            let rows = try await connection.query(
                "SELECT pg_relation_size('figure_changes') >= \(minimumBytes) AND NOT EXISTS (SELECT 1 FROM figure_changes)", logger: logger)
            for try await worth in rows.decode(Bool.self) { return worth }
            return false
        }
        guard worth else { return false }
        do {
            return try await database.withSystemTransaction { connection in
                try await connection.query("SET LOCAL lock_timeout = '200ms'", logger: logger)
                try await connection.query("LOCK TABLE figure_changes IN ACCESS EXCLUSIVE MODE", logger: logger)
                // Under the lock no writer is between its change and its commit: empty means empty.
                let rows = try await connection.query("SELECT NOT EXISTS (SELECT 1 FROM figure_changes)", logger: logger)
                var empty = false
                for try await value in rows.decode(Bool.self) { empty = value }
                guard empty else { return false }
                try await connection.query("TRUNCATE figure_changes", logger: logger)
                return true
            }
        } catch where sqlState(of: error) == "55P03" {
            logger.debug("figure change log not compacted: writers held it")
            return false
        }
    }

    /// `refresh` for every tenant; a failure is logged and the others go on.
    public func refreshAll() async {
        do {
            let rows = try await database.client.query("SELECT tenant_id FROM tenants ORDER BY tenant_id", logger: logger)
            var tenants: [String] = []
            for try await tenant in rows.decode(String.self) { tenants.append(tenant) }
            for tenant in tenants {
                do {
                    let days = try await refresh(tenant: tenant)
                    if days > 0 { logger.debug("figure cells refreshed", metadata: ["tenant": "\(tenant)", "days": "\(days)"]) }
                } catch {
                    logger.error("figure cells not refreshed", metadata: ["tenant": "\(tenant)", "error": "\(String(reflecting: error))"])
                }
            }
        } catch {
            logger.error("figure cells not refreshed: tenants unreadable", metadata: ["error": "\(String(reflecting: error))"])
        }
        do {
            if try await compactChanges() { logger.info("figure change log compacted") }
        } catch {
            logger.error("figure change log not compacted", metadata: ["error": "\(String(reflecting: error))"])
        }
    }
}
