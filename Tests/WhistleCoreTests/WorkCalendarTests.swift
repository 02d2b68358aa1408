import Foundation
import Testing
import WhistleCore

/// The repository's `config/calendars/cn.yaml`, found from this file (through symlinks).
private func chinaCalendarText() throws -> String {
    let here = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    let file = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("config/calendars/cn.yaml")
    return try String(contentsOf: file, encoding: .utf8)
}

private func china() throws -> WorkCalendar {
    try WorkCalendar.parse(try chinaCalendarText(), file: "cn.yaml")
}

enum WorkCalendarTests {
    /// The repository's national calendar, for other suites.
    static func repositoryCalendar() throws -> WorkCalendar { try china() }
}

private let shanghai = TimeZone(identifier: "Asia/Shanghai")!

/// A moment given as local Shanghai time.
private func at(_ y: Int, _ m: Int, _ d: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0) -> Date {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = shanghai
    return calendar.date(from: DateComponents(year: y, month: m, day: d, hour: hour, minute: minute, second: second))!
}

private func day(_ y: Int, _ m: Int, _ d: Int) -> CivilDate { CivilDate(y, m, d) }

@Suite("CivilDate")
struct CivilDateTests {
    @Test func parsesAndPrintsIsoDates() {
        #expect(CivilDate("2026-02-14") == day(2026, 2, 14))
        #expect(day(2026, 2, 14).description == "2026-02-14")
        #expect(CivilDate("2026-2-14") == nil)
        #expect(CivilDate("2026-02-30") == nil)
        #expect(CivilDate("2025-02-29") == nil)
        #expect(CivilDate("2024-02-29") == day(2024, 2, 29))
        #expect(CivilDate("2026-13-01") == nil)
        #expect(CivilDate("２026-01-01") == nil)
        #expect(CivilDate(year: 2026, month: 4, day: 31) == nil)
    }

    @Test func weekdaysMatchTheNotices() {
        #expect(day(1970, 1, 1).weekday == .thursday)
        #expect(day(2026, 1, 4).weekday == .sunday)
        #expect(day(2026, 2, 14).weekday == .saturday)
        #expect(day(2026, 2, 15).weekday == .sunday)
        #expect(day(2026, 2, 23).weekday == .monday)
        #expect(day(2026, 10, 1).weekday == .thursday)
        #expect(day(2025, 1, 28).weekday == .tuesday)
        #expect(day(1969, 12, 31).weekday == .wednesday)
        #expect(day(2000, 2, 29).weekday == .tuesday)
    }

    @Test func dayNumbersRoundTrip() {
        for number in stride(from: -800_000, through: 800_000, by: 997) {
            let date = CivilDate(dayNumber: number)
            #expect(date.dayNumber == number)
            #expect(CivilDate(year: date.year, month: date.month, day: date.day) == date)
        }
        #expect(day(2026, 3, 1).adding(days: -1) == day(2026, 2, 28))
        #expect(day(2024, 3, 1).adding(days: -1) == day(2024, 2, 29))
        #expect(day(2025, 12, 31).adding(days: 1) == day(2026, 1, 1))
        #expect(day(2026, 1, 1).days(to: day(2027, 1, 1)) == 365)
    }

    @Test func convertsMomentsInAZone() {
        // 2026-02-13 23:30 UTC is already Saturday 07:30 in Shanghai.
        let moment = Date(timeIntervalSince1970: 1_771_025_400)
        #expect(CivilDate(moment, in: TimeZone(identifier: "UTC")!) == day(2026, 2, 13))
        #expect(CivilDate(moment, in: shanghai) == day(2026, 2, 14))
        #expect(day(2026, 2, 14).start(in: shanghai) == at(2026, 2, 14))
    }
}

@Suite("China's working-day calendar")
struct ChinaCalendarTests {
    @Test func loadsBothYearsWithTheirNotices() throws {
        let calendar = try china()
        #expect(calendar.name == "中国法定节假日")
        #expect(calendar.timeZone == shanghai)
        #expect(calendar.years.map(\.year) == [2025, 2026])
        #expect(calendar.years.map(\.notice) == ["国务院办公厅关于2025年部分节假日安排的通知", "国务院办公厅关于2026年部分节假日安排的通知"])
        #expect(calendar.coveredYears == 2025...2026)
        #expect(calendar.coverageStart == day(2025, 1, 1))
        #expect(calendar.coverageEnd == day(2026, 12, 31))
    }

    /// Every day off of the notices, as published, holiday by holiday.
    static let daysOff: [(String, [CivilDate])] = [
        ("2025 元旦", [day(2025, 1, 1)]),
        ("2025 春节", (28...31).map { day(2025, 1, $0) } + (1...4).map { day(2025, 2, $0) }),
        ("2025 清明节", (4...6).map { day(2025, 4, $0) }),
        ("2025 劳动节", (1...5).map { day(2025, 5, $0) }),
        ("2025 端午节", [day(2025, 5, 31), day(2025, 6, 1), day(2025, 6, 2)]),
        ("2025 国庆节、中秋节", (1...8).map { day(2025, 10, $0) }),
        ("2026 元旦", (1...3).map { day(2026, 1, $0) }),
        ("2026 春节", (15...23).map { day(2026, 2, $0) }),
        ("2026 清明节", (4...6).map { day(2026, 4, $0) }),
        ("2026 劳动节", (1...5).map { day(2026, 5, $0) }),
        ("2026 端午节", (19...21).map { day(2026, 6, $0) }),
        ("2026 中秋节", (25...27).map { day(2026, 9, $0) }),
        ("2026 国庆节", (1...7).map { day(2026, 10, $0) }),
    ]

    /// Every adjusted working day (调休上班) of the notices, with the weekday the notice states.
    static let adjustedWorkdays: [(CivilDate, Weekday)] = [
        (day(2025, 1, 26), .sunday), (day(2025, 2, 8), .saturday), (day(2025, 4, 27), .sunday),
        (day(2025, 9, 28), .sunday), (day(2025, 10, 11), .saturday),
        (day(2026, 1, 4), .sunday), (day(2026, 2, 14), .saturday), (day(2026, 2, 28), .saturday),
        (day(2026, 5, 9), .saturday), (day(2026, 9, 20), .sunday), (day(2026, 10, 10), .saturday),
    ]

    @Test func everyHolidayIsADayOff() throws {
        let calendar = try china()
        for (holiday, days) in Self.daysOff {
            for date in days {
                #expect(try calendar.isWorkingDay(date) == false, "\(holiday): \(date)")
                guard case .holiday = try calendar.kind(of: date) else {
                    Issue.record("\(holiday): \(date) is not a holiday")
                    continue
                }
            }
        }
        #expect(try calendar.kind(of: day(2026, 2, 17)) == .holiday(name: "春节"))
        #expect(try calendar.kind(of: day(2025, 10, 6)) == .holiday(name: "国庆节、中秋节"))
        // The holidays in the file are exactly these: 28 days in 2025, 33 in 2026.
        let listed = calendar.years.flatMap { $0.holidays.flatMap(\.days) }
        #expect(Set(listed) == Set(Self.daysOff.flatMap(\.1)))
        #expect(calendar.years[0].holidays.flatMap(\.days).count == 28)
        #expect(calendar.years[1].holidays.flatMap(\.days).count == 33)
    }

    @Test func everyAdjustedWorkdayIsAWorkingWeekendDay() throws {
        let calendar = try china()
        for (date, weekday) in Self.adjustedWorkdays {
            #expect(date.weekday == weekday, "\(date)")
            #expect(try calendar.isWorkingDay(date), "\(date)")
            guard case .adjustedWorkday = try calendar.kind(of: date) else {
                Issue.record("\(date) is not an adjusted working day")
                continue
            }
        }
        let listed = calendar.years.flatMap { $0.workdays.map(\.date) }
        #expect(Set(listed) == Set(Self.adjustedWorkdays.map(\.0)))
        #expect(try calendar.kind(of: day(2026, 2, 28)) == .adjustedWorkday(note: "春节调休上班"))
    }

    @Test func ordinaryDaysFollowTheWeek() throws {
        let calendar = try china()
        #expect(try calendar.kind(of: day(2026, 3, 6)) == .weekday)
        #expect(try calendar.kind(of: day(2026, 3, 7)) == .weekend)
        #expect(try calendar.isWorkingDay(day(2026, 3, 8)) == false)
        #expect(try calendar.isWorkingDay(day(2026, 3, 9)))
    }

    @Test func eachYearHas248WorkingDays() throws {
        let calendar = try china()
        #expect(try calendar.workingDays(from: day(2025, 1, 1), to: day(2026, 1, 1)) == 248)
        #expect(try calendar.workingDays(from: day(2026, 1, 1), to: day(2027, 1, 1)) == 248)
        #expect(try calendar.workingDays(from: day(2027, 1, 1), to: day(2025, 1, 1)) == -496)
    }

    @Test func yearsWithoutANoticeAreAnError() throws {
        let calendar = try china()
        #expect(throws: WorkCalendarError.yearNotCovered(year: 2027, calendar: "中国法定节假日", covered: 2025...2026)) {
            try calendar.isWorkingDay(day(2027, 3, 1))
        }
        #expect(throws: WorkCalendarError.yearNotCovered(year: 2024, calendar: "中国法定节假日", covered: 2025...2026)) {
            try calendar.isWorkingDay(day(2024, 12, 31))
        }
        // Counting past the end of coverage is an error too, never a weekdays-only guess.
        #expect(throws: WorkCalendarError.yearNotCovered(year: 2027, calendar: "中国法定节假日", covered: 2025...2026)) {
            try calendar.addWorkingDays(from: at(2026, 12, 31, 10), days: 1)
        }
        do {
            _ = try calendar.addWorkingDays(from: at(2026, 12, 30, 10), days: 3)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("does not cover 2027"))
            #expect(error.description.contains("2025–2026"))
        }
        // The last covered day still answers.
        #expect(try calendar.addWorkingDays(from: at(2026, 12, 30, 10), days: 1) == at(2026, 12, 31, 10))
        let empty = try WorkCalendar(name: "empty", years: [])
        #expect(throws: WorkCalendarError.yearNotCovered(year: 2026, calendar: "empty", covered: nil)) {
            try empty.isWorkingDay(day(2026, 3, 2))
        }
        #expect(empty.coverageEnd == nil)
    }

    @Test func warnsSixtyDaysBeforeCoverageRunsOut() throws {
        let calendar = try china()
        #expect(calendar.coverageRunsOut(on: day(2026, 10, 31)) == false)  // 61 days left
        #expect(calendar.coverageRunsOut(on: day(2026, 11, 1)))  // 60 days left
        #expect(calendar.coverageRunsOut(on: day(2027, 1, 5)))
        #expect(calendar.coverageRunsOut(on: day(2026, 12, 1), withinDays: 7) == false)
    }
}

@Suite("Adding working days")
struct AddWorkingDaysTests {
    @Test func acrossThe2026SpringFestival() throws {
        let calendar = try china()
        let friday = at(2026, 2, 13, 16, 30)
        #expect(try calendar.addWorkingDays(from: friday, days: 0) == friday)
        #expect(try calendar.addWorkingDays(from: friday, days: 1) == at(2026, 2, 14, 16, 30))  // Saturday, 调休上班
        #expect(try calendar.addWorkingDays(from: friday, days: 2) == at(2026, 2, 24, 16, 30))  // after 2-15 … 2-23
        #expect(try calendar.addWorkingDays(from: friday, days: 5) == at(2026, 2, 27, 16, 30))
        #expect(try calendar.addWorkingDays(from: friday, days: 6) == at(2026, 2, 28, 16, 30))  // Saturday, 调休上班
        #expect(try calendar.addWorkingDays(from: friday, days: 7) == at(2026, 3, 2, 16, 30))
        // From the adjusted working day itself.
        #expect(try calendar.addWorkingDays(from: at(2026, 2, 14, 9), days: 1) == at(2026, 2, 24, 9))
        // Reported during the holiday: counts from 2-24 00:00, so 1 working day ends 2-25 00:00.
        #expect(try calendar.addWorkingDays(from: at(2026, 2, 17, 10), days: 1) == at(2026, 2, 25))
        #expect(try calendar.addWorkingDays(from: at(2026, 2, 17, 10), days: 0) == at(2026, 2, 24))
        // Reported on the last Sunday before it; the next working day is the Saturday 2-14.
        #expect(try calendar.addWorkingDays(from: at(2026, 2, 8, 20), days: 1) == at(2026, 2, 10))
    }

    @Test func acrossThe2026MidAutumnAndNationalDay() throws {
        let calendar = try china()
        #expect(try calendar.addWorkingDays(from: at(2026, 9, 18, 10), days: 1) == at(2026, 9, 20, 10))  // Sunday, 调休上班
        #expect(try calendar.addWorkingDays(from: at(2026, 9, 18, 10), days: 2) == at(2026, 9, 21, 10))
        #expect(try calendar.addWorkingDays(from: at(2026, 9, 24, 11), days: 1) == at(2026, 9, 28, 11))  // 中秋 9-25 … 9-27
        let eve = at(2026, 9, 30, 15)
        #expect(try calendar.addWorkingDays(from: eve, days: 1) == at(2026, 10, 8, 15))
        #expect(try calendar.addWorkingDays(from: eve, days: 2) == at(2026, 10, 9, 15))
        #expect(try calendar.addWorkingDays(from: eve, days: 3) == at(2026, 10, 10, 15))  // Saturday, 调休上班
        #expect(try calendar.addWorkingDays(from: eve, days: 4) == at(2026, 10, 12, 15))
        #expect(try calendar.addWorkingDays(from: at(2026, 10, 3, 20), days: 1) == at(2026, 10, 9))
    }

    @Test func aReportOnASaturday() throws {
        let calendar = try china()
        let saturday = at(2026, 3, 7, 14, 5)
        #expect(try calendar.isWorkingDay(at: saturday) == false)
        // Treated as made on Monday 2026-03-09 00:00: 1 working day is the whole Monday.
        #expect(try calendar.addWorkingDays(from: saturday, days: 0) == at(2026, 3, 9))
        #expect(try calendar.addWorkingDays(from: saturday, days: 1) == at(2026, 3, 10))
        #expect(try calendar.addWorkingDays(from: saturday, days: 5) == at(2026, 3, 16))
        #expect(try calendar.addingWorkingDays(1, to: day(2026, 3, 7)) == day(2026, 3, 10))
    }

    @Test func acrossTheYearEndAndThe2025Holidays() throws {
        let calendar = try china()
        #expect(try calendar.addWorkingDays(from: at(2025, 12, 31, 10), days: 1) == at(2026, 1, 4, 10))  // Sunday, 调休上班
        #expect(try calendar.addWorkingDays(from: at(2025, 1, 24, 9), days: 1) == at(2025, 1, 26, 9))
        #expect(try calendar.addWorkingDays(from: at(2025, 1, 24, 9), days: 3) == at(2025, 2, 5, 9))
        #expect(try calendar.addWorkingDays(from: at(2025, 4, 30, 18), days: 1) == at(2025, 5, 6, 18))
        #expect(try calendar.addWorkingDays(from: at(2025, 9, 30, 12), days: 1) == at(2025, 10, 9, 12))
    }

    @Test func momentsAreReadInTheCalendarsZoneUnlessTold() throws {
        let calendar = try china()
        let utc = TimeZone(identifier: "UTC")!
        // Friday 2026-02-13 23:30 UTC is Saturday 07:30 in Shanghai, an adjusted working day.
        let moment = Date(timeIntervalSince1970: 1_771_025_400)
        #expect(try calendar.addWorkingDays(from: moment, days: 1) == at(2026, 2, 24, 7, 30))
        // Read in UTC it is Friday 23:30, so 1 working day ends Saturday 23:30 UTC.
        #expect(try calendar.addWorkingDays(from: moment, days: 1, in: utc) == moment.addingTimeInterval(86_400))
        // Sub-second parts are kept.
        let precise = at(2026, 3, 2, 9).addingTimeInterval(0.25)
        #expect(try calendar.addWorkingDays(from: precise, days: 1) == at(2026, 3, 3, 9).addingTimeInterval(0.25))
    }

    @Test func negativeCountsAreAnError() throws {
        let calendar = try china()
        #expect(throws: WorkCalendarError.negativeWorkingDays(-1)) {
            try calendar.addWorkingDays(from: at(2026, 3, 2), days: -1)
        }
    }

    @Test func workingDaysBetweenIsTheInverse() throws {
        let calendar = try china()
        #expect(try calendar.workingDays(between: at(2026, 2, 13, 16, 30), and: at(2026, 2, 24, 16, 30)) == 2)
        #expect(try calendar.workingDays(between: at(2026, 2, 13, 16, 30), and: at(2026, 2, 24, 16, 29)) == 1)
        #expect(try calendar.workingDays(between: at(2026, 2, 24, 16, 30), and: at(2026, 2, 13, 16, 30)) == -2)
        #expect(try calendar.workingDays(between: at(2026, 3, 7, 10), and: at(2026, 3, 8, 10)) == 0)
        #expect(try calendar.workingDays(between: at(2026, 3, 7, 10), and: at(2026, 3, 10)) == 1)
        // For many start moments and counts: between(start, add(start, n)) == n, and a second less is n - 1.
        var start = at(2025, 1, 1, 0, 17)
        while start < at(2026, 11, 1) {
            for n in [0, 1, 2, 5, 9] {
                let due = try calendar.addWorkingDays(from: start, days: n)
                #expect(try calendar.workingDays(between: start, and: due) == n, "\(start) + \(n)")
                if n > 0 {
                    #expect(try calendar.workingDays(between: start, and: due.addingTimeInterval(-1)) == n - 1, "\(start) + \(n)")
                }
            }
            start = start.addingTimeInterval(3600 * 31 + 7 * 60)
        }
    }
}

@Suite("Local days")
struct LocalDaysTests {
    @Test func localDaysOffAndOnWinOverTheNotices() throws {
        let local = try WorkCalendar.LocalAdjustments.parse(
            """
            name: 文昌湖区本地安排
            daysOff:
              - date: 2026-03-09
                note: 暴雪停工
              - from: 2026-07-13
                to: 2026-07-14
            daysOn:
              - 2026-03-14
              - date: 2026-10-07
                note: 集中整治
            """, file: "local.yaml")
        let calendar = try china().merged(with: local)
        #expect(try calendar.kind(of: day(2026, 3, 9)) == .localDayOff(note: "暴雪停工"))
        #expect(try calendar.isWorkingDay(day(2026, 7, 14)) == false)
        #expect(try calendar.kind(of: day(2026, 3, 14)) == .localDayOn(note: nil))
        #expect(try calendar.isWorkingDay(day(2026, 10, 7)))
        // Saturday 3-07: the next working day is now Tuesday 3-10.
        #expect(try calendar.addWorkingDays(from: at(2026, 3, 7, 14), days: 1) == at(2026, 3, 11))
        #expect(try calendar.addWorkingDays(from: at(2026, 3, 13, 9), days: 1) == at(2026, 3, 14, 9))
        #expect(calendar.localAdjustments == [local])
        // A later merge wins over an earlier one.
        let reopened = calendar.merged(
            with: try WorkCalendar.LocalAdjustments(
                name: "恢复", daysOn: [WorkCalendar.LocalDay(date: day(2026, 3, 9))]))
        #expect(try reopened.isWorkingDay(day(2026, 3, 9)))
        // Coverage is unchanged.
        #expect(calendar.coverageEnd == day(2026, 12, 31))
    }

    @Test func aLocalDayBothOffAndOnIsAnError() throws {
        do {
            _ = try WorkCalendar.LocalAdjustments.parse(
                """
                name: x
                daysOff: [2026-03-09]
                daysOn:
                  - 2026-03-10
                  - 2026-03-09
                """, file: "local.yaml")
            Issue.record("expected an error")
        } catch {
            #expect(error.errors.count == 1)
            #expect(error.errors.first?.line == 5)
            #expect(error.errors.first?.reason.contains("both a local day off and a local day on") == true)
        }
        #expect(throws: WorkCalendarError.self) {
            try WorkCalendar.LocalAdjustments(
                name: "x", daysOff: [.init(date: day(2026, 3, 9))], daysOn: [.init(date: day(2026, 3, 9))])
        }
    }
}

@Suite("Calendar files")
struct CalendarParsingTests {
    /// Parses `text`, expecting it to fail, and returns the problems.
    private func problems(_ text: String) -> [ConfigError] {
        do {
            _ = try WorkCalendar.parse(text, file: "bad.yaml")
            Issue.record("expected the file to be rejected")
            return []
        } catch {
            return error.errors
        }
    }

    @Test func acceptsDaysListsAndRanges() throws {
        let calendar = try WorkCalendar.parse(
            """
            name: test
            years:
              - year: 2023
                notice: 国务院办公厅关于2023年部分节假日安排的通知
                holidays:
                  - name: 元旦
                    days: [2022-12-31, 2023-01-01, 2023-01-02]
                  - name: 清明节
                    days: 2023-04-05
                workdays:
                  - 2023-04-23
            """, file: "ok.yaml")
        #expect(calendar.timeZone == shanghai)
        // A notice may start the New Year holiday on the December 31st before its year.
        #expect(calendar.years[0].holidays[0].days.first == day(2022, 12, 31))
        #expect(try calendar.isWorkingDay(day(2023, 1, 2)) == false)
        #expect(try calendar.isWorkingDay(day(2023, 4, 5)) == false)
        #expect(try calendar.isWorkingDay(day(2023, 4, 23)))
        #expect(calendar.coveredYears == 2023...2023)
    }

    @Test func aDateInTheWrongYear() {
        let found = problems(
            """
            name: test
            years:
              - year: 2026
                notice: 通知
                holidays:
                  - name: 劳动节
                    days: [2026-05-01, 2025-05-02]
            """)
        #expect(found.count == 1)
        #expect(found.first?.file == "bad.yaml")
        #expect(found.first?.line == 7)
        #expect(found.first?.column == 28)
        #expect(found.first?.reason.contains("2025-05-02 is not in 2026") == true)
    }

    @Test func aDayBothOffAndOn() {
        let found = problems(
            """
            name: test
            years:
              - year: 2026
                notice: 通知
                holidays:
                  - name: 春节
                    from: 2026-02-15
                    to: 2026-02-23
                workdays:
                  - date: 2026-02-21
                    note: 春节调休上班
            """)
        #expect(found.count == 1)
        #expect(found.first?.line == 10)
        #expect(found.first?.column == 15)
        #expect(found.first?.reason.contains("2026-02-21 is both a holiday (春节) at line 7 and an adjusted working day") == true)
    }

    @Test func aMalformedDate() {
        let found = problems(
            """
            name: test
            years:
              - year: 2026
                notice: 通知
                holidays:
                  - name: 春节
                    from: 2026-02-30
                    to: 2026-03-02
            """)
        #expect(found.map(\.line) == [7])
        #expect(found.first?.reason.contains("'2026-02-30' is not a date") == true)
        #expect(found.first?.description.hasPrefix("bad.yaml:7:") == true)
    }

    @Test func anUnknownKey() {
        let found = problems(
            """
            name: test
            years:
              - year: 2026
                notice: 通知
                holiday:
                  - name: 春节
            """)
        #expect(found.map(\.line) == [5])
        #expect(found.first?.column == 5)
        #expect(found.first?.reason.contains("unknown key 'holiday'") == true)
    }

    @Test func anAdjustedWorkingDayOnAWeekday() {
        let found = problems(
            """
            name: test
            years:
              - year: 2026
                notice: 通知
                workdays:
                  - 2026-02-16
            """)
        #expect(found.map(\.line) == [6])
        #expect(found.first?.reason.contains("is a Monday (周一), a working day already") == true)
    }

    @Test func yearsMustBeConsecutiveAndUnique() {
        let found = problems(
            """
            name: test
            years:
              - year: 2025
                notice: a
              - year: 2025
                notice: b
              - year: 2027
                notice: c
            """)
        #expect(found.map(\.line) == [5, 7])
        #expect(found.first?.reason.contains("year 2025 appears twice") == true)
        #expect(found.last?.reason.contains("2025 is followed by 2027") == true)
    }

    @Test func collectsEveryDateProblem() {
        let found = problems(
            """
            name: test
            years:
              - year: 2026
                notice: 通知
                holidays:
                  - name: 元旦
                    days: [2026-01-01, 2026-01-01, 2027-01-02]
                workdays:
                  - 2026-01-05
            """)
        #expect(found.map(\.line) == [7, 7, 9])
        #expect(found.map(\.column) == [28, 40, 9])
    }

    @Test func otherStructuralProblems() {
        #expect(
            problems("name: test\ntimeZone: Mars/Olympus\nyears: []\n").first?.reason.contains("unknown time zone 'Mars/Olympus'") == true)
        #expect(problems("name: test\nyears: []\n").first?.reason.contains("list at least one year") == true)
        #expect(problems("name: test\nyears:\n  - year: 2026\n").first?.reason.contains("missing required key 'notice'") == true)
        #expect(
            problems("name: test\nyears:\n  - year: 2026\n    notice: x\n    holidays:\n      - name: a\n        from: 2026-02-01\n").first?
                .line == 7)
        #expect(
            problems(
                "name: test\nyears:\n  - year: 2026\n    notice: x\n    holidays:\n      - name: a\n        from: 2026-02-01\n        to: 2026-03-01\n"
            ).first?.reason.contains("longer than 15") == true)
        #expect(problems("name: [test\n").first?.reason.contains("not valid YAML") == true)
    }

    @Test func theRepositoryFileIsValid() throws {
        // Parsing it again through the public initialiser gives the same calendar.
        let calendar = try china()
        let rebuilt = try WorkCalendar(name: calendar.name, timeZone: calendar.timeZone, years: calendar.years)
        #expect(rebuilt == calendar)
    }
}
