import Foundation
import Logging
import PostgresNIO
import WhistleCore

/// A task about to be dispatched: its deadlines (or why they could not be set) and what its
/// `task.dispatched` event says. Intake and re-routing write the same rows.
struct DispatchRow: Sendable {
    var task: RoutedTask
    var rule: String
    var deadlines: TaskDeadlines?
    /// Set when the deadlines could not be counted; the task goes out all the same.
    var deadlineProblem: String?
    /// The reporting-in deadline: wall time, so it stands even when the calendar cannot count
    /// the rectify deadline (its year's holiday notice is not in yet; `DeadlineCatchUp` counts it later).
    var acknowledgeDue: Date?
    /// The first rung of each ladder, armed beside the deadlines.
    var ladderTimers: [LadderTimer] = []
    /// The ladders whose first rung the calendar cannot count (a custom ladder's rung past the
    /// calendar's last year): dispatched all the same, with `escalation.unscheduled` in the trail.
    var unscheduledLadders: [LadderTimer.Unscheduled] = []
    /// For a specialist team with a roster: the member on duty, and when their shift ends (or,
    /// in a gap of the roster, nobody until the next shift starts).
    var assignee: String?
    var handoffAt: Date?

    /// - Parameter overrides: the API's overrides of team rosters (`RosterStore`), by team.
    init(_ task: RoutedTask, rule: String, routing: TenantRouting.Tenant, now: Date, overrides: [String: [RosterOverride]] = [:]) {
        self.task = task
        self.rule = rule
        if let policy = routing.policy {
            do throws(DeadlineError) {
                deadlines = try task.deadlines(dispatchedAt: now, policy: policy)
                acknowledgeDue = deadlines?.acknowledgeDue
            } catch {
                deadlineProblem = error.description
                acknowledgeDue = try? policy.acknowledgeDue(dispatchedAt: now, limits: task.limits)
            }
        } else {
            deadlineProblem = "the tenant has no working-day calendar"
        }
        if let policy = routing.policy, deadlines != nil || acknowledgeDue != nil {
            // A track whose anchor is missing arms nothing (its next rung waits for the anchor).
            var anchors: [EscalationAnchor: Date] = [:]
            anchors[.rectifyDue] = deadlines?.rectifyDue
            anchors[.acknowledgeDue] = acknowledgeDue
            (ladderTimers, unscheduledLadders) = LadderTimer.plan(
                ladder: routing.ladder, tracks: EscalationTrack.allCases, fired: [:], anchors: anchors, calendar: policy.calendar,
                zone: routing.timeZone)
        }
        if let team = routing.rosters.teams.first(where: { $0.team == task.department }), let policy = routing.policy {
            var roster = team.roster
            roster.overrides += overrides[team.team] ?? []
            if let duty = try? roster.assignment(at: now, calendar: policy.calendar) {
                assignee = duty.member
                handoffAt = duty.until
            } else {
                handoffAt = try? roster.nextDutyStart(after: now, calendar: policy.calendar)
            }
        }
    }

    /// The rectify limit to keep on the task: the one applied, or, when the calendar could not
    /// count it, the entry's (nil: the tenant's default), which `DeadlineCatchUp` counts later.
    var rectifyWorkingDays: Int? { deadlines?.rectifyWorkingDays ?? task.limits.rectifyWorkingDays }

    /// Every timer the task starts with besides its deadlines: ladders' first rungs, the assignee's shift end.
    var timers: [(kind: String, at: Date, details: [String: String])] {
        var timers = ladderTimers.map { ($0.track.timerKind, $0.at, ["rung": $0.rung]) }
        if let handoffAt { timers.append((RosterHandoff.timerKind, handoffAt, ["member": assignee ?? ""])) }
        return timers
    }

    /// The details of `task.dispatched`, without the issue (the caller adds it).
    func dispatchedDetails(zone: TimeZone) -> [String: String] {
        var details = ["department": task.department, "role": task.role.rawValue, "rule": rule]
        if let due = deadlines?.rectifyDue { details["rectifyDue"] = ISOMoment.format(due, in: zone) }
        if let due = acknowledgeDue { details["acknowledgeDue"] = ISOMoment.format(due, in: zone) }
        details["assignee"] = assignee
        return details
    }
}

/// The timer a ladder track waits on: its next rung and when it fires.
struct LadderTimer: Sendable, Hashable {
    var track: EscalationTrack
    var rung: String
    var at: Date

    var details: String { #"{"rung": "\#(rung)"}"# }

    /// The next rung of each track, skipping the tracks whose next rung waits for an anchor, and
    /// the tracks whose next rung the calendar cannot count (it ran out), with why: the caller
    /// writes `escalation.unscheduled` for those, so the office hears and `DeadlineCatchUp`
    /// resumes them once the next year is in.
    static func plan(
        ladder: EscalationLadder, tracks: [EscalationTrack], fired: [EscalationTrack: Set<String>], anchors: [EscalationAnchor: Date],
        calendar: WorkCalendar, zone: TimeZone
    ) -> (timers: [LadderTimer], unscheduled: [Unscheduled]) {
        var timers: [LadderTimer] = []
        var unscheduled: [Unscheduled] = []
        for track in tracks {
            do throws(WorkCalendarError) {
                if let next = try ladder.next(on: track, fired: fired[track] ?? [], anchors: anchors, calendar: calendar, in: zone),
                    let at = next.moment
                {
                    timers.append(LadderTimer(track: track, rung: next.rung.code, at: at))
                }
            } catch {
                unscheduled.append(Unscheduled(track: track, reason: error.description))
            }
        }
        return (timers, unscheduled)
    }

    /// A track whose next rung the calendar cannot count.
    struct Unscheduled: Sendable, Hashable {
        var track: EscalationTrack
        var reason: String

        /// The details of its `escalation.unscheduled` event (as `LadderClimb` writes them).
        var details: [String: String] { ["track": track.rawValue, "reason": reason] }

        /// Writes that event on `task` of `issue`, in the caller's transaction (the intake writes
        /// it in its own statement from `details`).
        func record(task: Int64, issue: Int64, tenant: String, at now: Date, on connection: PostgresConnection, logger: Logger) async throws {
            try await EventLog.append(
                tenant: tenant, subject: ("task", String(task)), kind: "escalation.unscheduled", actor: "whistle", at: now,
                details: details.merging(["issue": String(issue)]) { old, _ in old }, on: connection, logger: logger)
        }
    }
}
