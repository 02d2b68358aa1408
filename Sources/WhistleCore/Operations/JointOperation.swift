import Foundation

/// What a joint operation (联合整治) did about one of its issues; it moves that issue's tasks.
public enum OperationOutcome: String, Sendable, Hashable, Codable, CaseIterable {
    /// 现场整改: the open tasks are rectified, awaiting verification as usual.
    case rectifiedOnSpot
    /// 后续跟进: a new task for the named department; the open ones stay.
    case followUp
    /// 移交: the open tasks are withdrawn and the named department gets the issue.
    case referred

    public var chineseName: String {
        switch self {
        case .rectifiedOnSpot: return "现场整改"
        case .followUp: return "后续跟进"
        case .referred: return "移交处理"
        }
    }

    /// Whether the outcome names the department that takes the issue on.
    public var needsDepartment: Bool { self != .rectifiedOnSpot }
}

/// One department's or team's time taken by an operation: what clashes are checked against.
public struct OperationBooking: Sendable, Hashable {
    public var operation: Int64
    public var title: String
    public var department: String
    public var start: Date
    public var end: Date

    public init(operation: Int64, title: String, department: String, start: Date, end: Date) {
        self.operation = operation
        self.title = title
        self.department = department
        self.start = start
        self.end = end
    }

    public func overlaps(_ start: Date, _ end: Date) -> Bool { self.start < end && start < self.end }
}

/// Clashes of a proposed operation with those already booked. A team is one crew and cannot be in
/// two places at once: its clash refuses the operation. A department sends different people, so its
/// overlap is only a warning.
public struct OperationClashes: Sendable, Hashable {
    public var teams: [OperationBooking]
    public var departments: [OperationBooking]

    public static func find(
        start: Date, end: Date, participants: [String], teams: Set<String>, booked: [OperationBooking]
    ) -> OperationClashes {
        let wanted = Set(participants)
        let overlapping = booked.filter { wanted.contains($0.department) && $0.overlaps(start, end) }
            .sorted { ($0.start, $0.operation, $0.department) < ($1.start, $1.operation, $1.department) }
        return OperationClashes(
            teams: overlapping.filter { teams.contains($0.department) }, departments: overlapping.filter { !teams.contains($0.department) })
    }

    /// The warning (or refusal) text, naming each clash.
    public static func describe(_ booking: OperationBooking, name: String, zone: TimeZone) -> String {
        "\(name)在 \(EscalationNotice.chineseMoment(booking.start, in: zone))至\(EscalationNotice.chineseMoment(booking.end, in: zone)) 已参加联合整治 #\(booking.operation)“\(booking.title)”"
    }
}

/// The facts an operation's notices are written from.
public struct OperationFacts: Sendable, Hashable {
    public var id: Int64
    public var title: String
    public var purpose: String
    public var place: String
    public var compounds: [String]
    public var lead: String
    public var participants: [String]
    public var start: Date
    public var end: Date
    public var confirmDue: Date
    public var timeZone: TimeZone

    public init(
        id: Int64, title: String, purpose: String, place: String, compounds: [String], lead: String, participants: [String], start: Date, end: Date,
        confirmDue: Date, timeZone: TimeZone
    ) {
        self.id = id
        self.title = title
        self.purpose = purpose
        self.place = place
        self.compounds = compounds
        self.lead = lead
        self.participants = participants
        self.start = start
        self.end = end
        self.confirmDue = confirmDue
        self.timeZone = timeZone
    }

    func moment(_ date: Date) -> String { EscalationNotice.chineseMoment(date, in: timeZone) }
}

/// The Chinese texts of an operation: the summons, the confirmation ladder's reminders, the cancellation.
public enum OperationNotice {
    public static func summons(_ facts: OperationFacts) -> NotificationMessage {
        NotificationMessage(
            title: "联合整治通知",
            lines: [
                "联合整治 #\(facts.id)“\(facts.title)”定于 \(facts.moment(facts.start))至\(facts.moment(facts.end)) 在\(facts.place)开展。",
                "目的：\(facts.purpose)",
                "牵头单位：\(facts.lead)；参加单位：\(facts.participants.filter { $0 != facts.lead }.joined(separator: "、"))。",
                "请于 \(facts.moment(facts.confirmDue)) 前报到确认。",
            ])
    }

    /// A rung of the acknowledge ladder, applied to a participant that has not confirmed.
    public static func unconfirmed(_ facts: OperationFacts, department: String, rung: EscalationRung, people: [String]) -> NotificationMessage {
        let who = people.isEmpty ? department : people.joined(separator: "、")
        let title = rung.action == .remind ? "联合整治报到提醒" : "联合整治报到\(rung.action.chineseName)"
        var lines = [
            "\(who)：\(department)未在 \(facts.moment(facts.confirmDue)) 前对联合整治 #\(facts.id)“\(facts.title)”报到确认。",
            "行动时间 \(facts.moment(facts.start))，地点\(facts.place)，牵头单位\(facts.lead)。请立即报到。",
        ]
        if rung.deduction > 0 { lines.append("按考评办法扣 \(EscalationNotice.formatPoints(rung.deduction)) 分。") }
        return NotificationMessage(title: title, lines: lines)
    }

    public static func cancelled(_ facts: OperationFacts, reason: String) -> NotificationMessage {
        NotificationMessage(
            title: "联合整治取消",
            lines: ["原定 \(facts.moment(facts.start)) 在\(facts.place)开展的联合整治 #\(facts.id)“\(facts.title)”已取消。", "原因：\(reason)"])
    }
}
