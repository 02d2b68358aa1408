import Foundation

/// The limits a task is given: from its liability-list entry, or a tenant's defaults.
public struct DeadlineLimits: Sendable, Hashable {
    /// Report in (报到/签收) within this many hours of dispatch; wall time, holidays included.
    public var acknowledgeHours: Int?
    /// Rectify (整改) within this many working days of dispatch.
    public var rectifyWorkingDays: Int?

    public init(acknowledgeHours: Int? = nil, rectifyWorkingDays: Int? = nil) {
        self.acknowledgeHours = acknowledgeHours
        self.rectifyWorkingDays = rectifyWorkingDays
    }
}

/// When a task's acknowledge, rectify and feedback limits end.
///
/// The rectify limit comes from the liability-list entry, else the tenant's default, else the rule
/// of seed `001` (濉溪县, 督查督办): "交办事项有明确时限的按时限办结, 没有明确时限的一般在1周内办结,
/// 最长不超过1个月". Read in working days, as every rectify limit in Whistle is:
///
/// - **one week = 5 working days** (`fallbackRectifyWorkingDays`): a working week, so a task
///   dispatched on a Monday morning is due the next Monday morning, and one across a holiday is not
///   cut short by it;
/// - **one month = 22 working days** (`maximumRectifyWorkingDays`): a month has 20 to 23 working
///   days, 22 being the usual figure (4.4 weeks of 5). Every rectify limit, from the list or the
///   tenant, is capped at it; an approved extension (延期) is added on top by the caller and is not
///   capped, because the campaign office granted it explicitly.
///
/// Feedback (办结反馈) is due within `feedbackWorkingDays` (1) working day of completion. All
/// working-day limits follow `WorkCalendar`'s rule; the acknowledge limit is wall time and has no
/// built-in default: without one from the entry or the tenant, no acknowledge deadline is set.
public struct DeadlinePolicy: Sendable, Hashable {
    /// Seed `001`: "一般在1周内办结".
    public static let fallbackRectifyWorkingDays = 5
    /// Seed `001`: "最长不超过1个月".
    public static let maximumRectifyWorkingDays = 22
    /// Seed `001`: "办结后1个工作日内反馈".
    public static let feedbackWorkingDays = 1

    public var calendar: WorkCalendar
    /// The tenant's defaults, used where the liability-list entry gives no limit.
    public var defaults: DeadlineLimits
    /// The tenant's zone; the calendar's when nil.
    public var timeZone: TimeZone?

    public init(calendar: WorkCalendar, defaults: DeadlineLimits = DeadlineLimits(), timeZone: TimeZone? = nil) {
        self.calendar = calendar
        self.defaults = defaults
        self.timeZone = timeZone
    }

    /// The deadlines of a task dispatched at `dispatchedAt` with the entry's `limits`.
    ///
    /// - Throws: `.invalidLimit` for a limit below 1; `.calendar` when the deadline falls in a year the
    ///   calendar does not cover.
    public func deadlines(dispatchedAt: Date, limits: DeadlineLimits = DeadlineLimits()) throws(DeadlineError) -> TaskDeadlines {
        let acknowledgeDue = try acknowledgeDue(dispatchedAt: dispatchedAt, limits: limits)
        let source: TaskDeadlines.Source
        let requested: Int
        if let days = limits.rectifyWorkingDays {
            (source, requested) = (.entry, days)
        } else if let days = defaults.rectifyWorkingDays {
            (source, requested) = (.tenantDefault, days)
        } else {
            (source, requested) = (.seedRule, Self.fallbackRectifyWorkingDays)
        }
        guard requested >= 1 else {
            throw .invalidLimit("a rectify limit must be at least 1 working day, got \(requested)")
        }
        let days = min(requested, Self.maximumRectifyWorkingDays)
        let rectifyDue: Date
        do {
            rectifyDue = try calendar.addWorkingDays(from: dispatchedAt, days: days, in: timeZone)
        } catch {
            throw .calendar(error)
        }
        return TaskDeadlines(
            acknowledgeDue: acknowledgeDue,
            rectifyDue: rectifyDue, rectifyWorkingDays: days, rectifySource: source,
            wasCapped: days < requested)
    }

    /// When reporting in (报到/签收) is due, or nil without an acknowledge limit. Wall time, so it
    /// needs no calendar: a task whose rectify deadline falls past the calendar's last year still
    /// has to report in on time.
    ///
    /// - Throws: `.invalidLimit` for a limit below 1 hour.
    public func acknowledgeDue(dispatchedAt: Date, limits: DeadlineLimits = DeadlineLimits()) throws(DeadlineError) -> Date? {
        guard let hours = limits.acknowledgeHours ?? defaults.acknowledgeHours else { return nil }
        guard hours >= 1 else { throw .invalidLimit("an acknowledge limit must be at least 1 hour, got \(hours)") }
        return dispatchedAt.addingTimeInterval(Double(hours) * 3600)
    }

    /// When the feedback on a task completed at `completedAt` is due: 1 working day later.
    public func feedbackDue(completedAt: Date) throws(DeadlineError) -> Date {
        do {
            return try calendar.addWorkingDays(from: completedAt, days: Self.feedbackWorkingDays, in: timeZone)
        } catch {
            throw .calendar(error)
        }
    }
}

/// A task's deadlines, and where the rectify limit came from.
public struct TaskDeadlines: Sendable, Hashable {
    /// Where the rectify limit came from.
    public enum Source: String, Sendable, Hashable {
        /// The liability-list entry.
        case entry
        /// The tenant's default.
        case tenantDefault
        /// Seed `001`'s one week, for want of any other.
        case seedRule
    }

    /// Nil when neither the entry nor the tenant sets an acknowledge limit.
    public var acknowledgeDue: Date?
    public var rectifyDue: Date
    /// The working days actually applied, after the one-month cap.
    public var rectifyWorkingDays: Int
    public var rectifySource: Source
    /// True when the requested limit exceeded the one-month cap and was cut to it.
    public var wasCapped: Bool
}

/// Why deadlines could not be computed.
public enum DeadlineError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalidLimit(String)
    case calendar(WorkCalendarError)

    public var description: String {
        switch self {
        case .invalidLimit(let reason): return reason
        case .calendar(let error): return error.description
        }
    }
}
