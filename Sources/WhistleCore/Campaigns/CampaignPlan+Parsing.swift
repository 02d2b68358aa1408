import Foundation

extension CampaignPlan {
    /// Parses a tenant's `campaigns.yaml`: a list `campaigns` of `{code, name, source, from, to,
    /// phases: [{name, from, to}], targets: [{code, name, rate, atLeast | compounds, of}, by],
    /// monthlyReport: {day, at: "HH:MM"}}`. Phases go in order without overlapping; a campaign
    /// without `from`/`to` runs from its first phase's start to its last phase's end. Every
    /// mistake is reported with its line.
    public static func parse(_ text: String, file: String) throws(ConfigErrors) -> [CampaignPlan] {
        var plans: [CampaignPlan] = []
        var errors: [ConfigError] = []
        do throws(ConfigError) {
            let root = try ConfigNode.parse(text, file: file)
            try root.allowKeys(["campaigns"])
            for node in try root.list("campaigns") {
                do throws(ConfigError) {
                    let plan = try campaign(node)
                    if plans.contains(where: { $0.code == plan.code }) {
                        throw try node.required("code").error("campaign '\(plan.code)' is defined twice")
                    }
                    plans.append(plan)
                } catch {
                    errors.append(error)
                }
            }
        } catch {
            errors.append(error)
        }
        if !errors.isEmpty { throw ConfigErrors(errors) }
        return plans
    }

    private static func campaign(_ node: ConfigNode) throws(ConfigError) -> CampaignPlan {
        try node.allowKeys(["code", "name", "source", "from", "to", "phases", "targets", "monthlyReport"])
        let code = try node.string("code")
        guard !code.isEmpty, code.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw try node.required("code").error("a campaign code is letters, digits, '-' and '_'")
        }
        var phases: [Phase] = []
        for item in try node.list("phases") {
            try item.allowKeys(["name", "from", "to"])
            let to = try date(try item.required("to"))
            let from: CivilDate
            if let start = try item.optional("from") {
                from = try date(start)
            } else if let previous = phases.last {
                from = previous.to.adding(days: 1)
            } else {
                throw try item.required("from").error("the first phase needs a start date")
            }
            guard from <= to else { throw try item.required("to").error("a phase ends on or after its start (\(from))") }
            if let previous = phases.last, from <= previous.to {
                throw item.error("phases go in order without overlapping: this one starts on \(from), before '\(previous.name)' ends on \(previous.to)")
            }
            phases.append(Phase(name: try item.string("name"), from: from, to: to))
        }
        let from = try node.optional("from").map { (value) throws(ConfigError) in try date(value) } ?? phases.first?.from
        let to = try node.optional("to").map { (value) throws(ConfigError) in try date(value) } ?? phases.last?.to
        guard let from, let to else { throw node.error("a campaign needs from and to, or phases") }
        guard from <= to else { throw try node.required("to").error("a campaign ends on or after its start") }
        if let first = phases.first, first.from < from { throw node.error("phase '\(first.name)' starts before the campaign") }
        if let last = phases.last, last.to > to { throw node.error("phase '\(last.name)' ends after the campaign") }
        var targets: [Target] = []
        for item in try node.list("targets") {
            let target = try self.target(item)
            if targets.contains(where: { $0.code == target.code }) { throw try item.required("code").error("target '\(target.code)' is defined twice") }
            targets.append(target)
        }
        var report: ReportSchedule?
        if let item = try node.optional("monthlyReport") {
            try item.allowKeys(["day", "at"])
            let dayNode = try item.required("day")
            let day = try dayNode.int()
            // Every month has a 28th: a report is never skipped.
            guard (1...28).contains(day) else { throw dayNode.error("the report's day is 1 to 28") }
            var (hour, minute) = (9, 0)
            if let at = try item.optional("at") {
                let parts = try at.string().split(separator: ":").map { Int($0) }
                guard parts.count == 2, let h = parts[0], let m = parts[1], (0...23).contains(h), (0...59).contains(m) else {
                    throw at.error("a time is HH:MM")
                }
                (hour, minute) = (h, m)
            }
            report = ReportSchedule(day: day, hour: hour, minute: minute)
        }
        return CampaignPlan(
            code: code, name: try node.string("name"), source: try node.optionalString("source"), from: from, to: to, phases: phases,
            targets: targets, monthlyReport: report)
    }

    private static func target(_ item: ConfigNode) throws(ConfigError) -> Target {
        try item.allowKeys(["code", "name", "rate", "atLeast", "compounds", "of", "by"])
        let code = try item.string("code")
        let measure: Measure
        switch (try item.optional("rate"), try item.optional("compounds")) {
        case (let rate?, nil):
            let kind = try rate.oneOf(FigureRate.Kind.self)
            let floor = try item.required("atLeast")
            let atLeast = try floor.double()
            guard atLeast > 0, atLeast <= 1 else { throw floor.error("a rate's target is a fraction above 0 and at most 1 (0.9 for 90 %)") }
            guard try item.optional("of") == nil else { throw try item.required("of").error("'of' belongs to a compounds target") }
            measure = .rate(kind, atLeast: atLeast)
        case (nil, let count?):
            let number = try count.int()
            guard number >= 1 else { throw count.error("a target is at least 1 compound") }
            let of = try item.optionalInt("of")
            if let of, of < number { throw try item.required("of").error("cannot be fewer than the target (\(number))") }
            guard try item.optional("atLeast") == nil else { throw try item.required("atLeast").error("'atLeast' belongs to a rate target") }
            measure = .compounds(count: number, of: of)
        case (.some, .some):
            throw item.error("a target measures either a rate or compounds, not both")
        case (nil, nil):
            throw item.error("a target needs 'rate' (with atLeast) or 'compounds'")
        }
        let by = try item.optional("by").map { (value) throws(ConfigError) in try date(value) }
        return Target(code: code, name: try item.string("name"), measure: measure, by: by)
    }

    private static func date(_ node: ConfigNode) throws(ConfigError) -> CivilDate {
        let text = try node.string()
        guard let date = CivilDate(text) else { throw node.error("'\(text)' is not a date (YYYY-MM-DD)") }
        return date
    }
}
