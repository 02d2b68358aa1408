import Foundation

/// A campaign (专项行动) of a tenant, from its `campaigns.yaml`: its phases (阶段) with their
/// dates, its targets, and when its monthly report is due.
public struct CampaignPlan: Sendable, Hashable, Codable {
    /// A phase of the campaign, both dates included.
    public struct Phase: Sendable, Hashable, Codable {
        public var name: String
        public var from: CivilDate
        public var to: CivilDate

        public init(name: String, from: CivilDate, to: CivilDate) {
            self.name = name
            self.from = from
            self.to = to
        }
    }

    /// What a target measures.
    public enum Measure: Sendable, Hashable, Codable {
        /// A rate over the campaign's issues, at least `atLeast` (0…1): 000's 整改率 ≥ 90 %.
        case rate(FigureRate.Kind, atLeast: Double)
        /// A number of compounds the office records as having reached the target (验收达标):
        /// 002's 示范小区 6 / 66 / 18, 004's 六达标 130 of 254.
        case compounds(count: Int, of: Int?)
    }

    /// A target of the campaign, to be reached by `by` (the campaign's end when not given).
    public struct Target: Sendable, Hashable, Codable {
        public var code: String
        public var name: String
        public var measure: Measure
        public var by: CivilDate?

        public init(code: String, name: String, measure: Measure, by: CivilDate? = nil) {
            self.code = code
            self.name = name
            self.measure = measure
            self.by = by
        }
    }

    /// The monthly report on last month (seed 000: by the 10th; 003: by the 3rd), sent to the
    /// office on `day` at `hour`:`minute` in the tenant's time zone.
    public struct ReportSchedule: Sendable, Hashable, Codable {
        public var day: Int
        public var hour: Int
        public var minute: Int

        public init(day: Int, hour: Int = 9, minute: Int = 0) {
            self.day = day
            self.hour = hour
            self.minute = minute
        }
    }

    public var code: String
    public var name: String
    /// The document the campaign comes from.
    public var source: String?
    public var from: CivilDate
    public var to: CivilDate
    public var phases: [Phase]
    public var targets: [Target]
    public var monthlyReport: ReportSchedule?

    public init(
        code: String, name: String, source: String? = nil, from: CivilDate, to: CivilDate, phases: [Phase] = [], targets: [Target] = [],
        monthlyReport: ReportSchedule? = nil
    ) {
        self.code = code
        self.name = name
        self.source = source
        self.from = from
        self.to = to
        self.phases = phases
        self.targets = targets
        self.monthlyReport = monthlyReport
    }

    /// The phase `date` falls in, if any.
    public func phase(on date: CivilDate) -> Phase? {
        phases.first { $0.from <= date && date <= $0.to }
    }

    /// The moments the campaign covers: `[from 00:00, the day after to 00:00)` in `zone`.
    public func period(in zone: TimeZone) -> (from: Date, to: Date) {
        (from.start(in: zone), to.adding(days: 1).start(in: zone))
    }
}
