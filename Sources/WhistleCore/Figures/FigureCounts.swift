import Foundation

/// The counts behind every figure of one group (a department, territory, compound, issue type or
/// month). Counts add up, so a territory's counts are the sum of its compounds'; the rates are
/// computed from them (`rates`), never averaged. The definitions are in the README.
public struct FigureCounts: Sendable, Hashable, Codable {
    /// Issues reported in the period (merged duplicates not counted): 受理.
    public var received = 0
    /// Of those, issues whose every live task is rectified or beyond, or that are closed.
    public var issuesRectified = 0
    /// Of those, issues closed (销号).
    public var issuesClosed = 0
    /// Of those, issues with a return visit (回访), and those 满意 or 基本满意.
    public var returnVisits = 0
    public var satisfied = 0
    /// Live tasks (not withdrawn) of those issues.
    public var tasks = 0
    /// Tasks with an acknowledge limit that were acknowledged or whose limit has passed.
    public var acknowledgeDecided = 0
    /// Tasks acknowledged (报到/签收) at or before their limit.
    public var acknowledgedInTime = 0
    /// Tasks rectified (整改), and those rectified by their deadline (after an approved extension).
    public var tasksRectified = 0
    public var rectifiedInTime = 0
    /// Tasks verified (验收) and closed (销号).
    public var tasksVerified = 0
    public var tasksClosed = 0
    /// Tasks not rectified whose deadline has passed, at the moment of the query.
    public var overdueNow = 0
    /// Escalation rungs fired on those tasks, by action (`reminder`, `urge`, …).
    public var escalations: [String: Int] = [:]
    /// Points deducted by those rungs.
    public var deductions: Double = 0

    public init() {}

    /// The sum of two groups' counts.
    public static func + (lhs: FigureCounts, rhs: FigureCounts) -> FigureCounts {
        var sum = lhs
        sum.received += rhs.received
        sum.issuesRectified += rhs.issuesRectified
        sum.issuesClosed += rhs.issuesClosed
        sum.returnVisits += rhs.returnVisits
        sum.satisfied += rhs.satisfied
        sum.tasks += rhs.tasks
        sum.acknowledgeDecided += rhs.acknowledgeDecided
        sum.acknowledgedInTime += rhs.acknowledgedInTime
        sum.tasksRectified += rhs.tasksRectified
        sum.rectifiedInTime += rhs.rectifiedInTime
        sum.tasksVerified += rhs.tasksVerified
        sum.tasksClosed += rhs.tasksClosed
        sum.overdueNow += rhs.overdueNow
        sum.escalations.merge(rhs.escalations, uniquingKeysWith: +)
        sum.deductions += rhs.deductions
        return sum
    }

    /// The rates of these counts, each with what it counts.
    public var rates: [FigureRate] {
        FigureRate.Kind.allCases.map { rate($0) }
    }

    /// One rate of these counts.
    public func rate(_ kind: FigureRate.Kind) -> FigureRate {
        switch kind {
        case .response: FigureRate(kind: kind, numerator: acknowledgedInTime, denominator: acknowledgeDecided)
        case .rectification: FigureRate(kind: kind, numerator: issuesRectified, denominator: received)
        case .taskRectification: FigureRate(kind: kind, numerator: tasksRectified, denominator: tasks)
        case .onTimeRectification: FigureRate(kind: kind, numerator: rectifiedInTime, denominator: tasksRectified)
        case .closure: FigureRate(kind: kind, numerator: issuesClosed, denominator: received)
        case .satisfaction: FigureRate(kind: kind, numerator: satisfied, denominator: returnVisits)
        }
    }
}
