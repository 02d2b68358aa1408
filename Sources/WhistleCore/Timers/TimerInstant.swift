import Foundation

/// A point on a timer wheel's time line, in whole milliseconds.
///
/// The wheel never reads a clock: its owner converts the time it was given (a `Date` from an
/// injected clock, a replayed campaign's accelerated time) into instants. By convention the origin
/// is the Unix epoch, so `TimerInstant(date)` and `date` convert both ways; any origin works as long
/// as one wheel uses one.
public struct TimerInstant: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Milliseconds since the origin; negative values are allowed.
    public var milliseconds: Int64

    public init(milliseconds: Int64) {
        self.milliseconds = milliseconds
    }

    /// The instant of `date`, rounded up to the next whole millisecond so that a timer due at
    /// `date` never fires before it. A date within a microsecond of a whole millisecond (floating-point
    /// noise, as in `instant.date`) maps to that millisecond, so instants survive a round trip.
    public init(_ date: Date) {
        let exact = date.timeIntervalSince1970 * 1000
        let nearest = exact.rounded()
        self.milliseconds = Int64(abs(exact - nearest) < 0.001 ? nearest : exact.rounded(.up))
    }

    /// This instant as a `Date` (with a Unix-epoch origin).
    public var date: Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }

    /// This instant moved by `milliseconds` (negative moves it back); saturates at the ends of `Int64`.
    public func advanced(byMilliseconds milliseconds: Int64) -> TimerInstant {
        let (sum, overflow) = self.milliseconds.addingReportingOverflow(milliseconds)
        if overflow { return TimerInstant(milliseconds: milliseconds > 0 ? .max : .min) }
        return TimerInstant(milliseconds: sum)
    }

    /// This instant moved by `duration`, truncated to whole milliseconds.
    public func advanced(by duration: Duration) -> TimerInstant {
        let (seconds, attoseconds) = duration.components
        let (ms, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return TimerInstant(milliseconds: seconds > 0 ? .max : .min) }
        return advanced(byMilliseconds: ms).advanced(byMilliseconds: attoseconds / 1_000_000_000_000_000)
    }

    public static func < (lhs: TimerInstant, rhs: TimerInstant) -> Bool { lhs.milliseconds < rhs.milliseconds }

    public var description: String { "\(milliseconds) ms" }
}

extension TimerInstant: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int64) {
        self.milliseconds = value
    }
}
