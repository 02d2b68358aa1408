import Foundation

/// How a tenant judges field work and property companies (`assessment.yaml`). The seeds name the
/// measures (a deduction for problems the ledgers missed, 000; grades AA … C, 003; stars and a
/// priority list, 002) but give no values: the defaults are Whistle's reading, to be set by each
/// campaign office.
public struct AssessmentRules: Sendable, Hashable {
    /// Points a spot-check finding costs (月度考评).
    public struct SpotChecks: Sendable, Hashable {
        /// A problem no listed issue of the compound covers: against the compound's territory (镇办).
        public var unlistedProblemPoints: Double = 1
        /// A closed issue found not rectified: against each department whose task was closed.
        public var falseClosurePoints: Double = 2
    }

    /// A threshold of a grade or a star rating: reached at `min` points or more.
    public struct Level: Sendable, Hashable {
        public var name: String
        public var min: Double
    }

    /// A property company's credit score: `base`, minus points for what counts against it within
    /// the window.
    public struct Credit: Sendable, Hashable {
        public var windowDays: Int = 365
        public var base: Double = 100
        /// Issue classes (liability lists' `class`) that count against the compound's company.
        public var countedClasses: [String] = ["propertyService"]
        /// Further issue types that count whatever their class.
        public var countedTypes: [String] = []
        public var perIssue: Double = 2
        /// Per counted issue rectified after its deadline, or still open past it.
        public var perLate: Double = 3
        public var perDissatisfied: Double = 5
        /// Highest first: AA ≥ 95, A ≥ 85, B ≥ 70, C below (003 names AA and C).
        public var grades: [Level] = [.init(name: "AA", min: 95), .init(name: "A", min: 85), .init(name: "B", min: 70), .init(name: "C", min: -.greatestFiniteMagnitude)]
        /// Highest first: 5 ★ ≥ 95 … 1 ★ below 60 (002 uses star ratings without their rules).
        public var stars: [Level] = [
            .init(name: "5", min: 95), .init(name: "4", min: 85), .init(name: "3", min: 75), .init(name: "2", min: 60), .init(name: "1", min: -.greatestFiniteMagnitude),
        ]
    }

    /// Which compounds enter the priority rectification list (重点整治清单, 002): any one rule.
    public struct PriorityList: Sendable, Hashable {
        /// The compound's company has this many stars or fewer (二星级及以下).
        public var maxStars: Int = 2
        /// Counted issues of the compound within the credit window (投诉较多).
        public var complaints: Int = 5
        /// Issues of the compound that drew a supervision order or a dissatisfied return visit (矛盾问题突出).
        public var conflicts: Int = 2
    }

    public var spotChecks = SpotChecks()
    public var credit = Credit()
    public var priorityList = PriorityList()

    public init() {}

    public static let standard = AssessmentRules()
}
