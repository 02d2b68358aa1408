import Foundation

extension AssessmentRules {
    /// Parses an `assessment.yaml`: `spotChecks` (unlistedProblemPoints, falseClosurePoints),
    /// `credit` (windowDays, base, countedClasses, countedTypes, perIssue, perLate, perDissatisfied,
    /// grades and stars as `[{name, min}]`, highest first, the last without `min`), `priorityList`
    /// (maxStars, complaints, conflicts). What is left out keeps the default.
    public static func parse(_ text: String, file: String) throws(ConfigErrors) -> AssessmentRules {
        var rules = AssessmentRules()
        do throws(ConfigError) {
            let root = try ConfigNode.parse(text, file: file)
            try root.allowKeys(["spotChecks", "credit", "priorityList"])
            if let node = try root.optional("spotChecks") {
                try node.allowKeys(["unlistedProblemPoints", "falseClosurePoints"])
                rules.spotChecks.unlistedProblemPoints = try points(node, "unlistedProblemPoints") ?? rules.spotChecks.unlistedProblemPoints
                rules.spotChecks.falseClosurePoints = try points(node, "falseClosurePoints") ?? rules.spotChecks.falseClosurePoints
            }
            if let node = try root.optional("credit") {
                try node.allowKeys(["windowDays", "base", "countedClasses", "countedTypes", "perIssue", "perLate", "perDissatisfied", "grades", "stars"])
                var credit = rules.credit
                if let days = try node.optionalInt("windowDays") {
                    guard days >= 1 else { throw try node.required("windowDays").error("must be at least 1") }
                    credit.windowDays = days
                }
                credit.base = try points(node, "base") ?? credit.base
                if try node.optional("countedClasses") != nil { credit.countedClasses = try node.strings("countedClasses") }
                if try node.optional("countedTypes") != nil { credit.countedTypes = try node.strings("countedTypes") }
                credit.perIssue = try points(node, "perIssue") ?? credit.perIssue
                credit.perLate = try points(node, "perLate") ?? credit.perLate
                credit.perDissatisfied = try points(node, "perDissatisfied") ?? credit.perDissatisfied
                if let levels = try node.optional("grades") { credit.grades = try self.levels(levels, numeric: false) }
                if let levels = try node.optional("stars") { credit.stars = try self.levels(levels, numeric: true) }
                rules.credit = credit
            }
            if let node = try root.optional("priorityList") {
                try node.allowKeys(["maxStars", "complaints", "conflicts"])
                rules.priorityList.maxStars = try node.optionalInt("maxStars") ?? rules.priorityList.maxStars
                rules.priorityList.complaints = try node.optionalInt("complaints") ?? rules.priorityList.complaints
                rules.priorityList.conflicts = try node.optionalInt("conflicts") ?? rules.priorityList.conflicts
            }
        } catch {
            throw ConfigErrors([error])
        }
        return rules
    }

    private static func points(_ node: ConfigNode, _ key: String) throws(ConfigError) -> Double? {
        guard let value = try node.optional(key) else { return nil }
        let number = try value.double()
        guard number >= 0 else { throw value.error("must not be negative") }
        return number
    }

    /// Levels highest first; each `min` below the one before; the last one has none (it takes the rest).
    private static func levels(_ node: ConfigNode, numeric: Bool) throws(ConfigError) -> [Level] {
        let items = try node.items()
        guard !items.isEmpty else { throw node.error("at least one level") }
        var result: [Level] = []
        for (n, item) in items.enumerated() {
            try item.allowKeys(["name", "min"])
            let nameNode = try item.required("name")
            let name = try nameNode.string()
            if numeric, Int(name) == nil { throw nameNode.error("a star rating is a number of stars") }
            let last = n == items.count - 1
            let min: Double
            if last {
                guard try item.optional("min") == nil else { throw try item.required("min").error("the last level takes every score below the one before: no min") }
                min = -.greatestFiniteMagnitude
            } else {
                min = try item.required("min").double()
                if let before = result.last, min >= before.min { throw try item.required("min").error("levels go from the highest down") }
            }
            result.append(Level(name: name, min: min))
        }
        return result
    }
}
