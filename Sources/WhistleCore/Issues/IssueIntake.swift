import Foundation

/// A report as it arrives, checked field by field before anything is written.
public struct IssueIntake: Sendable, Hashable {
    /// The person who reported it; personal data, masked wherever a role does not need it.
    public struct Reporter: Sendable, Hashable, Codable {
        public var name: String?
        public var phone: String?

        public init(name: String? = nil, phone: String? = nil) {
            self.name = name
            self.phone = phone
        }

        /// The reporter as a role that may see personal data sees it, or masked.
        public func shown(unmasked: Bool) -> Reporter {
            unmasked ? self : Reporter(name: IssueIntake.mask(name: name), phone: IssueIntake.mask(phone: phone))
        }
    }

    public var channel: Channel
    public var compound: String
    public var building: String?
    public var household: String?
    /// The issue type's code; nil sends the issue to triage (the office confirms a type).
    public var type: String?
    public var description: String
    public var reportedAt: Date
    public var reporter: Reporter
    /// The channel's own fields (走访人, 排查时间 …), kept as given.
    public var channelDetails: [String: String]

    public init(
        channel: Channel, compound: String, building: String? = nil, household: String? = nil, type: String? = nil, description: String,
        reportedAt: Date, reporter: Reporter = Reporter(), channelDetails: [String: String] = [:]
    ) {
        self.channel = channel
        self.compound = compound
        self.building = building
        self.household = household
        self.type = type
        self.description = description
        self.reportedAt = reportedAt
        self.reporter = reporter
        self.channelDetails = channelDetails
    }

    /// A field that cannot be used, and why (in Chinese: clients show it to people).
    public struct FieldProblem: Error, Sendable, Hashable {
        public var field: String
        public var reason: String

        public init(field: String, reason: String) {
            self.field = field
            self.reason = reason
        }
    }

    public static let maximumDescriptionLength = 4000

    /// Every problem of the report against the tenant's directory, all at once; empty when it can be taken in.
    public func problems(directory: Directory, now: Date) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        let trimmed = description.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty {
            problems.append(FieldProblem(field: "description", reason: "必须填写问题描述"))
        } else if trimmed.count > Self.maximumDescriptionLength {
            problems.append(FieldProblem(field: "description", reason: "问题描述不能超过 \(Self.maximumDescriptionLength) 字"))
        }
        if let compound = directory.compounds.first(where: { $0.compound.code == compound })?.compound {
            if let building, !compound.buildings.isEmpty, !compound.buildings.contains(where: { $0.code == building }) {
                problems.append(
                    FieldProblem(field: "building", reason: "小区“\(compound.name)”没有代码为 '\(building)' 的楼栋(有:\(compound.buildings.map(\.code).joined(separator: ", ")))"))
            }
        } else {
            problems.append(FieldProblem(field: "compound", reason: "没有代码为 '\(compound)' 的小区"))
        }
        if reportedAt.timeIntervalSince(now) > 300 {
            problems.append(FieldProblem(field: "reportedAt", reason: "上报时间晚于当前时间"))
        }
        if let household, household.count > 64 {
            problems.append(FieldProblem(field: "household", reason: "户号不能超过 64 字"))
        }
        if let phone = reporter.phone, !phone.isEmpty, !phone.allSatisfy({ $0.isNumber || $0 == "-" || $0 == "+" || $0 == " " }) || phone.count > 20 {
            problems.append(FieldProblem(field: "reporter.phone", reason: "电话号码只能包含数字、空格、+ 和 -"))
        }
        return problems
    }

    /// `张三` → `张*`, `13812345678` → `138****5678`: what a list shows to roles that do not need more.
    public static func mask(name: String?) -> String? {
        guard let name, let first = name.first else { return name }
        return String(first) + String(repeating: "*", count: max(1, name.count - 1))
    }

    public static func mask(phone: String?) -> String? {
        guard let phone else { return nil }
        let digits = Array(phone.filter(\.isNumber))
        guard digits.count >= 7 else { return String(repeating: "*", count: digits.count) }
        return String(digits.prefix(3)) + String(repeating: "*", count: digits.count - 7) + String(digits.suffix(4))
    }
}
