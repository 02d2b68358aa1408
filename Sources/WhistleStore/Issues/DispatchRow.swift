import Foundation
import WhistleCore

/// A task about to be dispatched: its deadlines (or why they could not be set) and what its
/// `task.dispatched` event says. Intake and re-routing write the same rows.
struct DispatchRow: Sendable {
    var task: RoutedTask
    var rule: String
    var deadlines: TaskDeadlines?
    /// Set when the deadlines could not be counted; the task goes out all the same.
    var deadlineProblem: String?

    init(_ task: RoutedTask, rule: String, routing: TenantRouting.Tenant, now: Date) {
        self.task = task
        self.rule = rule
        if let policy = routing.policy {
            do throws(DeadlineError) {
                deadlines = try task.deadlines(dispatchedAt: now, policy: policy)
            } catch {
                deadlineProblem = error.description
            }
        } else {
            deadlineProblem = "the tenant has no working-day calendar"
        }
    }

    /// The details of `task.dispatched`, without the issue (the caller adds it).
    func dispatchedDetails(zone: TimeZone) -> [String: String] {
        var details = ["department": task.department, "role": task.role.rawValue, "rule": rule]
        if let due = deadlines?.rectifyDue { details["rectifyDue"] = ISOMoment.format(due, in: zone) }
        if let due = deadlines?.acknowledgeDue { details["acknowledgeDue"] = ISOMoment.format(due, in: zone) }
        return details
    }
}
