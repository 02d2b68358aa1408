/// A tenant's deadline settings (`config/tenants/<tenant>/deadlines.yaml`): the limits a task gets
/// when its list entry sets none, per class and overall, and the range every limit must lie in.
public struct TenantDeadlines: Sendable, Hashable {
    public var defaults: DeadlineLimits
    public var classes: [ProblemClass: DeadlineLimits]
    public var allowedAcknowledgeHours: ClosedRange<Int>
    public var allowedRectifyWorkingDays: ClosedRange<Int>

    /// Up to a week to report in; up to seed `001`'s month (22 working days) to rectify.
    public static let standard = TenantDeadlines()

    public init(
        defaults: DeadlineLimits = DeadlineLimits(), classes: [ProblemClass: DeadlineLimits] = [:],
        allowedAcknowledgeHours: ClosedRange<Int> = 1...168,
        allowedRectifyWorkingDays: ClosedRange<Int> = 1...DeadlinePolicy.maximumRectifyWorkingDays
    ) {
        self.defaults = defaults
        self.classes = classes
        self.allowedAcknowledgeHours = allowedAcknowledgeHours
        self.allowedRectifyWorkingDays = allowedRectifyWorkingDays
    }

    /// Where a task's limits came from.
    public enum Source: String, Sendable, Hashable, Codable {
        case entry, classDefault, tenantDefault, seedRule
    }

    /// The limits a task of `type` gets, and where its rectify limit came from.
    public func limits(for type: IssueType) -> (limits: DeadlineLimits, source: Source) {
        let classLimits = classes[type.problemClass]
        let acknowledge = type.limits.acknowledgeHours ?? classLimits?.acknowledgeHours ?? defaults.acknowledgeHours
        let source: Source
        let rectify: Int
        if let days = type.limits.rectifyWorkingDays {
            (source, rectify) = (.entry, days)
        } else if let days = classLimits?.rectifyWorkingDays {
            (source, rectify) = (.classDefault, days)
        } else if let days = defaults.rectifyWorkingDays {
            (source, rectify) = (.tenantDefault, days)
        } else {
            (source, rectify) = (.seedRule, DeadlinePolicy.fallbackRectifyWorkingDays)
        }
        return (DeadlineLimits(acknowledgeHours: acknowledge, rectifyWorkingDays: rectify), source)
    }

    /// Parses a `deadlines.yaml`.
    public static func parse(_ text: String, file: String) throws(ConfigErrors) -> TenantDeadlines {
        do throws(ConfigError) {
            let root = try ConfigNode.parse(text, file: file)
            try root.allowKeys(["defaults", "classes", "allowed"])
            var result = TenantDeadlines()
            if let allowed = try root.optional("allowed") {
                try allowed.allowKeys(["acknowledgeHours", "rectifyWorkingDays"])
                if let node = try allowed.optional("acknowledgeHours") {
                    result.allowedAcknowledgeHours = try range(node, within: 1...24 * 31)
                }
                if let node = try allowed.optional("rectifyWorkingDays") {
                    result.allowedRectifyWorkingDays = try range(node, within: 1...DeadlinePolicy.maximumRectifyWorkingDays)
                }
            }
            if let node = try root.optional("defaults") {
                result.defaults = try limits(node, within: result)
            }
            if let classes = try root.optional("classes") {
                for key in try classes.keys() {
                    let node = try classes.required(key)
                    guard let problemClass = ProblemClass(name: key) else {
                        throw node.error("'\(key)' is not a problem class (\(ProblemClass.allCases.map(\.rawValue).joined(separator: ", ")))")
                    }
                    result.classes[problemClass] = try limits(node, within: result)
                }
            }
            return result
        } catch {
            throw ConfigErrors([error])
        }
    }

    /// Reads `{acknowledgeHours, rectifyWorkingDays}` and checks both against the allowed ranges.
    static func limits(_ node: ConfigNode, within settings: TenantDeadlines) throws(ConfigError) -> DeadlineLimits {
        try node.allowKeys(["acknowledgeHours", "rectifyWorkingDays"])
        var result = DeadlineLimits()
        if let hours = try node.optional("acknowledgeHours") {
            let value = try hours.int()
            guard settings.allowedAcknowledgeHours.contains(value) else {
                throw hours.error("an acknowledge limit of \(value) hours is outside the tenant's allowed range \(describe(settings.allowedAcknowledgeHours)) hours")
            }
            result.acknowledgeHours = value
        }
        if let days = try node.optional("rectifyWorkingDays") {
            let value = try days.int()
            guard settings.allowedRectifyWorkingDays.contains(value) else {
                throw days.error("a rectify limit of \(value) working days is outside the tenant's allowed range \(describe(settings.allowedRectifyWorkingDays)) working days")
            }
            result.rectifyWorkingDays = value
        }
        return result
    }

    static func describe(_ range: ClosedRange<Int>) -> String { "\(range.lowerBound)–\(range.upperBound)" }

    private static func range(_ node: ConfigNode, within bounds: ClosedRange<Int>) throws(ConfigError) -> ClosedRange<Int> {
        try node.allowKeys(["min", "max"])
        let low = try node.optionalInt("min") ?? bounds.lowerBound
        let high = try node.optionalInt("max") ?? bounds.upperBound
        guard low >= bounds.lowerBound, high <= bounds.upperBound, low <= high else {
            throw node.error("the range \(low)–\(high) must lie within \(describe(bounds))")
        }
        return low...high
    }
}
