import Foundation

/// How a campaign stands against its targets on a given day.
public struct CampaignProgress: Sendable, Hashable, Codable {
    /// Where a target stands.
    public enum Status: String, Sendable, Hashable, Codable {
        /// Reached.
        case met
        /// Not reached yet, with time left.
        case open
        /// Not reached, and its date has passed.
        case missed

        /// What users read.
        public var title: String {
            switch self {
            case .met: "已达成"
            case .open: "推进中"
            case .missed: "未达成"
            }
        }
    }

    /// One target's progress: for a rate, the rate now; for compounds, how many reached it.
    public struct TargetProgress: Sendable, Hashable, Codable {
        public var code: String
        public var name: String
        public var status: Status
        public var by: CivilDate
        public var rate: FigureRate?
        public var atLeast: Double?
        public var attained: Int?
        public var count: Int?
        public var of: Int?
        /// `92.3% / 目标 90.0%` or `4 / 6 个小区`.
        public var summary: String
    }

    public var campaign: String
    public var name: String
    public var today: CivilDate
    /// The phase today falls in, if any.
    public var phase: CampaignPlan.Phase?
    public var phases: [CampaignPlan.Phase]
    public var targets: [TargetProgress]

    /// `plan`'s progress on `today`, from the counts of its issues and the compounds the office
    /// recorded per target.
    public init(_ plan: CampaignPlan, counts: FigureCounts, attained: [String: Int], today: CivilDate) {
        campaign = plan.code
        name = plan.name
        self.today = today
        phase = plan.phase(on: today)
        phases = plan.phases
        targets = plan.targets.map { target in
            let by = target.by ?? plan.to
            let status = { (reached: Bool) -> Status in reached ? .met : today > by ? .missed : .open }
            switch target.measure {
            case .rate(let kind, let atLeast):
                let rate = counts.rate(kind)
                // Compared exactly: numerator ≥ atLeast × denominator.
                let reached = rate.denominator > 0 && Double(rate.numerator) >= atLeast * Double(rate.denominator) - 1e-9
                return TargetProgress(
                    code: target.code, name: target.name, status: status(reached), by: by, rate: rate, atLeast: atLeast,
                    summary: "\(rate.kind.title) \(rate.percent)（\(rate.numerator)/\(rate.denominator)），目标 ≥ \(FigureRate.percent(atLeast))")
            case .compounds(let count, let of):
                let done = attained[target.code] ?? 0
                let out = of.map { "（共 \($0) 个）" } ?? ""
                return TargetProgress(
                    code: target.code, name: target.name, status: status(done >= count), by: by, attained: done, count: count, of: of,
                    summary: "已达标 \(done) / 目标 \(count) 个小区\(out)")
            }
        }
    }
}
