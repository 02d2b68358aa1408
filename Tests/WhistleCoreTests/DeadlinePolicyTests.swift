import Foundation
import Testing
import WhistleCore

@Suite("Deadline policy")
struct DeadlinePolicyTests {
    private static let shanghai = TimeZone(identifier: "Asia/Shanghai")!

    private func at(_ y: Int, _ m: Int, _ d: Int, _ hour: Int = 0, _ minute: Int = 0) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = Self.shanghai
        return calendar.date(from: DateComponents(year: y, month: m, day: d, hour: hour, minute: minute))!
    }

    /// A small 2026 calendar with the Spring Festival and National Day of the 2026 notice.
    private func calendar() throws -> WorkCalendar {
        try WorkCalendar(
            name: "test",
            years: [
                WorkCalendar.Year(
                    year: 2026, notice: "国务院办公厅关于2026年部分节假日安排的通知",
                    holidays: [
                        .init(name: "春节", from: CivilDate(2026, 2, 15), through: CivilDate(2026, 2, 23)),
                        .init(name: "国庆节", from: CivilDate(2026, 10, 1), through: CivilDate(2026, 10, 7)),
                    ],
                    workdays: [
                        .init(date: CivilDate(2026, 2, 14)), .init(date: CivilDate(2026, 2, 28)),
                        .init(date: CivilDate(2026, 9, 20)), .init(date: CivilDate(2026, 10, 10)),
                    ])
            ])
    }

    @Test func withoutLimitsTheSeedRuleGivesOneWorkingWeek() throws {
        let policy = DeadlinePolicy(calendar: try calendar())
        let monday = at(2026, 3, 2, 9)
        let deadlines = try policy.deadlines(dispatchedAt: monday)
        #expect(deadlines.rectifyDue == at(2026, 3, 9, 9))
        #expect(deadlines.rectifyWorkingDays == 5)
        #expect(deadlines.rectifySource == .seedRule)
        #expect(deadlines.wasCapped == false)
        #expect(deadlines.acknowledgeDue == nil)
        // Across the Spring Festival the week stretches: Fri 2-13 + 5 = Fri 2-27.
        #expect(try policy.deadlines(dispatchedAt: at(2026, 2, 13, 16, 30)).rectifyDue == at(2026, 2, 27, 16, 30))
    }

    @Test func theEntryWinsOverTheTenantDefault() throws {
        let policy = DeadlinePolicy(
            calendar: try calendar(), defaults: DeadlineLimits(acknowledgeHours: 24, rectifyWorkingDays: 10))
        let dispatched = at(2026, 9, 30, 15)
        let fromEntry = try policy.deadlines(
            dispatchedAt: dispatched, limits: DeadlineLimits(acknowledgeHours: 2, rectifyWorkingDays: 3))
        #expect(fromEntry.acknowledgeDue == at(2026, 9, 30, 17))
        #expect(fromEntry.rectifyDue == at(2026, 10, 10, 15))  // 10-08, 10-09, 10-10 (Saturday, 调休上班)
        #expect(fromEntry.rectifySource == .entry)
        let fromTenant = try policy.deadlines(dispatchedAt: dispatched)
        #expect(fromTenant.acknowledgeDue == at(2026, 10, 1, 15))
        #expect(fromTenant.rectifyWorkingDays == 10)
        #expect(fromTenant.rectifySource == .tenantDefault)
        #expect(fromTenant.rectifyDue == at(2026, 10, 20, 15))
    }

    @Test func acknowledgeLimitsAreWallTime() throws {
        let policy = DeadlinePolicy(calendar: try calendar())
        // Saturday evening: 2 hours later, although the working-day count would start on Monday.
        let saturday = at(2026, 3, 7, 22, 30)
        let deadlines = try policy.deadlines(dispatchedAt: saturday, limits: DeadlineLimits(acknowledgeHours: 2))
        #expect(deadlines.acknowledgeDue == at(2026, 3, 8, 0, 30))
        #expect(deadlines.rectifyDue == at(2026, 3, 16))  // from Monday 3-09 00:00, 5 working days
    }

    @Test func limitsAreCappedAtOneMonth() throws {
        let policy = DeadlinePolicy(calendar: try calendar(), defaults: DeadlineLimits(rectifyWorkingDays: 40))
        let monday = at(2026, 3, 2, 9)
        let capped = try policy.deadlines(dispatchedAt: monday)
        #expect(capped.rectifyWorkingDays == 22)
        #expect(capped.wasCapped)
        // March 2026 has 22 working days: 3-02 + 22 working days is 4-01, one month on.
        #expect(capped.rectifyDue == at(2026, 4, 1, 9))
        let exact = try policy.deadlines(dispatchedAt: monday, limits: DeadlineLimits(rectifyWorkingDays: 22))
        #expect(exact.wasCapped == false)
        #expect(exact.rectifyDue == capped.rectifyDue)
    }

    @Test func feedbackIsDueOneWorkingDayAfterCompletion() throws {
        let policy = DeadlinePolicy(calendar: try calendar())
        #expect(try policy.feedbackDue(completedAt: at(2026, 3, 3, 17)) == at(2026, 3, 4, 17))
        #expect(try policy.feedbackDue(completedAt: at(2026, 9, 30, 17)) == at(2026, 10, 8, 17))
        #expect(try policy.feedbackDue(completedAt: at(2026, 2, 13, 17)) == at(2026, 2, 14, 17))
        #expect(try policy.feedbackDue(completedAt: at(2026, 2, 15, 11)) == at(2026, 2, 25))
    }

    @Test func badLimitsAndUncoveredYearsAreErrors() throws {
        let policy = DeadlinePolicy(calendar: try calendar())
        #expect(throws: DeadlineError.self) {
            try policy.deadlines(dispatchedAt: at(2026, 3, 2), limits: DeadlineLimits(rectifyWorkingDays: 0))
        }
        #expect(throws: DeadlineError.self) {
            try policy.deadlines(dispatchedAt: at(2026, 3, 2), limits: DeadlineLimits(acknowledgeHours: 0))
        }
        #expect(throws: DeadlineError.calendar(.yearNotCovered(year: 2027, calendar: "test", covered: 2026...2026))) {
            try policy.deadlines(dispatchedAt: at(2026, 12, 28, 9))
        }
    }

    @Test func theAcknowledgeDeadlineNeedsNoCalendar() throws {
        let policy = DeadlinePolicy(calendar: try calendar(), defaults: DeadlineLimits(acknowledgeHours: 24))
        // The rectify deadline falls in 2027, which the calendar does not cover; reporting in is still due a day later.
        #expect(throws: DeadlineError.self) { try policy.deadlines(dispatchedAt: at(2026, 12, 28, 9)) }
        #expect(try policy.acknowledgeDue(dispatchedAt: at(2026, 12, 28, 9)) == at(2026, 12, 29, 9))
        #expect(try policy.acknowledgeDue(dispatchedAt: at(2026, 12, 28, 9), limits: DeadlineLimits(acknowledgeHours: 2)) == at(2026, 12, 28, 11))
        #expect(try DeadlinePolicy(calendar: try calendar()).acknowledgeDue(dispatchedAt: at(2026, 12, 28, 9)) == nil)
        #expect(throws: DeadlineError.invalidLimit("an acknowledge limit must be at least 1 hour, got 0")) {
            try policy.acknowledgeDue(dispatchedAt: at(2026, 3, 2), limits: DeadlineLimits(acknowledgeHours: 0))
        }
    }

    @Test func theTenantsZoneIsUsed() throws {
        // Read in UTC, Friday 2026-03-06 20:00 UTC (Saturday 04:00 in Shanghai) is still a Friday.
        let utc = TimeZone(identifier: "UTC")!
        let policy = DeadlinePolicy(calendar: try calendar(), timeZone: utc)
        let moment = Date(timeIntervalSince1970: 1_772_827_200)
        #expect(try policy.feedbackDue(completedAt: moment) == moment.addingTimeInterval(3 * 86_400))
    }
}
