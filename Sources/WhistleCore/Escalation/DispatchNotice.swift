import Foundation

/// The whistle reaching a department (吹哨): what a task's department is told the moment the
/// task is dispatched to it, so it can report in (报到) within its limit instead of finding the
/// task in its inbox, or hearing of it first from the reminder when the limit has passed.
public enum DispatchNotice {
    /// Who is told: the department's handler and liaison, each through the department's and their
    /// own channels (a team's task with an officer on duty goes to the team's channels, naming them).
    public static let targets: [EscalationTarget] = [.handler, .liaison]

    /// Stand-ins for the issue's and the task's numbers ("#12"), which the database gives only as it
    /// writes them, in the same statement as this message: the store replaces them there, in the
    /// first line only (the reporter's text, further down, stays as written).
    public static let issueNumber = "#{issue}"
    public static let taskNumber = "#{task}"

    /// What the message says of one dispatched task.
    public struct Facts: Sendable, Hashable {
        public var department: String
        public var compound: String
        /// Building and household where the report names them ("3栋 1-302").
        public var place: String?
        public var issueType: String?
        public var description: String
        public var role: TaskRole
        public var rule: String
        public var acknowledgeDue: Date?
        public var rectifyDue: Date?
        /// Why the rectify deadline could not be counted (the calendar ran out), when it could not.
        public var rectifyUnset: Bool
        /// A team's officer on duty, by name.
        public var onDuty: String?
        /// The issue's and task's numbers, or the stand-ins when they are not known yet.
        public var issue: String
        public var task: String
        public var timeZone: TimeZone

        public init(
            department: String, compound: String, place: String? = nil, issueType: String?, description: String, role: TaskRole, rule: String,
            acknowledgeDue: Date?, rectifyDue: Date?, rectifyUnset: Bool = false, onDuty: String? = nil, issue: String = DispatchNotice.issueNumber,
            task: String = DispatchNotice.taskNumber, timeZone: TimeZone
        ) {
            self.department = department
            self.compound = compound
            self.place = place
            self.issueType = issueType
            self.description = description
            self.role = role
            self.rule = rule
            self.acknowledgeDue = acknowledgeDue
            self.rectifyDue = rectifyDue
            self.rectifyUnset = rectifyUnset
            self.onDuty = onDuty
            self.issue = issue
            self.task = task
            self.timeZone = timeZone
        }
    }

    public static func message(_ facts: Facts) -> NotificationMessage {
        let moment = { (date: Date) in EscalationNotice.chineseMoment(date, in: facts.timeZone) }
        let place = [facts.compound, facts.place].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
        let subject = "\(place)\(facts.issueType.map { " · \($0)" } ?? "")（问题 \(facts.issue)，任务 \(facts.task)）"
        let who = facts.onDuty.map { "\(facts.department)（当班：\($0)）" } ?? facts.department
        var asked: [String] = []
        asked.append(facts.acknowledgeDue.map { "请于\(moment($0))前报到（签收）" } ?? "请及时报到（签收）")
        if let due = facts.rectifyDue {
            asked.append("整改期限为\(moment(due))")
        } else if facts.rectifyUnset {
            asked.append("整改期限待工作日历更新后补定")
        }
        return NotificationMessage(
            title: "吹哨派单",
            lines: [
                "\(who)：\(subject)派给您单位，作为\(facts.role.chineseName)办理。" + asked.joined(separator: "；") + "。",
                facts.description,
                "派单依据：\(facts.rule)",
            ].filter { !$0.isEmpty })
    }
}
