import Foundation

extension WorkCalendar {
    /// Parses and validates a calendar file such as `config/calendars/cn.yaml`:
    ///
    /// ```yaml
    /// name: 中国法定节假日
    /// timeZone: Asia/Shanghai          # optional, this is the default
    /// years:
    ///   - year: 2026
    ///     notice: 国务院办公厅关于2026年部分节假日安排的通知
    ///     holidays:
    ///       - name: 元旦
    ///         from: 2026-01-01         # from/to (both included) …
    ///         to: 2026-01-03
    ///       - name: 清明节
    ///         days: [2026-04-04, 2026-04-05, 2026-04-06]   # … or a list of days
    ///     workdays:                    # 调休上班
    ///       - date: 2026-01-04
    ///         note: 元旦调休上班       # optional; a bare date is accepted too
    /// ```
    ///
    /// Structural problems (unknown keys, malformed dates, missing keys) stop at the first one;
    /// the date problems (a date outside its year, a day both off and on or listed twice, an adjusted
    /// working day on a weekday, repeated or missing years) are all collected. Every problem names
    /// file, line and column.
    public static func parse(_ text: String, file: String) throws(ConfigErrors) -> WorkCalendar {
        var problems: [ConfigError] = []
        do throws(ConfigError) {
            let root = try ConfigNode.parse(text, file: file)
            try root.allowKeys(["name", "timeZone", "years"])
            let name = try root.string("name")
            let timeZone = try parseTimeZone(root)
            let yearsNode = try root.required("years")
            let yearNodes = try yearsNode.items()
            guard !yearNodes.isEmpty else { throw yearsNode.error("list at least one year") }
            var years: [(Year, ConfigNode)] = []
            var listed: [ListedDay] = []
            for node in yearNodes {
                years.append((try parseYear(node, into: &listed), node))
            }
            problems = validate(years: years, listed: listed)
            if problems.isEmpty {
                do {
                    return try WorkCalendar(name: name, timeZone: timeZone, years: years.map(\.0))
                } catch {
                    problems = [root.error(error.description)]
                }
            }
        } catch {
            problems = [error]
        }
        throw ConfigErrors(problems)
    }

    /// A date as it appeared in the file, for locating problems.
    private struct ListedDay {
        var date: CivilDate
        var node: ConfigNode
        var noticeYear: Int
        var isWorkingDay: Bool
        var label: String
    }

    private static func parseTimeZone(_ root: ConfigNode) throws(ConfigError) -> TimeZone {
        guard let node = try root.optional("timeZone") else { return defaultTimeZone }
        let identifier = try node.string()
        guard let zone = TimeZone(identifier: identifier) else {
            throw node.error("unknown time zone '\(identifier)' (use an IANA name such as Asia/Shanghai)")
        }
        return zone
    }

    private static func parseYear(_ node: ConfigNode, into listed: inout [ListedDay]) throws(ConfigError) -> Year {
        try node.allowKeys(["year", "notice", "holidays", "workdays"])
        let yearNode = try node.required("year")
        let year = try yearNode.int()
        guard (1900...2999).contains(year) else { throw yearNode.error("\(year) is not a plausible year") }
        let notice = try node.string("notice")
        var holidays: [Holiday] = []
        for holidayNode in try node.list("holidays") {
            try holidayNode.allowKeys(["name", "days", "from", "to"])
            let name = try holidayNode.string("name")
            let days = try parseDays(holidayNode, listKey: "days")
            for (date, dateNode) in days {
                listed.append(ListedDay(date: date, node: dateNode, noticeYear: year, isWorkingDay: false, label: name))
            }
            holidays.append(Holiday(name: name, days: days.map(\.0)))
        }
        var workdays: [AdjustedWorkday] = []
        for workdayNode in try node.list("workdays") {
            let (date, dateNode, note) = try parseSingleDay(workdayNode)
            listed.append(ListedDay(date: date, node: dateNode, noticeYear: year, isWorkingDay: true, label: note ?? "调休上班"))
            workdays.append(AdjustedWorkday(date: date, note: note))
        }
        return Year(year: year, notice: notice, holidays: holidays, workdays: workdays)
    }

    private static func validate(years: [(Year, ConfigNode)], listed: [ListedDay]) -> [ConfigError] {
        var problems: [ConfigError] = []
        var yearNodes: [Int: ConfigNode] = [:]
        for (year, node) in years {
            if yearNodes[year.year] != nil {
                problems.append(node.error("year \(year.year) appears twice"))
            } else {
                yearNodes[year.year] = node
            }
        }
        let numbers = yearNodes.keys.sorted()
        for (previous, next) in zip(numbers, numbers.dropFirst()) where next != previous + 1 {
            problems.append(yearNodes[next]!.error("years must be consecutive: \(previous) is followed by \(next); add the years between"))
        }
        var seen: [CivilDate: ListedDay] = [:]
        for day in listed {
            if let reason = dateProblem(day.date, noticeYear: day.noticeYear) {
                problems.append(day.node.error(reason))
                continue
            }
            if day.isWorkingDay, let reason = workdayProblem(day.date) {
                problems.append(day.node.error(reason))
                continue
            }
            if let earlier = seen[day.date] {
                let what = { (d: ListedDay) in d.isWorkingDay ? "an adjusted working day (\(d.label))" : "a holiday (\(d.label))" }
                if earlier.isWorkingDay == day.isWorkingDay {
                    problems.append(day.node.error("\(day.date) is listed twice, already as \(what(earlier)) at line \(earlier.node.line)"))
                } else {
                    problems.append(
                        day.node.error(
                            "\(day.date) is both \(what(earlier)) at line \(earlier.node.line) and \(what(day)); a day is either off or on")
                    )
                }
                continue
            }
            seen[day.date] = day
        }
        return problems
    }
}

extension WorkCalendar.LocalAdjustments {
    /// Parses a tenant's local days:
    ///
    /// ```yaml
    /// name: 文昌湖区本地安排
    /// daysOff:
    ///   - date: 2026-03-02
    ///     note: 暴雪停工
    ///   - from: 2026-07-13          # a range, both ends included
    ///     to: 2026-07-14
    /// daysOn:
    ///   - 2026-03-07                # a bare date is accepted
    /// ```
    ///
    /// A day both off and on, or listed twice, is an error naming file, line and column.
    public static func parse(_ text: String, file: String) throws(ConfigErrors) -> WorkCalendar.LocalAdjustments {
        var problems: [ConfigError] = []
        do throws(ConfigError) {
            let root = try ConfigNode.parse(text, file: file)
            try root.allowKeys(["name", "daysOff", "daysOn"])
            let name = try root.string("name")
            var seen: [CivilDate: (ConfigNode, Bool)] = [:]
            var daysOff: [WorkCalendar.LocalDay] = []
            var daysOn: [WorkCalendar.LocalDay] = []
            for (key, isOn) in [("daysOff", false), ("daysOn", true)] {
                for item in try root.list(key) {
                    let (days, note) = try parseLocalItem(item)
                    for (date, node) in days {
                        if let (earlier, earlierIsOn) = seen[date] {
                            problems.append(
                                node.error(
                                    earlierIsOn == isOn
                                        ? "\(date) is listed twice (first at line \(earlier.line))"
                                        : "\(date) is both a local day off and a local day on (other at line \(earlier.line))"))
                            continue
                        }
                        seen[date] = (node, isOn)
                        let day = WorkCalendar.LocalDay(date: date, note: note)
                        if isOn { daysOn.append(day) } else { daysOff.append(day) }
                    }
                }
            }
            if problems.isEmpty {
                do {
                    return try WorkCalendar.LocalAdjustments(name: name, daysOff: daysOff, daysOn: daysOn)
                } catch {
                    problems = [root.error(error.description)]
                }
            }
        } catch {
            problems = [error]
        }
        throw ConfigErrors(problems)
    }

    private static func parseLocalItem(_ node: ConfigNode) throws(ConfigError) -> ([(CivilDate, ConfigNode)], String?) {
        guard node.isMapping else { return ([(try parseDate(node), node)], nil) }
        try node.allowKeys(["date", "from", "to", "note"])
        let note = try node.optionalString("note")
        return (try parseDays(node, listKey: "date"), note)
    }
}

// MARK: - Dates

/// A `YYYY-MM-DD` date, or an error at the node.
private func parseDate(_ node: ConfigNode) throws(ConfigError) -> CivilDate {
    let text = try node.string()
    guard let date = CivilDate(text) else {
        throw node.error("'\(text)' is not a date: write YYYY-MM-DD, such as 2026-02-14")
    }
    return date
}

/// The longest run that `from`/`to` accepts; longer ones are almost certainly typos.
private let longestRange = 15

/// The days of a mapping that has either `listKey` (one date or a list of dates) or `from` and `to`
/// (both included), each with the node it came from.
private func parseDays(_ node: ConfigNode, listKey: String) throws(ConfigError) -> [(CivilDate, ConfigNode)] {
    let listNode = try node.optional(listKey)
    let fromNode = try node.optional("from")
    let toNode = try node.optional("to")
    switch (listNode, fromNode, toNode) {
    case (let list?, nil, nil):
        let items: [ConfigNode]
        if list.isMapping { throw list.error("expected a date or a list of dates") }
        do { items = try list.items() } catch { items = [list] }
        guard !items.isEmpty else { throw list.error("list at least one date") }
        var days: [(CivilDate, ConfigNode)] = []
        for item in items { days.append((try parseDate(item), item)) }
        return days
    case (nil, let from?, let to?):
        let first = try parseDate(from)
        let last = try parseDate(to)
        guard first <= last else { throw to.error("\(last) is before 'from' (\(first))") }
        guard first.days(to: last) < longestRange else {
            throw to.error("\(first) to \(last) is \(first.days(to: last) + 1) days, longer than \(longestRange); check the dates")
        }
        return (0...first.days(to: last)).map { (first.adding(days: $0), from) }
    case (nil, let from?, nil):
        throw from.error("'from' needs a 'to' (the last day, included)")
    case (nil, nil, let to?):
        throw to.error("'to' needs a 'from' (the first day, included)")
    case (nil, nil, nil):
        throw node.error("give '\(listKey)' or 'from' and 'to'")
    case (let list?, _, _):
        throw list.error("give either '\(listKey)' or 'from' and 'to', not both")
    }
}

/// A bare date, or a mapping with `date` and an optional `note`.
private func parseSingleDay(_ node: ConfigNode) throws(ConfigError) -> (CivilDate, ConfigNode, String?) {
    guard node.isMapping else { return (try parseDate(node), node, nil) }
    try node.allowKeys(["date", "note"])
    let dateNode = try node.required("date")
    return (try parseDate(dateNode), dateNode, try node.optionalString("note"))
}
