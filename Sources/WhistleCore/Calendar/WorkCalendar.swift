import Foundation

/// A working-day calendar: weekends, the statutory holidays and adjusted working days (调休)
/// that the State Council General Office announces each year, and a tenant's local days off or on.
///
/// ## The working-day rule
///
/// Every working-day limit in Whistle is computed by one rule, `addWorkingDays(from:days:in:)`:
///
/// 1. **A moment on a working day.** A limit of *N* working days from a moment ends at the same
///    local clock time on the *N*th working day after that moment's date. Dispatched on
///    Friday 2026-02-13 at 16:30 with 1 working day: due Saturday 2026-02-14 at 16:30, because
///    2026-02-14 is an adjusted working day (春节调休上班); with 2 working days: due Tuesday
///    2026-02-24 at 16:30, after the Spring Festival holiday 2026-02-15 … 2026-02-23.
/// 2. **A moment on a day off** (weekend, holiday, local day off) is treated as made at the start
///    (00:00, local) of the next working day; no office hour such as 09:00 is assumed. Rule 1 then
///    applies, so the limit ends at 00:00 of the *N*th working day after that next working day;
///    in other words the department gets *N* whole working days, counting the next working day
///    as the first. Reported Saturday 2026-03-07 with 1 working day: treated as Monday
///    2026-03-09 00:00, due Tuesday 2026-03-10 00:00 (the end of Monday).
/// 3. *N* = 0 returns the moment itself on a working day, or the start of the next working day.
///
/// Dates and clock times are read in the calendar's time zone (Asia/Shanghai by default) unless
/// another zone is passed. Hours-based limits (acknowledge within 2 hours) are plain wall time and
/// do not use this calendar.
///
/// ## Coverage
///
/// A calendar covers whole consecutive years, those of the notices it was given. Asking about a
/// day outside them throws `WorkCalendarError.yearNotCovered`: the calendar never guesses that a
/// year without a notice has only weekends off. `coverageEnd` and `coverageRunsOut(on:withinDays:)`
/// let the daemon warn before that happens.
public struct WorkCalendar: Sendable, Hashable {
    /// A display name, such as `中国法定节假日`.
    public let name: String
    /// The zone in which moments are read as dates and clock times.
    public let timeZone: TimeZone
    /// The yearly notices, in year order; the years are consecutive.
    public let years: [Year]
    /// Local adjustments applied on top of the notices, in the order they were merged (later ones win).
    public private(set) var localAdjustments: [LocalAdjustments]

    /// Statutory rules by day number: holidays (off) and adjusted working days (on).
    private var statutory: [Int: Rule]
    /// Local rules by day number; they take precedence over `statutory`.
    private var local: [Int: Rule]
    private let gregorian: Calendar

    /// How a listed day deviates from the weekday/weekend default.
    private struct Rule: Sendable, Hashable {
        var isWorkingDay: Bool
        var label: String?
    }

    /// How many days before `coverageEnd` the daemon starts warning.
    public static let coverageWarningDays = 60

    /// The default zone of Chinese tenants.
    public static let defaultTimeZone: TimeZone = TimeZone(identifier: "Asia/Shanghai") ?? TimeZone(secondsFromGMT: 8 * 3600)!

    /// Builds a calendar from yearly notices.
    ///
    /// Throws `.invalidDefinition` when years repeat or leave a gap, when a date lies outside its
    /// notice's year (only the last days of the December before may appear, as when a notice starts
    /// the New Year holiday on 12-31), when a day is both off and on, or when an adjusted working day
    /// is not a Saturday or Sunday.
    public init(name: String, timeZone: TimeZone = WorkCalendar.defaultTimeZone, years: [Year]) throws(WorkCalendarError) {
        let sorted = years.sorted { $0.year < $1.year }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where next.year != previous.year + 1 {
            throw .invalidDefinition(
                next.year == previous.year
                    ? "year \(next.year) appears twice"
                    : "years must be consecutive: \(previous.year) is followed by \(next.year)")
        }
        var statutory: [Int: Rule] = [:]
        for year in sorted {
            for holiday in year.holidays {
                for day in holiday.days {
                    if let reason = Self.dateProblem(day, noticeYear: year.year) { throw .invalidDefinition(reason) }
                    if statutory[day.dayNumber]?.isWorkingDay == true {
                        throw .invalidDefinition("\(day) is both a holiday (\(holiday.name)) and an adjusted working day")
                    }
                    statutory[day.dayNumber] = Rule(isWorkingDay: false, label: holiday.name)
                }
            }
            for workday in year.workdays {
                let day = workday.date
                if let reason = Self.dateProblem(day, noticeYear: year.year) ?? Self.workdayProblem(day) {
                    throw .invalidDefinition(reason)
                }
                if let rule = statutory[day.dayNumber], !rule.isWorkingDay {
                    throw .invalidDefinition("\(day) is both a holiday (\(rule.label ?? "")) and an adjusted working day")
                }
                statutory[day.dayNumber] = Rule(isWorkingDay: true, label: workday.note)
            }
        }
        self.name = name
        self.timeZone = timeZone
        self.years = sorted
        self.localAdjustments = []
        self.statutory = statutory
        self.local = [:]
        self.gregorian = .gregorianCivil(in: timeZone)
    }

    /// Why `date` cannot appear in the notice for `noticeYear`, or nil when it can.
    static func dateProblem(_ date: CivilDate, noticeYear: Int) -> String? {
        if date.year == noticeYear || (date.year == noticeYear - 1 && date.month == 12) { return nil }
        return "\(date) is not in \(noticeYear) (a notice covers its own year, and at most the end of the December before it)"
    }

    /// Why `date` cannot be an adjusted working day, or nil when it can.
    static func workdayProblem(_ date: CivilDate) -> String? {
        date.isWeekend
            ? nil
            : "\(date) is a \(date.weekday) (\(date.weekday.chineseName)), a working day already; an adjusted working day (调休上班) is a Saturday or Sunday"
    }

    // MARK: Local days

    /// This calendar with a tenant's local days off and on applied on top of the notices.
    ///
    /// A local day wins over the notices and over earlier merges. Local days outside the covered
    /// years are kept but do not extend coverage.
    public func merged(with adjustments: LocalAdjustments) -> WorkCalendar {
        var result = self
        result.localAdjustments.append(adjustments)
        for day in adjustments.daysOff { result.local[day.date.dayNumber] = Rule(isWorkingDay: false, label: day.note) }
        for day in adjustments.daysOn { result.local[day.date.dayNumber] = Rule(isWorkingDay: true, label: day.note) }
        return result
    }

    // MARK: Coverage

    /// The covered years, or nil for a calendar without notices (which answers nothing).
    public var coveredYears: ClosedRange<Int>? {
        guard let first = years.first, let last = years.last else { return nil }
        return first.year...last.year
    }

    /// The first day the calendar can answer for.
    public var coverageStart: CivilDate? { coveredYears.map { CivilDate($0.lowerBound, 1, 1) } }

    /// The last day the calendar can answer for: 12-31 of its last year.
    public var coverageEnd: CivilDate? { coveredYears.map { CivilDate($0.upperBound, 12, 31) } }

    /// `end`, but no later than the end of the last covered day when that falls after `start`:
    /// how far a look-ahead from `start` can go before the calendar has to guess. A `start`
    /// already past the coverage keeps `end`, so asking about it still throws.
    public func cut(_ end: Date, from start: Date) -> Date {
        guard let limit = coverageEnd?.adding(days: 1).start(in: timeZone), limit > start else { return end }
        return min(end, limit)
    }

    /// Whether the calendar can answer for `date`.
    public func covers(_ date: CivilDate) -> Bool { coveredYears?.contains(date.year) ?? false }

    /// Whether the coverage ends within `days` days after `today` (or already has), so the operator
    /// must add the next year's notice. True for a calendar without notices.
    public func coverageRunsOut(on today: CivilDate, withinDays days: Int = WorkCalendar.coverageWarningDays) -> Bool {
        guard let end = coverageEnd else { return true }
        return today.days(to: end) <= days
    }

    // MARK: Days

    /// What kind of day `date` is.
    public func kind(of date: CivilDate) throws(WorkCalendarError) -> DayKind {
        try requireCoverage(date)
        let number = date.dayNumber
        if let rule = local[number] {
            return rule.isWorkingDay ? .localDayOn(note: rule.label) : .localDayOff(note: rule.label)
        }
        if let rule = statutory[number] {
            return rule.isWorkingDay ? .adjustedWorkday(note: rule.label) : .holiday(name: rule.label ?? "")
        }
        return date.isWeekend ? .weekend : .weekday
    }

    /// Whether `date` is a working day.
    public func isWorkingDay(_ date: CivilDate) throws(WorkCalendarError) -> Bool {
        try requireCoverage(date)
        let number = date.dayNumber
        if let rule = local[number] ?? statutory[number] { return rule.isWorkingDay }
        return !date.isWeekend
    }

    /// Whether the local date of `moment` is a working day.
    public func isWorkingDay(at moment: Date, in timeZone: TimeZone? = nil) throws(WorkCalendarError) -> Bool {
        try isWorkingDay(CivilDate(moment, calendar: calendar(for: timeZone)))
    }

    /// The first working day strictly after `date`.
    public func nextWorkingDay(after date: CivilDate) throws(WorkCalendarError) -> CivilDate {
        var day = date.adding(days: 1)
        // Terminates: every covered year has working days, and leaving coverage throws.
        while try !isWorkingDay(day) { day = day.adding(days: 1) }
        return day
    }

    /// The working day before `date`.
    public func previousWorkingDay(before date: CivilDate) throws(WorkCalendarError) -> CivilDate {
        var day = date.adding(days: -1)
        while try !isWorkingDay(day) { day = day.adding(days: -1) }
        return day
    }

    /// `date` itself when it is a working day, otherwise the next working day.
    public func workingDay(onOrAfter date: CivilDate) throws(WorkCalendarError) -> CivilDate {
        try isWorkingDay(date) ? date : nextWorkingDay(after: date)
    }

    /// The date on which a limit of `days` working days, counted from the start of `date`, ends:
    /// the `days`th working day after `workingDay(onOrAfter: date)`. This is the date part of
    /// `addWorkingDays(from:days:in:)` for a moment at 00:00 of `date`.
    public func addingWorkingDays(_ days: Int, to date: CivilDate) throws(WorkCalendarError) -> CivilDate {
        guard days >= 0 else { throw .negativeWorkingDays(days) }
        var day = try workingDay(onOrAfter: date)
        for _ in 0..<days { day = try nextWorkingDay(after: day) }
        return day
    }

    /// The number of working days in `start ..< end` (negative when `end` is before `start`).
    public func workingDays(from start: CivilDate, to end: CivilDate) throws(WorkCalendarError) -> Int {
        if end < start { return -(try workingDays(from: end, to: start)) }
        var count = 0
        var day = start
        while day < end {
            if try isWorkingDay(day) { count += 1 }
            day = day.adding(days: 1)
        }
        return count
    }

    // MARK: Moments

    /// The end of a limit of `days` working days from `moment`, by the rule in the type's
    /// documentation: the same clock time on the `days`th working day after `moment`'s date, where a
    /// moment on a day off counts as 00:00 of the next working day.
    ///
    /// - Parameter timeZone: the zone to read dates and clock times in; the calendar's by default.
    /// - Throws: `.negativeWorkingDays` for `days < 0`; `.yearNotCovered` when the count reaches a day
    ///   outside the calendar.
    public func addWorkingDays(from moment: Date, days: Int, in timeZone: TimeZone? = nil) throws(WorkCalendarError) -> Date {
        guard days >= 0 else { throw .negativeWorkingDays(days) }
        let calendar = calendar(for: timeZone)
        let (date, start) = try normalized(moment, calendar: calendar)
        let end = try addingWorkingDays(days, to: date)
        return Self.sameClockTime(as: start, on: end, calendar: calendar)
    }

    /// The moment `days` working days before `moment`: the same clock time on the `days`th working
    /// day before its date (a reminder "one working day before the deadline"). Zero days is
    /// `moment` itself.
    ///
    /// - Throws: `.negativeWorkingDays` for `days < 0`; `.yearNotCovered` when the count reaches a day
    ///   outside the calendar.
    public func subtractWorkingDays(from moment: Date, days: Int, in timeZone: TimeZone? = nil) throws(WorkCalendarError) -> Date {
        guard days >= 0 else { throw .negativeWorkingDays(days) }
        guard days > 0 else { return moment }
        let calendar = calendar(for: timeZone)
        var day = CivilDate(moment, calendar: calendar)
        for _ in 0..<days { day = try previousWorkingDay(before: day) }
        return Self.sameClockTime(as: moment, on: day, calendar: calendar)
    }

    /// How many working days have passed from `start` to `end`: the largest *n* with
    /// `addWorkingDays(from: start, days: n) <= end`, so that a task is late by
    /// `workingDays(between: rectifyDue, and: now)` working days. Negative (the same count, negated)
    /// when `end` is before `start`.
    public func workingDays(between start: Date, and end: Date, in timeZone: TimeZone? = nil) throws(WorkCalendarError) -> Int {
        if end < start { return -(try workingDays(between: end, and: start, in: timeZone)) }
        let calendar = calendar(for: timeZone)
        let (first, from) = try normalized(start, calendar: calendar)
        guard from <= end else { return 0 }
        let last = CivilDate(end, calendar: calendar)
        guard first < last else { return 0 }
        // Whole working days strictly between, plus the last day once its clock time has come.
        var count = try workingDays(from: first.adding(days: 1), to: last)
        if try isWorkingDay(last), Self.sameClockTime(as: from, on: last, calendar: calendar) <= end {
            count += 1
        }
        return count
    }

    /// The working date a count starts from, and the moment it starts at (rule 2 moves a moment on a
    /// day off to 00:00 of the next working day).
    private func normalized(_ moment: Date, calendar: Calendar) throws(WorkCalendarError) -> (CivilDate, Date) {
        let date = CivilDate(moment, calendar: calendar)
        if try isWorkingDay(date) { return (date, moment) }
        let next = try nextWorkingDay(after: date)
        return (next, next.start(calendar: calendar))
    }

    /// `moment`'s local clock time on `date`. Where a daylight-saving change skips that time,
    /// Foundation's next valid time is used (Asia/Shanghai has no such change).
    static func sameClockTime(as moment: Date, on date: CivilDate, calendar: Calendar) -> Date {
        let time = calendar.dateComponents([.hour, .minute, .second, .nanosecond], from: moment)
        if time.hour == 0, time.minute == 0, time.second == 0, time.nanosecond == 0 {
            return date.start(calendar: calendar)
        }
        var parts = DateComponents(year: date.year, month: date.month, day: date.day)
        parts.hour = time.hour
        parts.minute = time.minute
        parts.second = time.second
        let whole = calendar.date(from: parts)!
        // Keep the sub-second part exactly rather than trusting a nanosecond round trip.
        let fraction = moment.timeIntervalSinceReferenceDate - moment.timeIntervalSinceReferenceDate.rounded(.down)
        return Date(timeIntervalSinceReferenceDate: whole.timeIntervalSinceReferenceDate + fraction)
    }

    private func calendar(for timeZone: TimeZone?) -> Calendar {
        guard let timeZone, timeZone != self.timeZone else { return gregorian }
        return .gregorianCivil(in: timeZone)
    }

    private func requireCoverage(_ date: CivilDate) throws(WorkCalendarError) {
        guard covers(date) else { throw .yearNotCovered(year: date.year, calendar: name, covered: coveredYears) }
    }
}

// MARK: - Parts

extension WorkCalendar {
    /// One year's State Council notice: its title, the holidays and the adjusted working days.
    public struct Year: Sendable, Hashable {
        public var year: Int
        /// The notice's title, such as `国务院办公厅关于2026年部分节假日安排的通知`.
        public var notice: String
        public var holidays: [Holiday]
        /// 调休上班: weekend days that are working days.
        public var workdays: [AdjustedWorkday]

        public init(year: Int, notice: String, holidays: [Holiday], workdays: [AdjustedWorkday]) {
            self.year = year
            self.notice = notice
            self.holidays = holidays
            self.workdays = workdays
        }
    }

    /// A statutory holiday and all its days off, weekend days included (春节: 2026-02-15 … 2026-02-23).
    public struct Holiday: Sendable, Hashable {
        public var name: String
        public var days: [CivilDate]

        public init(name: String, days: [CivilDate]) {
            self.name = name
            self.days = days
        }

        /// A holiday running from `first` through `last`, both included.
        public init(name: String, from first: CivilDate, through last: CivilDate) {
            self.name = name
            self.days = (0...max(0, first.days(to: last))).map { first.adding(days: $0) }
        }
    }

    /// A Saturday or Sunday that the notice makes a working day (调休上班).
    public struct AdjustedWorkday: Sendable, Hashable {
        public var date: CivilDate
        /// Such as `春节调休上班`.
        public var note: String?

        public init(date: CivilDate, note: String? = nil) {
            self.date = date
            self.note = note
        }
    }

    /// A tenant's own days off (a local holiday, a closure) and days on, on top of the notices.
    public struct LocalAdjustments: Sendable, Hashable {
        public var name: String
        public var daysOff: [LocalDay]
        public var daysOn: [LocalDay]

        /// Throws `.invalidDefinition` when a day is both off and on.
        public init(name: String, daysOff: [LocalDay] = [], daysOn: [LocalDay] = []) throws(WorkCalendarError) {
            let off = Set(daysOff.map(\.date))
            if let both = daysOn.first(where: { off.contains($0.date) }) {
                throw .invalidDefinition("\(both.date) is both a local day off and a local day on")
            }
            self.name = name
            self.daysOff = daysOff
            self.daysOn = daysOn
        }
    }

    /// One local day with an optional note.
    public struct LocalDay: Sendable, Hashable {
        public var date: CivilDate
        public var note: String?

        public init(date: CivilDate, note: String? = nil) {
            self.date = date
            self.note = note
        }
    }

    /// What a day is, and why.
    public enum DayKind: Sendable, Hashable {
        /// Monday to Friday with nothing announced.
        case weekday
        /// Saturday or Sunday with nothing announced.
        case weekend
        /// A statutory holiday (its name: 春节, 国庆节 …).
        case holiday(name: String)
        /// 调休上班.
        case adjustedWorkday(note: String?)
        case localDayOff(note: String?)
        case localDayOn(note: String?)

        public var isWorkingDay: Bool {
            switch self {
            case .weekday, .adjustedWorkday, .localDayOn: return true
            case .weekend, .holiday, .localDayOff: return false
            }
        }
    }
}

/// Why a working-day question has no answer.
public enum WorkCalendarError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The calendar has no notice for `year` (`covered` is nil for a calendar without notices).
    case yearNotCovered(year: Int, calendar: String, covered: ClosedRange<Int>?)
    /// A negative number of working days was asked for.
    case negativeWorkingDays(Int)
    /// Calendar data that contradicts itself (see `WorkCalendar.init`).
    case invalidDefinition(String)

    public var description: String {
        switch self {
        case .yearNotCovered(let year, let calendar, let covered):
            let range = covered.map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)–\($0.upperBound)" }
            return "calendar '\(calendar)' does not cover \(year)"
                + (range.map { " (it covers \($0)); add that year's holiday notice" } ?? " (it has no years); add the holiday notices")
        case .negativeWorkingDays(let days):
            return "a number of working days must not be negative, got \(days)"
        case .invalidDefinition(let reason):
            return reason
        }
    }
}
