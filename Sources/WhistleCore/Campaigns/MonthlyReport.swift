import Foundation

/// A campaign's monthly report (月度进展): last month's figures by territory and department,
/// their rankings, and the campaign's progress against its targets, as stored and as sent to the
/// office.
public struct MonthlyReport: Sendable, Hashable, Codable {
    public var campaign: String
    public var campaignName: String
    /// `YYYY-MM`.
    public var month: String
    public var from: CivilDate
    public var to: CivilDate
    public var total: FigureCounts
    public var rates: [FigureRate]
    public var territories: [FigureGroup]
    public var departments: [FigureGroup]
    /// Territories by 整改率, departments by 任务整改率.
    public var territoryRanking: [FigureRanking.Entry]
    public var departmentRanking: [FigureRanking.Entry]
    public var progress: CampaignProgress

    public init(plan: CampaignPlan, year: Int, month: Int, territories: [FigureGroup], departments: [FigureGroup], progress: CampaignProgress) {
        campaign = plan.code
        campaignName = plan.name
        self.month = Self.label(year: year, month: month)
        from = CivilDate(year, month, 1)
        to = CivilDate(year, month, CivilDate.daysInMonth(year: year, month: month))
        total = FigureGroup.total(territories)
        rates = total.rates
        self.territories = territories
        self.departments = departments
        territoryRanking = FigureRanking.rank(territories, by: .rectification).ranked
        departmentRanking = FigureRanking.rank(departments, by: .taskRectification).ranked
        self.progress = progress
    }

    /// `2026-03`.
    public static func label(year: Int, month: Int) -> String {
        CivilDate(year, month, 1).monthKey
    }

    /// The message the office receives.
    public var message: NotificationMessage {
        let parts = month.split(separator: "-")
        let title = "\(campaignName) \(parts[0])年\(Int(parts[1]) ?? 0)月工作进展"
        let c = total
        var lines = [
            "统计期间：\(from)至\(to)（按问题上报时间）。",
            "受理问题 \(c.received) 件，已整改 \(c.issuesRectified) 件，整改率 \(c.rate(.rectification).percent)；已销号 \(c.issuesClosed) 件，销号率 \(c.rate(.closure).percent)。",
            "派发任务 \(c.tasks) 件，响应率 \(c.rate(.response).percent)，按期整改率 \(c.rate(.onTimeRectification).percent)，满意率 \(c.rate(.satisfaction).percent)；当前逾期任务 \(c.overdueNow) 件。",
        ]
        let rungs = c.escalations.values.reduce(0, +)
        if rungs > 0 { lines.append("督办提醒 \(rungs) 次，扣分 \(Self.points(c.deductions))。") }
        if let phase = progress.phase { lines.append("当前阶段：\(phase.name)（\(phase.from)至\(phase.to)）。") }
        if !progress.targets.isEmpty {
            lines.append("目标进展：")
            lines += progress.targets.map { "· \($0.name)：\($0.summary)，\($0.status.title)（时限 \($0.by)）" }
        }
        if !territoryRanking.isEmpty {
            lines.append("镇街整改率排名：" + territoryRanking.map { "\($0.rank). \($0.name) \($0.rate.percent)" }.joined(separator: "；"))
        }
        if !departmentRanking.isEmpty {
            lines.append("部门任务整改率排名：" + departmentRanking.map { "\($0.rank). \($0.name) \($0.rate.percent)" }.joined(separator: "；"))
        }
        return NotificationMessage(title: title, lines: lines)
    }

    static func points(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) 分" : "\((value * 100).rounded() / 100) 分"
    }

    /// The month a report sent at `now` covers (the one before `now`'s month), if its moment
    /// (`schedule.day` at `hour:minute` of `now`'s month) has come and that month overlaps the campaign.
    public static func due(_ plan: CampaignPlan, at now: Date, in zone: TimeZone) -> (year: Int, month: Int)? {
        guard let schedule = plan.monthlyReport else { return nil }
        let today = CivilDate(now, in: zone)
        let sendDay = CivilDate(today.year, today.month, schedule.day)
        let sendAt = sendDay.start(in: zone).addingTimeInterval(TimeInterval(schedule.hour * 3600 + schedule.minute * 60))
        guard now >= sendAt else { return nil }
        let (year, month) = today.month == 1 ? (today.year - 1, 12) : (today.year, today.month - 1)
        let first = CivilDate(year, month, 1)
        let last = CivilDate(year, month, CivilDate.daysInMonth(year: year, month: month))
        guard last >= plan.from, first <= plan.to else { return nil }
        return (year, month)
    }
}
