import Foundation

/// A member of a specialist team (专班, 执法中队), who takes turns on duty.
public struct TeamMember: Sendable, Hashable, Codable {
    public var code: String
    public var name: String
    /// For robots' @-mentions and the roster's feed.
    public var mobile: String?

    public init(code: String, name: String, mobile: String? = nil) {
        self.code = code
        self.name = name
        self.mobile = mobile
    }
}

/// One layer of a team's roster: members taking turns, handing over at a fixed local time.
public struct Rotation: Sendable, Hashable {
    public enum Cadence: Sendable, Hashable {
        /// A new member every calendar day.
        case daily
        /// A new member every seven days.
        case weekly
        /// A new member on every n-th working day of the tenant's calendar; whoever holds the
        /// shift keeps it through the weekends and holidays in between.
        case workingDays(Int)
    }

    /// When a layer covers: around the clock, or a daily window (on working days only, or every day).
    public struct Window: Sendable, Hashable {
        /// Minutes after local midnight; `to` after `from` (a window does not cross midnight).
        public var from: Int
        public var to: Int
        public var workingDaysOnly: Bool

        public init(from: Int, to: Int, workingDaysOnly: Bool) {
            self.from = from
            self.to = to
            self.workingDaysOnly = workingDaysOnly
        }
    }

    public var code: String
    public var cadence: Cadence
    /// Member codes, in turn order.
    public var members: [String]
    /// The day of the first hand-over (for `workingDays`, a working day).
    public var start: CivilDate
    /// The local hand-over time, in minutes after midnight.
    public var handOver: Int
    /// Where layers overlap, the higher priority decides who is on duty.
    public var priority: Int
    /// Nil: the layer covers around the clock.
    public var window: Window?
    /// The zone its start, hand-over and window are local to; nil: the tenant's calendar's. Working
    /// days are the tenant calendar's, on the rotation's local date.
    public var timeZone: TimeZone?

    public init(
        code: String, cadence: Cadence, members: [String], start: CivilDate, handOver: Int, priority: Int = 0, window: Window? = nil,
        timeZone: TimeZone? = nil
    ) {
        self.code = code
        self.cadence = cadence
        self.members = members
        self.start = start
        self.handOver = handOver
        self.priority = priority
        self.window = window
        self.timeZone = timeZone
    }
}

/// A one-off change that wins over every rotation: a swap, a sick day's stand-in.
public struct RosterOverride: Sendable, Hashable, Codable {
    /// Who is on duty instead.
    public var member: String
    public var from: Date
    public var to: Date
    public var reason: String

    public init(member: String, from: Date, to: Date, reason: String) {
        self.member = member
        self.from = from
        self.to = to
        self.reason = reason
    }
}

/// Who is on duty, from when to when, and why (a rotation's code, or `override`).
public struct DutyShift: Sendable, Hashable {
    public var member: String
    public var start: Date
    public var end: Date
    public var source: String

    public init(member: String, start: Date, end: Date, source: String) {
        self.member = member
        self.start = start
        self.end = end
        self.source = source
    }
}

/// A team's roster (排班): rotations layered by priority, and overrides that win over them.
/// Every answer is counted in the tenant's calendar and time zone.
public struct Roster: Sendable, Hashable {
    public var team: String
    public var rotations: [Rotation]
    public var overrides: [RosterOverride]

    public init(team: String, rotations: [Rotation], overrides: [RosterOverride] = []) {
        self.team = team
        self.rotations = rotations
        self.overrides = overrides
    }

    /// Who is on duty at `moment`, with the shift's source; nil when nobody is (a gap).
    public func onDuty(at moment: Date, calendar: WorkCalendar) throws(WorkCalendarError) -> (member: String, source: String)? {
        // The latest override wins over earlier ones and over every rotation.
        if let override = overrides.last(where: { $0.from <= moment && moment < $0.to }) {
            return (override.member, "override")
        }
        for rotation in rotations.sorted(by: { $0.priority > $1.priority }) {
            if let member = try rotation.member(at: moment, calendar: calendar) { return (member, rotation.code) }
        }
        return nil
    }

    /// The shifts in `[from, to)`, clipped to it, with consecutive pieces of one member's duty
    /// from one source merged; what no shift covers is a gap.
    public func shifts(from: Date, to: Date, calendar: WorkCalendar) throws(WorkCalendarError) -> [DutyShift] {
        var result: [DutyShift] = []
        let points = boundaries(from: from, to: to, calendar: calendar)
        for (start, end) in zip(points, points.dropFirst()) where start < end {
            guard let duty = try onDuty(at: start, calendar: calendar) else { continue }
            if let last = result.last, last.member == duty.member, last.source == duty.source, last.end == start {
                result[result.count - 1].end = end
            } else {
                result.append(DutyShift(member: duty.member, start: start, end: end, source: duty.source))
            }
        }
        return result
    }

    /// The stretches of `[from, to)` nobody is on duty for.
    public func gaps(from: Date, to: Date, calendar: WorkCalendar) throws(WorkCalendarError) -> [DateInterval] {
        var gaps: [DateInterval] = []
        var cursor = from
        for shift in try shifts(from: from, to: to, calendar: calendar) {
            if shift.start > cursor { gaps.append(DateInterval(start: cursor, end: shift.start)) }
            cursor = max(cursor, shift.end)
        }
        if cursor < to { gaps.append(DateInterval(start: cursor, end: to)) }
        return gaps
    }

    /// Every moment in `[from, to]` where who is on duty may change: hand-overs and window edges
    /// of each day, and overrides' ends.
    private func boundaries(from: Date, to: Date, calendar: WorkCalendar) -> [Date] {
        let zone = calendar.timeZone
        var points: Set<Date> = [from, to]
        // A day either side: a rotation in another zone has its local days shifted by up to one.
        var day = CivilDate(from, in: zone).adding(days: -2)
        let last = CivilDate(to, in: zone).adding(days: 1)
        while day <= last {
            points.insert(day.start(in: zone))
            for rotation in rotations {
                let local = rotation.timeZone ?? zone
                points.insert(day.start(in: local))
                points.insert(Rotation.moment(day, minutes: rotation.handOver, zone: local))
                if let window = rotation.window {
                    points.insert(Rotation.moment(day, minutes: window.from, zone: local))
                    points.insert(Rotation.moment(day, minutes: window.to, zone: local))
                }
            }
            day = day.adding(days: 1)
        }
        for override in overrides {
            points.insert(override.from)
            points.insert(override.to)
        }
        return points.filter { $0 >= from && $0 <= to }.sorted()
    }
}

extension Rotation {
    static func moment(_ day: CivilDate, minutes: Int, zone: TimeZone) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        return calendar.date(from: DateComponents(year: day.year, month: day.month, day: day.day, hour: minutes / 60, minute: minutes % 60))!
    }

    /// The member this layer has on duty at `moment`; nil outside its window or before its start.
    public func member(at moment: Date, calendar: WorkCalendar) throws(WorkCalendarError) -> String? {
        guard !members.isEmpty else { return nil }
        let zone = timeZone ?? calendar.timeZone
        let today = CivilDate(moment, in: zone)
        var parts = Calendar(identifier: .gregorian)
        parts.timeZone = zone
        let time = parts.dateComponents([.hour, .minute], from: moment)
        let minutes = time.hour! * 60 + time.minute!
        if let window {
            guard minutes >= window.from, minutes < window.to else { return nil }
            if window.workingDaysOnly, !(try calendar.isWorkingDay(today)) { return nil }
        }
        // The shift a moment belongs to began at the last hand-over: today's, or yesterday's.
        let shiftDay = minutes >= handOver ? today : today.adding(days: -1)
        guard shiftDay >= start else { return nil }
        let turn: Int
        switch cadence {
        case .daily:
            turn = start.days(to: shiftDay)
        case .weekly:
            turn = start.days(to: shiftDay) / 7
        case .workingDays(let n):
            // Working days from the start to the shift's day, both counted: the holder of the last
            // hand-over keeps the shift through the days off that follow it.
            var count = 0
            var day = start
            while day <= shiftDay {
                if try calendar.isWorkingDay(day) { count += 1 }
                day = day.adding(days: 1)
            }
            guard count > 0 else { return nil }
            turn = (count - 1) / max(n, 1)
        }
        return members[turn % members.count]
    }
}

extension Roster {
    /// `horizonDays` after `moment`, but no further than the calendar's last covered day: past it
    /// nobody can tell which days are working days, and a duty that reaches it is one whose end
    /// is not known yet (the year's holiday notice is not in).
    static func horizon(from moment: Date, days: Int, calendar: WorkCalendar) -> Date {
        calendar.cut(moment.addingTimeInterval(Double(days) * 86_400), from: moment)
    }

    /// Who gets a task at `moment`: the member on duty and when their shift ends (nil when it does
    /// not end within `horizonDays`, or before the calendar runs out); nil when nobody is on duty.
    public func assignment(
        at moment: Date, calendar: WorkCalendar, horizonDays: Int = 31
    ) throws(WorkCalendarError) -> (member: String, source: String, until: Date?)? {
        let horizon = Self.horizon(from: moment, days: horizonDays, calendar: calendar)
        guard let first = try shifts(from: moment, to: horizon, calendar: calendar).first, first.start == moment else { return nil }
        // Merged pieces of one member from different sources are one duty for the task.
        var until = first.end
        for shift in try shifts(from: first.end, to: horizon, calendar: calendar) {
            guard shift.start == until, shift.member == first.member else { break }
            until = shift.end
        }
        return (first.member, first.source, until < horizon ? until : nil)
    }

    /// When somebody is next on duty after a gap that covers `moment`: nil when nobody is within
    /// `horizonDays` (or before the calendar runs out).
    public func nextDutyStart(after moment: Date, calendar: WorkCalendar, horizonDays: Int = 31) throws(WorkCalendarError) -> Date? {
        let horizon = Self.horizon(from: moment, days: horizonDays, calendar: calendar)
        return try shifts(from: moment, to: horizon, calendar: calendar).first?.start
    }
}
