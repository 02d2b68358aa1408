import Foundation

/// What a rung of the escalation ladder does (seed `001`, 四、工作机制: 催办, 督办, 约谈, 通报, 问责).
public enum EscalationAction: String, Sendable, Hashable, Codable, CaseIterable {
    /// 提醒: a reminder before the deadline.
    case remind
    /// 催办: the deadline passed; the department is pressed.
    case urge
    /// 督办: a supervision order (督办单) with a new deadline.
    case supervisionOrder
    /// 约谈: a formal talk with the deputy in charge and the handler (the principal, for grave cases).
    case talk
    /// 通报批评: a county-wide public notice, published only once the group leader approves.
    case publicNotice
    /// 问责: referral for accountability.
    case accountability

    public var chineseName: String {
        switch self {
        case .remind: return "提醒"
        case .urge: return "催办"
        case .supervisionOrder: return "督办"
        case .talk: return "约谈"
        case .publicNotice: return "通报批评"
        case .accountability: return "问责"
        }
    }
}

/// Who a rung notifies, by role in the department (or above it).
public enum EscalationTarget: String, Sendable, Hashable, Codable, CaseIterable {
    /// The task's handler (经办人), the department's liaison (联络员), its deputy in charge
    /// (分管负责人) and principal (主要负责人); the campaign office; the group leader (组长).
    case handler, liaison, deputyInCharge, principal, office, groupLeader

    public var chineseName: String {
        switch self {
        case .handler: return "经办人"
        case .liaison: return "联络员"
        case .deputyInCharge: return "分管负责人"
        case .principal: return "主要负责人"
        case .office: return "工作专班办公室"
        case .groupLeader: return "工作专班组长"
        }
    }
}

/// The moment a rung counts from.
public enum EscalationAnchor: String, Sendable, Hashable, Codable, CaseIterable {
    /// The task's acknowledge (报到) and rectify (整改) deadlines.
    case acknowledgeDue, rectifyDue
    /// The new deadline a supervision order set.
    case supervisionDue
    /// The date promised at the talk.
    case talkPromise
}

/// How far from its anchor a rung fires: negative is before (a reminder), positive after.
public struct EscalationOffset: Sendable, Hashable, Codable {
    public enum Unit: String, Sendable, Hashable, Codable, CaseIterable {
        case workingDays, hours
    }

    public var amount: Int
    public var unit: Unit

    public init(_ amount: Int, _ unit: Unit) {
        self.amount = amount
        self.unit = unit
    }

    public static let atAnchor = EscalationOffset(0, .hours)
}

/// One rung: when it fires, what it does, whom it tells and what it costs in the assessment.
public struct EscalationRung: Sendable, Hashable, Codable {
    /// Stable within the ladder (`remind`, `urge`, …): a task records which rungs fired.
    public var code: String
    public var action: EscalationAction
    public var anchor: EscalationAnchor
    public var offset: EscalationOffset
    public var targets: [EscalationTarget]
    /// Points deducted in the department's monthly assessment (月度考评) when the rung fires.
    public var deduction: Double
    /// For a supervision order: the new deadline, in working days from the order.
    public var newDeadlineWorkingDays: Int?
    /// For a public notice: it stays a draft until the group leader approves it.
    public var requiresApproval: Bool

    public init(
        code: String, action: EscalationAction, anchor: EscalationAnchor, offset: EscalationOffset = .atAnchor,
        targets: [EscalationTarget], deduction: Double = 0, newDeadlineWorkingDays: Int? = nil, requiresApproval: Bool = false
    ) {
        self.code = code
        self.action = action
        self.anchor = anchor
        self.offset = offset
        self.targets = targets
        self.deduction = deduction
        self.newDeadlineWorkingDays = newDeadlineWorkingDays
        self.requiresApproval = requiresApproval
    }
}

/// A tenant's escalation ladder (`config/tenants/<tenant>/escalation.yaml`): the rungs of a late
/// rectification and the shorter ladder of a task nobody reported in for. A task keeps the ladder
/// it was dispatched with; each rung fires at most once.
public struct EscalationLadder: Sendable, Hashable, Codable {
    /// Rectification: 提醒 → 催办 → 督办 → 约谈 → 通报 → 问责.
    public var rectify: [EscalationRung]
    /// Reporting in (报到): not reported in → reminder → 催办 to the deputy in charge.
    public var acknowledge: [EscalationRung]

    public init(rectify: [EscalationRung], acknowledge: [EscalationRung]) {
        self.rectify = rectify
        self.acknowledge = acknowledge
    }

    /// The ladder of seed `001` (濉溪县, 四、工作机制 二、三): a reminder one working day before the
    /// deadline; 催办 when it passes; a 督办单 one working day later with a new deadline of a week
    /// (5 working days, "原则上1周内办结"); a 约谈 for the deputy in charge and the handler when that
    /// is missed; 全县通报批评 when the talk's promise is missed, "报经工作专班组长同意"; then 问责.
    /// The seed sets no points; the deductions here are the office's to change.
    public static let standard = EscalationLadder(
        rectify: [
            EscalationRung(code: "remind", action: .remind, anchor: .rectifyDue, offset: EscalationOffset(-1, .workingDays), targets: [.handler, .liaison]),
            EscalationRung(code: "urge", action: .urge, anchor: .rectifyDue, targets: [.handler, .liaison, .deputyInCharge], deduction: 0.5),
            EscalationRung(
                code: "supervise", action: .supervisionOrder, anchor: .rectifyDue, offset: EscalationOffset(1, .workingDays),
                targets: [.deputyInCharge, .handler, .office], deduction: 1, newDeadlineWorkingDays: 5),
            EscalationRung(code: "talk", action: .talk, anchor: .supervisionDue, targets: [.deputyInCharge, .handler, .office], deduction: 2),
            EscalationRung(
                code: "notice", action: .publicNotice, anchor: .talkPromise, targets: [.groupLeader, .office], deduction: 3, requiresApproval: true),
            EscalationRung(
                code: "accountability", action: .accountability, anchor: .talkPromise, offset: EscalationOffset(5, .workingDays),
                targets: [.groupLeader, .office, .principal], deduction: 5),
        ],
        acknowledge: [
            EscalationRung(code: "remind", action: .remind, anchor: .acknowledgeDue, targets: [.handler, .liaison]),
            EscalationRung(
                code: "urge", action: .urge, anchor: .acknowledgeDue, offset: EscalationOffset(1, .workingDays), targets: [.deputyInCharge, .liaison],
                deduction: 0.5),
        ])

    /// When `rung` fires, counted from the anchors known so far; nil while its anchor is not set
    /// (a talk waits for the supervision order's deadline, a notice for the talk's promise).
    public func moment(
        of rung: EscalationRung, anchors: [EscalationAnchor: Date], calendar: WorkCalendar, in timeZone: TimeZone? = nil
    ) throws(WorkCalendarError) -> Date? {
        guard let anchor = anchors[rung.anchor] else { return nil }
        let amount = rung.offset.amount
        switch rung.offset.unit {
        case .hours:
            return anchor.addingTimeInterval(Double(amount) * 3600)
        case .workingDays:
            return amount >= 0
                ? try calendar.addWorkingDays(from: anchor, days: amount, in: timeZone)
                : try calendar.subtractWorkingDays(from: anchor, days: -amount, in: timeZone)
        }
    }
}
