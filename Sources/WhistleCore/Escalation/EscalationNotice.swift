import Foundation

/// What is known of a task when one of its rungs fires or its documents are written.
public struct EscalationFacts: Sendable, Hashable {
    public var tenantName: String
    public var escalationID: Int64
    public var issueID: Int64
    public var taskID: Int64
    public var compound: String
    public var issueType: String?
    public var description: String
    public var department: String
    public var acknowledgeDue: Date?
    public var rectifyDue: Date?
    public var supervisionDue: Date?
    public var talkPromise: Date?
    /// The moment the rung was due (its timer's), which documents count lateness from.
    public var at: Date
    public var timeZone: TimeZone

    public init(
        tenantName: String, escalationID: Int64, issueID: Int64, taskID: Int64, compound: String, issueType: String?, description: String,
        department: String, acknowledgeDue: Date?, rectifyDue: Date?, supervisionDue: Date? = nil, talkPromise: Date? = nil, at: Date,
        timeZone: TimeZone
    ) {
        self.tenantName = tenantName
        self.escalationID = escalationID
        self.issueID = issueID
        self.taskID = taskID
        self.compound = compound
        self.issueType = issueType
        self.description = description
        self.department = department
        self.acknowledgeDue = acknowledgeDue
        self.rectifyDue = rectifyDue
        self.supervisionDue = supervisionDue
        self.talkPromise = talkPromise
        self.at = at
        self.timeZone = timeZone
    }

    /// "示例小区A · 物业服务合同不规范（问题 #12）".
    var subject: String {
        "\(compound)\(issueType.map { " · \($0)" } ?? "")（问题 #\(issueID)，任务 #\(taskID)）"
    }

    func format(_ date: Date?) -> String {
        guard let date else { return "未设定" }
        return EscalationNotice.chineseMoment(date, in: timeZone)
    }

    func number(_ prefix: String) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return "\(prefix)〔\(calendar.component(.year, from: at))〕第\(escalationID)号"
    }
}

/// The Chinese texts and documents of the ladder: what each rung says, and the talk and notice
/// documents the office and the group leader complete.
public enum EscalationNotice {
    /// "2026年11月24日 17:30".
    public static func chineseMoment(_ date: Date, in zone: TimeZone) -> String {
        let (day, second, _, _) = ISOMoment.local(date, in: zone)
        let (hour, minute) = (second / 3600, second % 3600 / 60)
        return "\(day.year)年\(day.month)月\(day.day)日 \(hour < 10 ? "0" : "")\(hour):\(minute < 10 ? "0" : "")\(minute)"
    }

    /// The message (and document) a rung sends when it fires. `newDeadline` is a supervision
    /// order's; `people` are the rung's targets by title.
    public static func fired(
        _ rung: EscalationRung, track: EscalationTrack, facts: EscalationFacts, people: [String], newDeadline: Date? = nil
    ) -> NotificationMessage {
        let who = facts.department
        switch (track, rung.action) {
        case (.acknowledge, .remind):
            return NotificationMessage(
                title: "报到提醒", lines: ["\(who)：\(facts.subject)的报到（签收）时限\(facts.format(facts.acknowledgeDue))已到，请立即报到。", facts.description])
        case (.acknowledge, _):
            return NotificationMessage(
                title: "报到\(rung.action.chineseName)",
                lines: [
                    "\(who)：\(facts.subject)超过报到时限（\(facts.format(facts.acknowledgeDue))）仍未报到，请分管负责人督促立即报到。",
                    facts.description,
                ] + deductionLine(rung))
        case (.rectify, .remind):
            return NotificationMessage(
                title: "整改提醒", lines: ["\(who)：\(facts.subject)的整改期限为\(facts.format(facts.rectifyDue))，请按期整改到位并报送整改情况。", facts.description])
        case (.rectify, .urge):
            return NotificationMessage(
                title: "催办",
                lines: ["\(who)：\(facts.subject)已超过整改期限（\(facts.format(facts.rectifyDue))），请立即办理并报送整改情况。", facts.description]
                    + deductionLine(rung))
        case (.rectify, .supervisionOrder):
            let document = EscalationDocument(
                kind: "督办单", number: facts.number("督办"),
                fields: [
                    .init("督办事项", "\(facts.subject)：\(facts.description)"),
                    .init("责任单位", who),
                    .init("原整改期限", facts.format(facts.rectifyDue)),
                    .init("逾期情况", "截至\(facts.format(facts.at))仍未整改到位"),
                    .init("办结时限", facts.format(newDeadline)),
                    .init("督办要求", "请于办结时限前整改到位，并将整改情况书面报送工作专班办公室；逾期未办结的，将约谈单位分管负责人和相关责任人。"),
                ])
            return NotificationMessage(title: "督办单", lines: ["\(who)：\(facts.subject)逾期未整改，现予督办。"], document: document)
        case (.rectify, .talk):
            return NotificationMessage(
                title: "约谈待安排",
                lines: [
                    "\(who)：\(facts.subject)未在督办时限（\(facts.format(facts.supervisionDue))）前办结，将约谈单位分管负责人和相关责任人。",
                    "请工作专班办公室确定约谈时间、地点后发出约谈通知。",
                ] + deductionLine(rung))
        case (.rectify, .publicNotice):
            return NotificationMessage(
                title: "通报批评待审批",
                lines: [
                    "\(who)：\(facts.subject)未兑现约谈承诺（承诺办结时间\(facts.format(facts.talkPromise))）。",
                    "拟全县通报批评，请工作专班组长审批。",
                ], document: publicNoticeDocument(facts: facts))
        case (.rectify, .accountability):
            let document = EscalationDocument(
                kind: "问责移交函", number: facts.number("问责"),
                fields: [
                    .init("移交事项", "\(facts.subject)：\(facts.description)"),
                    .init("责任单位", who),
                    .init("经过", "原整改期限\(facts.format(facts.rectifyDue))，督办时限\(facts.format(facts.supervisionDue))，约谈承诺\(facts.format(facts.talkPromise))，均未兑现。"),
                    .init("处理建议", "移交有关部门问责。"),
                ])
            return NotificationMessage(title: "问责移交", lines: ["\(who)：\(facts.subject)经通报仍未整改到位，移交有关部门问责。"], document: document)
        case (.rectify, .remind), (.rectify, _):
            return NotificationMessage(title: rung.action.chineseName, lines: ["\(who)：\(facts.subject)", facts.description])
        }
    }

    /// What the recipients of a supervision order (督办单) sent with its deadline "未设定" are told
    /// once the calendar can count it: the deadline, and that the ladder goes on from it.
    public static func supervisionDeadlineSet(facts: EscalationFacts, workingDays: Int) -> NotificationMessage {
        NotificationMessage(
            title: "督办整改时限补定",
            lines: [
                "\(facts.department)：\(facts.subject)的督办单（\(facts.number("督办"))）发出时，工作日历尚未录入下一年节假日安排，整改时限未能设定。",
                "现按督办之日起 \(workingDays) 个工作日补定为 \(facts.format(facts.supervisionDue))；逾期未办结的，将按程序约谈。",
                facts.description,
            ])
    }

    /// The talk notice (约谈通知) the office sends once it has set time and place (seed `001`:
    /// reason, manner, time, place and participants).
    public static func talkNotice(facts: EscalationFacts, arrangement: TalkArrangement, participants: [String]) -> NotificationMessage {
        let document = EscalationDocument(
            kind: "约谈通知", number: facts.number("约谈"),
            fields: [
                .init("约谈事由", "\(facts.department)承办的\(facts.subject)经督办仍未在时限（\(facts.format(facts.supervisionDue))）内办结"),
                .init("约谈方式", arrangement.manner),
                .init("约谈时间", facts.format(arrangement.time)),
                .init("约谈地点", arrangement.place),
                .init("约谈人", arrangement.host),
                .init("参加人员", participants.joined(separator: "、")),
                .init("要求", "请被约谈人员准时参加，说明未按期办结的原因，并当场承诺办结时间。"),
            ])
        return NotificationMessage(title: "约谈通知", lines: ["\(facts.department)：现就下列事项进行约谈。"], document: document)
    }

    /// The draft of a county-wide public notice; the group leader approves or rejects it.
    public static func publicNoticeDocument(facts: EscalationFacts) -> EscalationDocument {
        EscalationDocument(
            kind: "通报批评", number: facts.number("通报"),
            fields: [
                .init("被通报单位", facts.department),
                .init("事项", "\(facts.subject)：\(facts.description)"),
                .init("经过", "整改期限\(facts.format(facts.rectifyDue))，督办时限\(facts.format(facts.supervisionDue))，约谈承诺办结时间\(facts.format(facts.talkPromise))，均未兑现。"),
                .init("要求", "请被通报单位立即整改到位，各成员单位引以为戒。"),
            ])
    }

    /// An approved notice, as every member unit receives it.
    public static func publishedNotice(_ document: EscalationDocument, tenantName: String, approvedBy: String) -> NotificationMessage {
        NotificationMessage(title: "\(tenantName)通报批评", lines: ["经工作专班组长同意，现予全县通报批评。"], document: document)
    }

    /// The office learns that the group leader rejected a draft.
    public static func rejectedNotice(_ document: EscalationDocument, reason: String) -> NotificationMessage {
        NotificationMessage(title: "通报批评未获同意", lines: ["\(document.number)未获工作专班组长同意：\(reason)"])
    }

    private static func deductionLine(_ rung: EscalationRung) -> [String] {
        rung.deduction > 0 ? ["本次\(rung.action.chineseName)计入月度考评，扣\(formatPoints(rung.deduction))分。"] : []
    }

    /// 0.5 → "0.5", 2 → "2".
    public static func formatPoints(_ points: Double) -> String {
        points == points.rounded() ? String(Int(points)) : String(format: "%g", points)
    }
}
