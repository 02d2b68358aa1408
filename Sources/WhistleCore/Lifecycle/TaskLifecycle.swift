import Foundation

/// Where a task stands: dispatched → acknowledged (报到/签收) → in progress → rectified (整改) →
/// verified (验收) → closed (销号); disputed (退单) while the office decides; withdrawn when the
/// issue no longer concerns the department.
public enum TaskState: String, Sendable, Hashable, CaseIterable, Codable {
    case dispatched, acknowledged, inProgress, rectified, verified, closed, disputed, withdrawn

    public var chineseName: String {
        switch self {
        case .dispatched: return "已派单"
        case .acknowledged: return "已签收"
        case .inProgress: return "整改中"
        case .rectified: return "已整改待验收"
        case .verified: return "已验收"
        case .closed: return "已销号"
        case .disputed: return "退单待裁定"
        case .withdrawn: return "已撤回"
        }
    }

    /// Whether the task still has work or a decision ahead of it.
    public var isLive: Bool { self != .closed && self != .withdrawn }
}

/// What someone does to a task.
public enum TaskAction: String, Sendable, Hashable, CaseIterable, Codable {
    /// 报到/签收, by the department.
    case acknowledge
    /// Work begins, by the department.
    case start
    /// 整改完成: measures taken (and after-photos), by the department.
    case rectify
    /// 验收通过, by the office or the community.
    case verify
    /// 验收不通过: back to the department with a reason.
    case reject
    /// 销号, by the office.
    case close
    /// 退单: "not ours", with a reason, within the acknowledge limit.
    case dispute
    /// The office upholds a dispute: the task is withdrawn (and may be reassigned).
    case upholdDispute = "uphold-dispute"
    /// The office rejects a dispute: the task goes back to the department, deadline unchanged.
    case rejectDispute = "reject-dispute"
    /// 延期申请, before the rectify deadline, with a reason and a date.
    case requestExtension = "request-extension"
    case approveExtension = "approve-extension"
    case denyExtension = "deny-extension"

    public var chineseName: String {
        switch self {
        case .acknowledge: return "签收"
        case .start: return "开始整改"
        case .rectify: return "整改完成"
        case .verify: return "验收通过"
        case .reject: return "验收不通过"
        case .close: return "销号"
        case .dispute: return "退单"
        case .upholdDispute: return "同意退单"
        case .rejectDispute: return "驳回退单"
        case .requestExtension: return "申请延期"
        case .approveExtension: return "批准延期"
        case .denyExtension: return "不批准延期"
        }
    }
}

/// The rules of a task's lifecycle: which action is allowed in which state, and what it leads to.
/// Pure: the store applies the result in one transaction with its events and timers.
public enum TaskLifecycle {
    /// What the rules need to know beside the state.
    public struct Facts: Sendable, Hashable {
        public var now: Date
        public var acknowledgeDue: Date?
        public var rectifyDue: Date?
        /// The state a disputed task came from.
        public var stateBeforeDispute: TaskState?
        /// A pending extension request's date.
        public var pendingExtension: Date?

        public init(now: Date, acknowledgeDue: Date? = nil, rectifyDue: Date? = nil, stateBeforeDispute: TaskState? = nil, pendingExtension: Date? = nil) {
            self.now = now
            self.acknowledgeDue = acknowledgeDue
            self.rectifyDue = rectifyDue
            self.stateBeforeDispute = stateBeforeDispute
            self.pendingExtension = pendingExtension
        }
    }

    /// Why an action was refused.
    public enum Refusal: Error, Sendable, Hashable, CustomStringConvertible {
        /// The state does not allow it; `allowed` are the actions it does allow.
        case notAllowed(state: TaskState, action: TaskAction, allowed: [TaskAction])
        /// A dispute after the acknowledge limit.
        case disputeTooLate(acknowledgeDue: Date)
        /// An extension asked for after the deadline, or for a date not after it.
        case extensionTooLate(rectifyDue: Date)
        case extensionNotLater(rectifyDue: Date, requested: Date)
        case extensionAlreadyPending
        case noPendingExtension
        /// A field the action needs.
        case missing(field: String)

        public var description: String {
            switch self {
            case .notAllowed(let state, let action, let allowed):
                let options = allowed.isEmpty ? "无" : allowed.map { "\($0.rawValue)（\($0.chineseName)）" }.joined(separator: "、")
                return "任务当前为“\(state.chineseName)”(\(state.rawValue)),不能“\(action.chineseName)”;当前可执行:\(options)"
            case .disputeTooLate: return "已超过签收时限,不能退单"
            case .extensionTooLate: return "已超过整改时限,不能申请延期"
            case .extensionNotLater: return "延期日期须晚于原整改时限"
            case .extensionAlreadyPending: return "已有待审批的延期申请"
            case .noPendingExtension: return "没有待审批的延期申请"
            case .missing(let field): return "必须填写 \(field)"
            }
        }
    }

    /// The actions a task in `state` allows (before the facts are checked).
    public static func allowedActions(in state: TaskState) -> [TaskAction] {
        switch state {
        case .dispatched: return [.acknowledge, .dispute]
        case .acknowledged: return [.start, .rectify, .dispute, .requestExtension, .approveExtension, .denyExtension]
        case .inProgress: return [.rectify, .requestExtension, .approveExtension, .denyExtension]
        case .rectified: return [.verify, .reject]
        case .verified: return [.close]
        case .disputed: return [.upholdDispute, .rejectDispute]
        case .closed, .withdrawn: return []
        }
    }

    /// The state after `action`, or why it is refused.
    ///
    /// - Parameters:
    ///   - reason: required by reject, dispute, reject-dispute, request-extension and deny-extension.
    ///   - measures: required by rectify (整改措施).
    ///   - until: required by request-extension: the date asked for.
    public static func apply(
        _ action: TaskAction, to state: TaskState, facts: Facts, reason: String? = nil, measures: String? = nil, until: Date? = nil
    ) -> Result<TaskState, Refusal> {
        guard allowedActions(in: state).contains(action) else {
            return .failure(.notAllowed(state: state, action: action, allowed: allowedActions(in: state)))
        }
        func has(_ text: String?) -> Bool { !(text?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ?? true) }
        switch action {
        case .acknowledge: return .success(.acknowledged)
        case .start: return .success(.inProgress)
        case .rectify:
            guard has(measures) else { return .failure(.missing(field: "measures")) }
            return .success(.rectified)
        case .verify: return .success(.verified)
        case .reject:
            guard has(reason) else { return .failure(.missing(field: "reason")) }
            return .success(.inProgress)
        case .close: return .success(.closed)
        case .dispute:
            guard has(reason) else { return .failure(.missing(field: "reason")) }
            if let due = facts.acknowledgeDue, facts.now > due { return .failure(.disputeTooLate(acknowledgeDue: due)) }
            return .success(.disputed)
        case .upholdDispute: return .success(.withdrawn)
        case .rejectDispute:
            guard has(reason) else { return .failure(.missing(field: "reason")) }
            return .success(facts.stateBeforeDispute ?? .dispatched)
        case .requestExtension:
            guard has(reason) else { return .failure(.missing(field: "reason")) }
            guard let until else { return .failure(.missing(field: "until")) }
            guard facts.pendingExtension == nil else { return .failure(.extensionAlreadyPending) }
            if let due = facts.rectifyDue {
                if facts.now >= due { return .failure(.extensionTooLate(rectifyDue: due)) }
                if until <= due { return .failure(.extensionNotLater(rectifyDue: due, requested: until)) }
            }
            return .success(state)
        case .approveExtension:
            guard facts.pendingExtension != nil else { return .failure(.noPendingExtension) }
            return .success(state)
        case .denyExtension:
            guard facts.pendingExtension != nil else { return .failure(.noPendingExtension) }
            guard has(reason) else { return .failure(.missing(field: "reason")) }
            return .success(state)
        }
    }
}
