import Foundation
import Testing
@testable import WhistleCore

/// Who is on duty: rotations across a holiday and a hand-over, layers, overrides, gaps and the feed.
@Suite("Rosters")
struct RosterTests {
    static let calendar = try! WorkCalendar.parse(
        """
        name: 测试日历
        timeZone: Asia/Shanghai
        years:
          - year: 2026
            notice: 测试
            holidays:
              - {name: 中秋节, from: 2026-09-25, to: 2026-09-27}
              - {name: 国庆节, from: 2026-10-01, to: 2026-10-07}
            workdays:
              - {date: 2026-09-20}
              - {date: 2026-10-10}
        """, file: "cn.yaml")
    let zone = TimeZone(identifier: "Asia/Shanghai")!

    func at(_ text: String) -> Date { ISOMoment.parse(text, in: zone)! }

    func who(_ roster: Roster, _ text: String) throws -> String? { try roster.onDuty(at: at(text), calendar: Self.calendar)?.member }

    @Test("a daily rotation hands over at its time; before its start nobody is on duty")
    func daily() throws {
        let roster = Roster(team: "t", rotations: [Rotation(code: "r", cadence: .daily, members: ["a", "b", "c"], start: CivilDate(2026, 9, 28), handOver: 510)])
        #expect(try who(roster, "2026-09-28T08:29:00+08:00") == nil)
        #expect(try who(roster, "2026-09-28T08:30:00+08:00") == "a")
        #expect(try who(roster, "2026-09-29T08:29:59+08:00") == "a")
        #expect(try who(roster, "2026-09-29T08:30:00+08:00") == "b")
        #expect(try who(roster, "2026-10-01T09:00:00+08:00") == "a")
        let weekly = Roster(team: "t", rotations: [Rotation(code: "w", cadence: .weekly, members: ["a", "b"], start: CivilDate(2026, 9, 28), handOver: 540)])
        #expect(try who(weekly, "2026-10-05T08:59:00+08:00") == "a")
        #expect(try who(weekly, "2026-10-05T09:00:00+08:00") == "b")
    }

    @Test("a rotation in its own time zone hands over at its local time; the shifts follow it")
    func ownTimeZone() throws {
        // 09:00 in Xinjiang time (UTC+6) is 11:00 in Beijing.
        let urumqi = TimeZone(identifier: "Asia/Urumqi")!
        let roster = Roster(
            team: "t", rotations: [Rotation(code: "r", cadence: .daily, members: ["a", "b"], start: CivilDate(2026, 9, 28), handOver: 540, timeZone: urumqi)])
        #expect(try who(roster, "2026-09-28T10:59:00+08:00") == nil)
        #expect(try who(roster, "2026-09-28T11:00:00+08:00") == "a")
        #expect(try who(roster, "2026-09-29T10:59:00+08:00") == "a")
        #expect(try who(roster, "2026-09-29T11:00:00+08:00") == "b")
        let shifts = try roster.shifts(from: at("2026-09-28T00:00:00+08:00"), to: at("2026-09-30T00:00:00+08:00"), calendar: Self.calendar)
        #expect(shifts.map(\.start) == [at("2026-09-28T11:00:00+08:00"), at("2026-09-29T11:00:00+08:00")])
    }

    @Test("a working-day rotation holds through 国庆 and hands over on the adjusted working Saturday")
    func workingDays() throws {
        let roster = Roster(
            team: "t", rotations: [Rotation(code: "r", cadence: .workingDays(1), members: ["a", "b"], start: CivilDate(2026, 9, 28), handOver: 510)])
        #expect(try who(roster, "2026-09-28T09:00:00+08:00") == "a")
        #expect(try who(roster, "2026-09-29T09:00:00+08:00") == "b")
        #expect(try who(roster, "2026-09-30T09:00:00+08:00") == "a")
        #expect(try who(roster, "2026-10-04T15:00:00+08:00") == "a")  // the holiday: no hand-over
        #expect(try who(roster, "2026-10-08T08:29:00+08:00") == "a")
        #expect(try who(roster, "2026-10-08T08:30:00+08:00") == "b")
        #expect(try who(roster, "2026-10-09T09:00:00+08:00") == "a")
        #expect(try who(roster, "2026-10-10T09:00:00+08:00") == "b")  // 调休 Saturday: a working day
        #expect(try who(roster, "2026-10-11T09:00:00+08:00") == "b")  // Sunday
        #expect(try who(roster, "2026-10-12T09:00:00+08:00") == "a")
        // a's shift of 30 September runs, in one piece, to the hand-over of 8 October.
        let shifts = try roster.shifts(from: at("2026-09-30T00:00:00+08:00"), to: at("2026-10-09T00:00:00+08:00"), calendar: Self.calendar)
        #expect(shifts.map(\.member) == ["b", "a", "b"])
        #expect(shifts[1].start == at("2026-09-30T08:30:00+08:00") && shifts[1].end == at("2026-10-08T08:30:00+08:00"))
        let two = Roster(
            team: "t", rotations: [Rotation(code: "r", cadence: .workingDays(2), members: ["a", "b"], start: CivilDate(2026, 9, 28), handOver: 510)])
        #expect(try who(two, "2026-09-29T09:00:00+08:00") == "a")
        #expect(try who(two, "2026-09-30T09:00:00+08:00") == "b")
        #expect(try who(two, "2026-10-08T09:00:00+08:00") == "b")
        #expect(try who(two, "2026-10-09T09:00:00+08:00") == "a")
    }

    /// A day layer on working days' office hours over a night layer around the clock.
    static let layered = Roster(
        team: "t",
        rotations: [
            Rotation(code: "night", cadence: .daily, members: ["n1", "n2"], start: CivilDate(2026, 9, 28), handOver: 1050, priority: 1),
            Rotation(
                code: "day", cadence: .daily, members: ["d1", "d2"], start: CivilDate(2026, 9, 28), handOver: 510, priority: 2,
                window: .init(from: 510, to: 1050, workingDaysOnly: true)),
        ])

    @Test("layers: the working-hours layer wins where it covers; the around-the-clock one covers the rest")
    func layers() throws {
        let roster = Self.layered
        #expect(try roster.onDuty(at: at("2026-09-29T10:00:00+08:00"), calendar: Self.calendar)! == ("d2", "day"))
        #expect(try who(roster, "2026-09-29T20:00:00+08:00") == "n2")
        #expect(try who(roster, "2026-09-29T08:00:00+08:00") == "n1")
        #expect(try who(roster, "2026-10-02T10:00:00+08:00") == "n2")  // a holiday: the day layer does not cover
    }

    @Test("in the calendar's last month a task still gets the member on duty; a duty reaching past the last covered day has no known end")
    func lastMonthOfTheCalendar() throws {
        // The calendar covers 2026 only.
        let roster = Self.layered
        // Friday 4 December: the 31 days ahead reach 2027, yet the day's officer and the end of the shift are known.
        let december = try #require(try roster.assignment(at: at("2026-12-04T10:00:00+08:00"), calendar: Self.calendar))
        #expect(december.source == "day" && december.until == at("2026-12-04T17:30:00+08:00"))
        #expect(try roster.nextDutyStart(after: at("2026-12-04T10:00:00+08:00"), calendar: Self.calendar) == at("2026-12-04T10:00:00+08:00"))
        // 31 December 17:30: the night shift runs into 2027, whose working days nobody knows yet.
        let lastNight = try #require(try roster.assignment(at: at("2026-12-31T17:30:00+08:00"), calendar: Self.calendar))
        #expect(lastNight.source == "night" && lastNight.until == nil)
        // Past the last covered day it is still an error, never a guess.
        #expect(throws: WorkCalendarError.self) { try roster.assignment(at: at("2027-01-04T10:00:00+08:00"), calendar: Self.calendar) }
        #expect(throws: WorkCalendarError.self) { try roster.nextDutyStart(after: at("2027-01-04T10:00:00+08:00"), calendar: Self.calendar) }
    }

    @Test("overrides win over every rotation, the latest over earlier ones")
    func overrides() throws {
        var roster = Roster(team: "t", rotations: [Rotation(code: "r", cadence: .daily, members: ["a", "b"], start: CivilDate(2026, 9, 28), handOver: 510)])
        roster.overrides = [
            RosterOverride(member: "c", from: at("2026-09-29T08:30:00+08:00"), to: at("2026-09-30T08:30:00+08:00"), reason: "病假替班"),
            RosterOverride(member: "a", from: at("2026-09-29T12:00:00+08:00"), to: at("2026-09-29T14:00:00+08:00"), reason: "调班"),
        ]
        #expect(try roster.onDuty(at: at("2026-09-29T09:00:00+08:00"), calendar: Self.calendar)! == ("c", "override"))
        #expect(try who(roster, "2026-09-29T13:00:00+08:00") == "a")
        #expect(try who(roster, "2026-09-29T15:00:00+08:00") == "c")
        #expect(try who(roster, "2026-09-30T09:00:00+08:00") == "a")
    }

    @Test("gaps: the hours and days nobody covers")
    func gaps() throws {
        let roster = Roster(
            team: "t",
            rotations: [
                Rotation(
                    code: "day", cadence: .daily, members: ["a"], start: CivilDate(2026, 9, 28), handOver: 510,
                    window: .init(from: 510, to: 1050, workingDaysOnly: true))
            ])
        let gaps = try roster.gaps(from: at("2026-09-30T00:00:00+08:00"), to: at("2026-10-09T00:00:00+08:00"), calendar: Self.calendar)
        #expect(gaps.map(\.start) == [at("2026-09-30T00:00:00+08:00"), at("2026-09-30T17:30:00+08:00"), at("2026-10-08T17:30:00+08:00")])
        #expect(gaps[1].end == at("2026-10-08T08:30:00+08:00"))  // the whole of 国庆
        #expect(try Roster(team: "t", rotations: [Rotation(code: "r", cadence: .daily, members: ["a"], start: CivilDate(2026, 9, 1), handOver: 0)])
            .gaps(from: at("2026-09-30T00:00:00+08:00"), to: at("2026-10-09T00:00:00+08:00"), calendar: Self.calendar).isEmpty)
    }

    @Test("the iCalendar feed: one event per shift in UTC, escaped text, lines folded at 75 octets with CRLF")
    func feed() throws {
        let roster = Roster(
            team: "zfzd", rotations: [Rotation(code: "r", cadence: .workingDays(1), members: ["a", "b"], start: CivilDate(2026, 9, 28), handOver: 510)])
        let shifts = try roster.shifts(from: at("2026-09-28T08:30:00+08:00"), to: at("2026-10-09T08:30:00+08:00"), calendar: Self.calendar)
        let text = ICalendarFeed.render(
            team: "zfzd", teamName: "综合执法中队,第一分队;夜间", shifts: shifts,
            members: [TeamMember(code: "a", name: "队员甲", mobile: "13800000001"), TeamMember(code: "b", name: "队员乙")],
            generatedAt: at("2026-09-01T00:00:00+08:00"))
        #expect(text.hasPrefix("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") && text.hasSuffix("END:VCALENDAR\r\n"))
        #expect(text.components(separatedBy: "BEGIN:VEVENT").count - 1 == shifts.count)
        #expect(text.contains("DTSTART:20260930T003000Z\r\nDTEND:20261008T003000Z"))
        #expect(text.contains("综合执法中队\\,第一分队\\;夜间"))
        for line in text.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 75, "\(line)") }
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        // Unfolded, the long description reads whole again.
        #expect(text.replacingOccurrences(of: "\r\n ", with: "").contains("；电话 13800000001"))
    }

    @Test("rosters.yaml: teams of the directory, members of the team, cadences and times checked with their lines")
    func parsing() throws {
        let directory = Directory(
            tenant: Tenant(code: "demo", name: "示例县", kind: .county, source: "test"), territories: [], propertyCompanies: [],
            departments: [Department(code: "zfzd", name: "综合执法中队", kind: .team), Department(code: "zjj", name: "县住建局", kind: .functional)])
        func parse(_ text: String) throws(ConfigErrors) -> TeamRosters {
            try TeamRosters.parse(text, file: "rosters.yaml", directory: directory, timeZone: zone)
        }
        let good = try parse(
            """
            teams:
              - team: zfzd
                members:
                  - {code: a, name: 队员甲, mobile: "13800000001"}
                  - {code: b, name: 队员乙}
                rotations:
                  - {code: day, cadence: workingDays, every: 1, members: [a, b], start: 2026-09-28, handOver: "08:30", priority: 2, window: {from: "08:30", to: "17:30", workingDaysOnly: true}}
                  - {code: west, cadence: daily, members: [b], start: 2026-09-28, handOver: "09:00", timeZone: Asia/Urumqi}
                overrides:
                  - {member: b, from: "2026-09-29T08:30:00+08:00", to: "2026-09-29T17:30:00+08:00", reason: 调班}
            """)
        let team = try #require(good.teams.first)
        #expect(team.members.count == 2 && team.roster.rotations.first?.cadence == .workingDays(1))
        #expect(team.roster.rotations.first?.window == Rotation.Window(from: 510, to: 1050, workingDaysOnly: true))
        #expect(team.roster.overrides.first?.member == "b")
        #expect(team.roster.rotations.first?.timeZone == nil && team.roster.rotations.last?.timeZone?.identifier == "Asia/Urumqi")
        let wrong: [(String, String, Int)] = [
            ("teams:\n  - team: zjj\n    members: [{code: a, name: 甲}]\n", "not a team", 2),
            ("teams:\n  - team: nobody\n    members: [{code: a, name: 甲}]\n", "no department", 2),
            ("teams:\n  - team: zfzd\n    members: [{code: a, name: 甲}]\n    rotations:\n      - {code: r, cadence: hourly, members: [a], start: 2026-09-28, handOver: \"08:30\"}\n", "not a cadence", 5),
            ("teams:\n  - team: zfzd\n    members: [{code: a, name: 甲}]\n    rotations:\n      - {code: r, cadence: daily, members: [z], start: 2026-09-28, handOver: \"08:30\"}\n", "'z' is not a member", 5),
            ("teams:\n  - team: zfzd\n    members: [{code: a, name: 甲}]\n    rotations:\n      - {code: r, cadence: daily, members: [a], start: 2026-09-28, handOver: \"25:00\"}\n", "not a time of day", 5),
            ("teams:\n  - team: zfzd\n    members: [{code: a, name: 甲}]\n    rotations:\n      - {code: r, cadence: daily, members: [a], start: 2026-09-28, handOver: \"08:00\", timeZone: Mars/Olympus}\n", "not a time zone", 5),
        ]
        for (text, reason, line) in wrong {
            #expect {
                _ = try parse(text)
            } throws: { error in
                guard let errors = error as? ConfigErrors, let first = errors.errors.first else { return false }
                return first.reason.contains(reason) && first.line == line
            }
        }
    }
}
