import Foundation

/// What the credit score counts of one issue at a compound of the company.
public struct CreditFact: Sendable, Hashable {
    public var issue: Int64
    public var compound: String
    public var type: String?
    public var issueClass: String?
    public var reportedAt: Date
    /// Rectified after a deadline of its tasks, or still open past one.
    public var late: Bool
    public var dissatisfied: Bool
    /// A supervision order was issued on it, or its return visit was dissatisfied (矛盾突出).
    public var conflict: Bool

    public init(
        issue: Int64, compound: String, type: String?, issueClass: String?, reportedAt: Date, late: Bool, dissatisfied: Bool, conflict: Bool
    ) {
        self.issue = issue
        self.compound = compound
        self.type = type
        self.issueClass = issueClass
        self.reportedAt = reportedAt
        self.late = late
        self.dissatisfied = dissatisfied
        self.conflict = conflict
    }
}

/// One line of a score: which issue, what about it, how many points.
public struct CreditItem: Sendable, Hashable, Codable {
    public var issue: Int64
    public var compound: String
    /// issue · late · dissatisfied
    public var kind: String
    public var points: Double

    public var key: String { "\(issue):\(kind)" }

    public var chinese: String {
        let what = kind == "late" ? "逾期整改" : kind == "dissatisfied" ? "回访不满意" : "计入问题"
        return "问题 #\(issue) \(what) \(EscalationNotice.formatPoints(points)) 分"
    }
}

/// A company's score, grade and stars, with every item behind them.
public struct CreditAssessment: Sendable, Hashable {
    public var company: String
    public var score: Double
    public var grade: String
    public var stars: Int
    public var items: [CreditItem]

    /// Scores the counted facts within the window ending at `now`.
    public static func assess(company: String, facts: [CreditFact], rules: AssessmentRules.Credit, now: Date) -> CreditAssessment {
        let since = now.addingTimeInterval(-Double(rules.windowDays) * 86_400)
        var items: [CreditItem] = []
        for fact in counted(facts, rules: rules) where fact.reportedAt > since && fact.reportedAt <= now {
            items.append(CreditItem(issue: fact.issue, compound: fact.compound, kind: "issue", points: -rules.perIssue))
            if fact.late, rules.perLate > 0 { items.append(CreditItem(issue: fact.issue, compound: fact.compound, kind: "late", points: -rules.perLate)) }
            if fact.dissatisfied, rules.perDissatisfied > 0 {
                items.append(CreditItem(issue: fact.issue, compound: fact.compound, kind: "dissatisfied", points: -rules.perDissatisfied))
            }
        }
        let score = max(0, rules.base + items.reduce(0) { $0 + $1.points })
        return CreditAssessment(
            company: company, score: score, grade: level(score, rules.grades) ?? "", stars: Int(level(score, rules.stars) ?? "0") ?? 0, items: items)
    }

    /// The facts the rules count against a company: its classes or its listed types.
    public static func counted(_ facts: [CreditFact], rules: AssessmentRules.Credit) -> [CreditFact] {
        facts.filter { fact in
            fact.issueClass.map(rules.countedClasses.contains) == true || fact.type.map(rules.countedTypes.contains) == true
        }
    }

    static func level(_ score: Double, _ levels: [AssessmentRules.Level]) -> String? {
        levels.sorted { $0.min > $1.min }.first { score >= $0.min }?.name
    }

    /// Why the grade moved from `before`: the items that are new, and those that left the window.
    public func explanation(since before: [CreditItem]) -> (added: [CreditItem], dropped: [CreditItem]) {
        let old = Set(before.map(\.key))
        let now = Set(items.map(\.key))
        return (items.filter { !old.contains($0.key) }, before.filter { !now.contains($0.key) })
    }
}

/// A compound on the priority rectification list, with why.
public struct PriorityEntry: Sendable, Hashable, Codable {
    public var compound: String
    public var company: String?
    public var reasons: [String]
}

public enum PriorityList {
    /// The compounds any rule puts on the list: the company's stars, the complaints, the conflicts.
    public static func entries(
        compounds: [(code: String, company: String?)], facts: [CreditFact], stars: [String: Int], rules: AssessmentRules, now: Date
    ) -> [PriorityEntry] {
        let since = now.addingTimeInterval(-Double(rules.credit.windowDays) * 86_400)
        let recent = facts.filter { $0.reportedAt > since && $0.reportedAt <= now }
        let complaints = Dictionary(grouping: CreditAssessment.counted(recent, rules: rules.credit), by: \.compound).mapValues(\.count)
        let conflicts = Dictionary(grouping: recent.filter(\.conflict), by: \.compound).mapValues(\.count)
        var entries: [PriorityEntry] = []
        for (code, company) in compounds {
            var reasons: [String] = []
            if let company, let count = stars[company], count <= rules.priorityList.maxStars { reasons.append("物业服务企业\(count)星级（\(rules.priorityList.maxStars)星级及以下）") }
            if let count = complaints[code], count >= rules.priorityList.complaints { reasons.append("投诉较多：\(count) 件") }
            if let count = conflicts[code], count >= rules.priorityList.conflicts { reasons.append("矛盾问题突出：\(count) 件督办或回访不满意") }
            if !reasons.isEmpty { entries.append(PriorityEntry(compound: code, company: company, reasons: reasons)) }
        }
        return entries
    }
}
