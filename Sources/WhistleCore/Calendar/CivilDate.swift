import Foundation

/// A day on the proleptic Gregorian calendar, without a time or a time zone: `2026-02-14`.
///
/// Working-day rules are facts about civil dates (a notice says "2月14日（周六）上班"), so the
/// calendar speaks in `CivilDate`s and converts to moments only at the edges, in a named zone.
/// Arithmetic uses a day number (days since 1970-01-01), which makes adding days and finding
/// the weekday exact and cheap.
public struct CivilDate: Hashable, Comparable, Sendable {
    public let year: Int
    /// 1...12
    public let month: Int
    /// 1...31, valid for the month
    public let day: Int

    /// A date, or nil when the month or the day does not exist (`2025-02-29`).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), day >= 1, day <= CivilDate.daysInMonth(year: year, month: month) else {
            return nil
        }
        self.year = year
        self.month = month
        self.day = day
    }

    /// A date known to be valid, for literals in code and tests; traps on an impossible date.
    public init(_ year: Int, _ month: Int, _ day: Int) {
        guard let date = CivilDate(year: year, month: month, day: day) else {
            preconditionFailure("\(year)-\(month)-\(day) is not a date")
        }
        self = date
    }

    /// The date `dayNumber` days after 1970-01-01 (negative numbers go before it).
    public init(dayNumber: Int) {
        // Howard Hinnant's civil_from_days: exact for every Int day number in range.
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        self.year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        self.month = month
        self.day = day
    }

    /// Days since 1970-01-01.
    public var dayNumber: Int {
        // Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public static func isLeapYear(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// The day of the week.
    public var weekday: Weekday {
        // 1970-01-01 was a Thursday.
        let index = ((dayNumber + 3) % 7 + 7) % 7  // 0 = Monday
        return Weekday(rawValue: index + 1)!
    }

    /// Saturday or Sunday: a day off unless a notice makes it an adjusted working day.
    public var isWeekend: Bool { weekday == .saturday || weekday == .sunday }

    public func adding(days: Int) -> CivilDate { CivilDate(dayNumber: dayNumber + days) }

    /// Days from `self` to `other` (positive when `other` is later).
    public func days(to other: CivilDate) -> Int { other.dayNumber - dayNumber }

    public static func < (lhs: CivilDate, rhs: CivilDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }
}

/// Days of the week, numbered as ISO 8601 does (Monday = 1 … Sunday = 7).
public enum Weekday: Int, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case monday = 1, tuesday, wednesday, thursday, friday, saturday, sunday

    /// `Monday` … `Sunday`.
    public var description: String {
        ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"][rawValue - 1]
    }

    /// 周一 … 周日, as the State Council notices write them.
    public var chineseName: String {
        ["周一", "周二", "周三", "周四", "周五", "周六", "周日"][rawValue - 1]
    }
}

// MARK: Text

extension CivilDate: LosslessStringConvertible {
    /// Parses exactly `YYYY-MM-DD` (ISO 8601 calendar date, four-digit year); anything else is nil.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10) else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// `YYYY-MM-DD`.
    public var description: String {
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }
}

extension CivilDate: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = CivilDate(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not a YYYY-MM-DD date")
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

// MARK: Moments

extension CivilDate {
    /// The local date of `moment` in `timeZone`.
    public init(_ moment: Date, in timeZone: TimeZone) {
        self.init(moment, calendar: .gregorianCivil(in: timeZone))
    }

    init(_ moment: Date, calendar: Calendar) {
        let parts = calendar.dateComponents([.year, .month, .day], from: moment)
        self.init(parts.year!, parts.month!, parts.day!)
    }

    /// The first moment of this date in `timeZone` (local midnight, or the first valid time
    /// after it where a daylight-saving change skips midnight).
    public func start(in timeZone: TimeZone) -> Date {
        start(calendar: .gregorianCivil(in: timeZone))
    }

    func start(calendar: Calendar) -> Date {
        calendar.startOfDay(for: calendar.date(from: DateComponents(year: year, month: month, day: day, hour: 12))!)
    }
}

extension Calendar {
    /// A Gregorian calendar that reads and builds dates in `timeZone`.
    static func gregorianCivil(in timeZone: TimeZone) -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar
    }
}

// MARK: Months

extension CivilDate {
    /// The first day of the month written `YYYY-MM` (years 2000 to 2200, as campaigns have them); nil otherwise.
    public init?(month text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let year = Int(parts[0]), let month = Int(parts[1]),
            (2000...2200).contains(year), (1...12).contains(month)
        else { return nil }
        self.init(year, month, 1)
    }

    /// The month's key, `YYYY-MM`.
    public var monthKey: String {
        String(description.prefix(7))
    }

    /// The first day of the month after this date's.
    public var nextMonth: CivilDate {
        month == 12 ? CivilDate(year + 1, 1, 1) : CivilDate(year, month + 1, 1)
    }
}
