import Foundation
import Testing
@testable import WhistleCore

@Suite("Task lifecycle rules")
struct TaskLifecycleTests {
    let now = Date(timeIntervalSince1970: 1_790_000_000)
    var facts: TaskLifecycle.Facts {
        TaskLifecycle.Facts(now: now, acknowledgeDue: now.addingTimeInterval(3600), rectifyDue: now.addingTimeInterval(86_400 * 5))
    }

    /// Every state × action: an allowed action leads where the lifecycle says; every other is refused naming the allowed ones.
    @Test("every action in every state", arguments: TaskState.allCases)
    func matrix(state: TaskState) {
        let expected: [TaskAction: TaskState] = {
            switch state {
            case .dispatched: return [.acknowledge: .acknowledged, .dispute: .disputed]
            case .acknowledged:
                return [.start: .inProgress, .rectify: .rectified, .dispute: .disputed, .requestExtension: .acknowledged]
            case .inProgress: return [.rectify: .rectified, .requestExtension: .inProgress]
            case .rectified: return [.verify: .verified, .reject: .inProgress]
            case .verified: return [.close: .closed]
            case .disputed: return [.upholdDispute: .withdrawn, .rejectDispute: .acknowledged]
            case .closed, .withdrawn: return [:]
            }
        }()
        var facts = self.facts
        facts.stateBeforeDispute = .acknowledged
        for action in TaskAction.allCases {
            let result = TaskLifecycle.apply(
                action, to: state, facts: facts, reason: "原因", measures: "已清理", until: now.addingTimeInterval(86_400 * 10))
            if let next = expected[action] {
                #expect(result == .success(next), "\(state) \(action)")
            } else if action == .approveExtension || action == .denyExtension, [.acknowledged, .inProgress].contains(state) {
                #expect(result == .failure(.noPendingExtension), "\(state) \(action)")
            } else {
                #expect(
                    result == .failure(.notAllowed(state: state, action: action, allowed: TaskLifecycle.allowedActions(in: state))),
                    "\(state) \(action)")
            }
        }
    }

    @Test("a refusal names the state and what is allowed, in Chinese")
    func refusalText() {
        let refusal = TaskLifecycle.Refusal.notAllowed(state: .rectified, action: .acknowledge, allowed: [.verify, .reject])
        #expect(refusal.description == "任务当前为“已整改待验收”(rectified),不能“签收”;当前可执行:verify（验收通过）、reject（验收不通过）")
    }

    @Test("disputes only within the acknowledge limit, with a reason")
    func disputes() {
        #expect(TaskLifecycle.apply(.dispute, to: .dispatched, facts: facts, reason: nil) == .failure(.missing(field: "reason")))
        #expect(TaskLifecycle.apply(.dispute, to: .dispatched, facts: facts, reason: "  ") == .failure(.missing(field: "reason")))
        var late = facts
        late.now = facts.acknowledgeDue!.addingTimeInterval(1)
        #expect(TaskLifecycle.apply(.dispute, to: .dispatched, facts: late, reason: "非本部门职责") == .failure(.disputeTooLate(acknowledgeDue: facts.acknowledgeDue!)))
        var noLimit = late
        noLimit.acknowledgeDue = nil
        #expect(TaskLifecycle.apply(.dispute, to: .dispatched, facts: noLimit, reason: "非本部门职责") == .success(.disputed))
        var disputed = facts
        disputed.stateBeforeDispute = .dispatched
        #expect(TaskLifecycle.apply(.rejectDispute, to: .disputed, facts: disputed, reason: "属于职责") == .success(.dispatched))
        #expect(TaskLifecycle.apply(.rejectDispute, to: .disputed, facts: disputed) == .failure(.missing(field: "reason")))
    }

    @Test("extensions: before the deadline, to a later date, one at a time, decided by the office")
    func extensions() {
        let later = now.addingTimeInterval(86_400 * 10)
        #expect(TaskLifecycle.apply(.requestExtension, to: .inProgress, facts: facts, reason: "需采购材料") == .failure(.missing(field: "until")))
        #expect(TaskLifecycle.apply(.requestExtension, to: .inProgress, facts: facts, until: later) == .failure(.missing(field: "reason")))
        #expect(
            TaskLifecycle.apply(.requestExtension, to: .inProgress, facts: facts, reason: "r", until: now.addingTimeInterval(3600))
                == .failure(.extensionNotLater(rectifyDue: facts.rectifyDue!, requested: now.addingTimeInterval(3600))))
        var late = facts
        late.now = facts.rectifyDue!
        #expect(TaskLifecycle.apply(.requestExtension, to: .inProgress, facts: late, reason: "r", until: later) == .failure(.extensionTooLate(rectifyDue: facts.rectifyDue!)))
        var pending = facts
        pending.pendingExtension = later
        #expect(TaskLifecycle.apply(.requestExtension, to: .inProgress, facts: pending, reason: "r", until: later) == .failure(.extensionAlreadyPending))
        #expect(TaskLifecycle.apply(.approveExtension, to: .inProgress, facts: pending) == .success(.inProgress))
        #expect(TaskLifecycle.apply(.denyExtension, to: .acknowledged, facts: pending) == .failure(.missing(field: "reason")))
        #expect(TaskLifecycle.apply(.denyExtension, to: .acknowledged, facts: pending, reason: "理由不充分") == .success(.acknowledged))
    }

    @Test("rectifying needs the measures taken")
    func rectify() {
        #expect(TaskLifecycle.apply(.rectify, to: .inProgress, facts: facts) == .failure(.missing(field: "measures")))
        #expect(TaskLifecycle.apply(.reject, to: .rectified, facts: facts) == .failure(.missing(field: "reason")))
        #expect(TaskState.allCases.filter(\.isLive).count == 6)
    }
}
