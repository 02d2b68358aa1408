import Foundation
import Testing
import WhistleCore

/// Campaigns from `campaigns.yaml`: phases, targets, the monthly report's day, and progress.
@Suite("Campaigns: phases, targets and the monthly report")
struct CampaignPlanTests {
    static let zone = TimeZone(identifier: "Asia/Shanghai")!

    static let yaml = """
        campaigns:
          - code: dazoufang-2023
            name: 大走访大排查大整治
            phases:
              - {name: 动员部署阶段, from: 2023-01-24, to: 2023-01-31}
              - {name: 走访排查阶段, to: 2023-02-28}
              - {name: 问题整治阶段, from: 2023-03-01, to: 2023-05-31}
            targets:
              - {code: rate, name: 问题整改率, rate: rectification, atLeast: 0.9}
              - {code: showcase, name: 示范小区, compounds: 2, of: 5, by: 2023-04-30}
            monthlyReport: {day: 10, at: "09:30"}
        """

    func plan() throws -> CampaignPlan {
        try #require(try CampaignPlan.parse(Self.yaml, file: "campaigns.yaml").first)
    }

    @Test("phases follow one another (a phase without from starts the day after the one before); the campaign spans them")
    func phases() throws {
        let plan = try plan()
        #expect(plan.phases.map(\.name) == ["动员部署阶段", "走访排查阶段", "问题整治阶段"])
        #expect(plan.phases[1].from == CivilDate(2023, 2, 1))
        #expect(plan.from == CivilDate(2023, 1, 24) && plan.to == CivilDate(2023, 5, 31))
        #expect(plan.phase(on: CivilDate(2023, 2, 14))?.name == "走访排查阶段")
        #expect(plan.phase(on: CivilDate(2023, 6, 1)) == nil)
        #expect(plan.targets.map(\.measure) == [.rate(.rectification, atLeast: 0.9), .compounds(count: 2, of: 5)])
        #expect(plan.monthlyReport == CampaignPlan.ReportSchedule(day: 10, hour: 9, minute: 30))
        let period = plan.period(in: Self.zone)
        #expect(ISOMoment.format(period.to, in: Self.zone).hasPrefix("2023-06-01T00:00:00"))
    }

    @Test("every mistake is reported with its line")
    func errors() {
        func problems(_ text: String) -> String {
            do {
                _ = try CampaignPlan.parse(text, file: "c.yaml")
                return ""
            } catch {
                return error.description
            }
        }
        let overlap = """
            campaigns:
              - code: a
                name: A
                phases:
                  - {name: 一, from: 2023-01-01, to: 2023-01-31}
                  - {name: 二, from: 2023-01-15, to: 2023-02-28}
            """
        #expect(problems(overlap).contains("c.yaml:6:"))
        #expect(problems(overlap).contains("without overlapping"))
        let badRate = """
            campaigns:
              - code: a
                name: A
                from: 2023-01-01
                to: 2023-12-31
                targets:
                  - {code: r, name: R, rate: rectification, atLeast: 90}
                  - {code: s, name: S, compounds: 6, of: 3}
                  - {code: t, name: T, rate: speed, atLeast: 0.5}
                  - {code: u, name: U}
                monthlyReport: {day: 31}
            """
        let text = problems(badRate)
        #expect(text.contains("c.yaml:7:") && text.contains("fraction"))
        // Parsing stops at the campaign's first mistake; the others show once it is fixed.
        let fixed = badRate.replacingOccurrences(of: "atLeast: 90", with: "atLeast: 0.9")
        #expect(problems(fixed).contains("c.yaml:8:") && problems(fixed).contains("fewer than the target"))
        let fixed2 = fixed.replacingOccurrences(of: "of: 3", with: "of: 30")
        #expect(problems(fixed2).contains("c.yaml:9:"))
        let fixed3 = fixed2.replacingOccurrences(of: "rate: speed", with: "rate: response")
        #expect(problems(fixed3).contains("c.yaml:10:") && problems(fixed3).contains("needs 'rate'"))
        let fixed4 = fixed3.replacingOccurrences(of: "      - {code: u, name: U}\n", with: "")
        #expect(problems(fixed4).contains("1 to 28"))
        #expect(problems(fixed4.replacingOccurrences(of: "day: 31", with: "day: 3")) == "")
        #expect(problems("campaigns:\n  - {code: a, name: A}\n").contains("needs from and to"))
        #expect(problems("campaigns:\n  - {code: a, name: A, from: 2023-01-01, to: 2023-01-01}\n  - {code: a, name: B, from: 2023-01-01, to: 2023-01-02}\n").contains("defined twice"))
        #expect(problems("campaigns:\n  - {code: 'a b', name: A, from: 2023-01-01, to: 2023-01-01}\n").contains("letters, digits"))
    }

    @Test("progress: a rate is met at its floor exactly, compounds by count; past its date an unmet target is missed")
    func progress() throws {
        let plan = try plan()
        var counts = FigureCounts()
        counts.received = 10
        counts.issuesRectified = 9
        var progress = CampaignProgress(plan, counts: counts, attained: ["showcase": 1], today: CivilDate(2023, 3, 15))
        #expect(progress.phase?.name == "问题整治阶段")
        #expect(progress.targets.map(\.status) == [.met, .open])
        #expect(progress.targets[0].summary.contains("90.0%（9/10）") && progress.targets[0].summary.contains("≥ 90.0%"))
        #expect(progress.targets[1].summary == "已达标 1 / 目标 2 个小区（共 5 个）")
        #expect(progress.targets[1].by == CivilDate(2023, 4, 30))
        counts.issuesRectified = 8
        progress = CampaignProgress(plan, counts: counts, attained: ["showcase": 2], today: CivilDate(2023, 6, 1))
        #expect(progress.targets.map(\.status) == [.missed, .met])
        #expect(progress.targets[0].by == CivilDate(2023, 5, 31))
        // Nothing received is not a met rate.
        progress = CampaignProgress(plan, counts: FigureCounts(), attained: [:], today: CivilDate(2023, 1, 25))
        #expect(progress.targets[0].status == .open)
    }

    @Test("the monthly report covers last month once its day and hour have come, and only months of the campaign")
    func reportDue() throws {
        let plan = try plan()
        func due(_ moment: String) -> String? {
            MonthlyReport.due(plan, at: ISOMoment.parse(moment, in: Self.zone)!, in: Self.zone).map { MonthlyReport.label(year: $0.year, month: $0.month) }
        }
        #expect(due("2023-03-10T09:29:59+08:00") == nil)
        #expect(due("2023-03-10T09:30:00+08:00") == "2023-02")
        #expect(due("2023-03-31T23:00:00+08:00") == "2023-02")
        #expect(due("2023-02-10T10:00:00+08:00") == "2023-01")  // January had a week of the campaign
        #expect(due("2023-06-10T10:00:00+08:00") == "2023-05")
        #expect(due("2023-07-10T10:00:00+08:00") == nil)  // June is after the campaign
        #expect(due("2023-01-10T10:00:00+08:00") == nil)  // December is before it
        #expect(due("2024-01-10T10:00:00+08:00") == nil)
    }

    @Test("the report's message: totals with rates, the phase, the targets and both rankings")
    func message() throws {
        let plan = try plan()
        var town = FigureCounts()
        town.received = 4
        town.issuesRectified = 3
        var other = FigureCounts()
        other.received = 2
        var department = FigureCounts()
        department.tasks = 5
        department.tasksRectified = 5
        department.escalations = ["reminder": 2]
        department.deductions = 0.5
        let report = MonthlyReport(
            plan: plan, year: 2023, month: 2,
            territories: [FigureGroup(key: "t1", name: "甲镇", counts: town), FigureGroup(key: "t2", name: "乙镇", counts: other)],
            departments: [FigureGroup(key: "d1", name: "住建局", counts: department)],
            progress: CampaignProgress(plan, counts: town + other, attained: [:], today: CivilDate(2023, 3, 10)))
        #expect(report.month == "2023-02" && report.from == CivilDate(2023, 2, 1) && report.to == CivilDate(2023, 2, 28))
        let message = report.message
        #expect(message.title == "大走访大排查大整治 2023年2月工作进展")
        let text = message.text()
        #expect(text.contains("受理问题 6 件，已整改 3 件，整改率 50.0%"))
        #expect(text.contains("当前阶段：问题整治阶段"))
        #expect(text.contains("· 问题整改率：整改率 50.0%（3/6），目标 ≥ 90.0%，推进中"))
        #expect(text.contains("镇街整改率排名：1. 甲镇 75.0%；2. 乙镇 0.0%"))
        #expect(text.contains("部门任务整改率排名：1. 住建局 100.0%"))
        #expect(!text.contains("督办提醒"))  // territories' totals carry no rungs here
    }
}
