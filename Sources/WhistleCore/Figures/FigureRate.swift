import Foundation

/// A rate with its numerator and denominator, so a reader sees what it counts; `value` is nil
/// when nothing was counted (a rate of nothing is not 0 % and not 100 %).
public struct FigureRate: Sendable, Hashable, Codable {
    /// The rates of the seeds.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// 响应率: tasks acknowledged in time ÷ tasks whose acknowledge limit was decided.
        case response
        /// 整改率: issues rectified ÷ issues received (seed 000's ≥ 90 %).
        case rectification
        /// 任务整改率 (解决率): tasks rectified ÷ live tasks; a department's own share.
        case taskRectification
        /// 按期整改率: tasks rectified by their deadline ÷ tasks rectified.
        case onTimeRectification
        /// 销号率: issues closed ÷ issues received.
        case closure
        /// 满意率: 满意 and 基本满意 ÷ return visits.
        case satisfaction

        /// The name users read.
        public var title: String {
            switch self {
            case .response: "响应率"
            case .rectification: "整改率"
            case .taskRectification: "任务整改率"
            case .onTimeRectification: "按期整改率"
            case .closure: "销号率"
            case .satisfaction: "满意率"
            }
        }

        /// What the rate counts, in the words users read.
        public var definition: String {
            switch self {
            case .response: "按时签收的任务数 ÷ 签收时限已到或已签收的任务数"
            case .rectification: "已整改的问题数 ÷ 受理的问题数（问题的各责任部门均已整改或已销号）"
            case .taskRectification: "已整改的任务数 ÷ 派发的任务数（不含退回、撤回的任务）"
            case .onTimeRectification: "在整改时限（含批准的延期）内整改的任务数 ÷ 已整改的任务数"
            case .closure: "已销号的问题数 ÷ 受理的问题数"
            case .satisfaction: "回访“满意”“基本满意”的问题数 ÷ 已回访的问题数"
            }
        }
    }

    public var kind: Kind
    public var numerator: Int
    public var denominator: Int

    public init(kind: Kind, numerator: Int, denominator: Int) {
        self.kind = kind
        self.numerator = numerator
        self.denominator = denominator
    }

    /// numerator ÷ denominator, or nil when the denominator is 0.
    public var value: Double? {
        denominator == 0 ? nil : Double(numerator) / Double(denominator)
    }

    /// The rate as users read it: `92.3%`, or `—` when nothing was counted.
    public var percent: String {
        guard let value else { return "—" }
        return Self.percent(value)
    }

    /// A fraction as a percentage with one decimal, rounded half up: 0.92345 → `92.3%`.
    public static func percent(_ value: Double) -> String {
        let tenths = (value * 1000).rounded(.toNearestOrAwayFromZero)
        let whole = Int(tenths) / 10
        let decimal = Int(tenths) % 10
        return "\(whole).\(decimal)%"
    }
}
