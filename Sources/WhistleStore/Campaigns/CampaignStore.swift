import Foundation
import Logging
import PostgresNIO
import WhistleCore

/// The compounds the office records as having reached a campaign's target (验收达标), and the
/// campaigns' progress against their targets.
public struct CampaignStore: Sendable {
    public let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// A compound recorded as reaching a target.
    public struct Attainment: Sendable, Hashable, Codable {
        public var campaign: String
        public var target: String
        public var compound: String
        public var note: String
        public var recordedBy: String
        public var recordedAt: Date
        public var withdrawnBy: String?
        public var withdrawnAt: Date?
        public var withdrawReason: String?
    }

    /// What the office can get wrong.
    public enum CampaignError: Error, Sendable, Equatable {
        /// The compound is already recorded for the target.
        case alreadyAttained(target: String, compound: String)
        /// No live record of the compound for the target.
        case notAttained(target: String, compound: String)
    }

    /// Records `compound` as having reached `target`; a compound counts once per target.
    public func attain(campaign: String, target: String, compound: String, note: String, actor: String, now: Date, tenant: String) async throws -> Attainment {
        try await database.withTenant(tenant) { connection in
            let rows = try await connection.query(
                """
                INSERT INTO campaign_attainments (tenant_id, campaign, target, compound_code, note, recorded_by, recorded_at)
                VALUES (\(tenant), \(campaign), \(target), \(compound), \(note), \(actor), \(now))
                ON CONFLICT (tenant_id, campaign, target, compound_code) WHERE withdrawn_at IS NULL DO NOTHING
                RETURNING recorded_at
                """, logger: database.logger)
            guard try await rows.decode(Date.self).first(where: { _ in true }) != nil else {
                throw CampaignError.alreadyAttained(target: target, compound: compound)
            }
            return Attainment(campaign: campaign, target: target, compound: compound, note: note, recordedBy: actor, recordedAt: now)
        }
    }

    /// Withdraws the live record of `compound` for `target` (kept, with who withdrew it and why).
    public func withdraw(campaign: String, target: String, compound: String, reason: String, actor: String, now: Date, tenant: String) async throws -> Attainment {
        try await database.withTenant(tenant) { connection in
            let rows = try await connection.query(
                """
                UPDATE campaign_attainments SET withdrawn_by = \(actor), withdrawn_at = \(now), withdraw_reason = \(reason)
                WHERE campaign = \(campaign) AND target = \(target) AND compound_code = \(compound) AND withdrawn_at IS NULL
                RETURNING note, recorded_by, recorded_at
                """, logger: database.logger)
            guard let row = try await rows.decode((String, String, Date).self).first(where: { _ in true }) else {
                throw CampaignError.notAttained(target: target, compound: compound)
            }
            return Attainment(
                campaign: campaign, target: target, compound: compound, note: row.0, recordedBy: row.1, recordedAt: row.2, withdrawnBy: actor,
                withdrawnAt: now, withdrawReason: reason)
        }
    }

    /// Every record of the campaign, withdrawn ones too, oldest first.
    public func attainments(campaign: String, tenant: String) async throws -> [Attainment] {
        try await database.withTenant(tenant) { connection in
            let rows = try await connection.query(
                """
                SELECT target, compound_code, note, recorded_by, recorded_at, withdrawn_by, withdrawn_at, withdraw_reason
                FROM campaign_attainments WHERE campaign = \(campaign) ORDER BY recorded_at, target, compound_code
                """, logger: database.logger)
            var result: [Attainment] = []
            for try await r in rows.decode((String, String, String, String, Date, String?, Date?, String?).self) {
                result.append(
                    Attainment(
                        campaign: campaign, target: r.0, compound: r.1, note: r.2, recordedBy: r.3, recordedAt: r.4, withdrawnBy: r.5, withdrawnAt: r.6,
                        withdrawReason: r.7))
            }
            return result
        }
    }

    /// The campaign's progress at `now`: rates over the issues reported since the campaign began
    /// (up to its end), and the compounds recorded per target.
    public func progress(_ plan: CampaignPlan, tenant: String, routing: TenantRouting.Tenant, figures: FigureStore, now: Date) async throws -> CampaignProgress {
        let zone = routing.timeZone
        let period = plan.period(in: zone)
        let table = try await figures.table(by: .month, tenant: tenant, routing: routing, from: period.from, to: min(period.to, max(now, period.from)), now: now)
        let live = try await attainments(campaign: plan.code, tenant: tenant).filter { $0.withdrawnAt == nil }
        let attained = Dictionary(grouping: live, by: \.target).mapValues(\.count)
        return CampaignProgress(plan, counts: table.total, attained: attained, today: CivilDate(now, in: zone))
    }
}
