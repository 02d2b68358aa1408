import Foundation
import Logging
import PostgresNIO
import WhistleCore

/// Climbing one track of a ladder, shared by a task's rungs (`EscalationEngine`) and a joint
/// operation's confirmation rungs (`OperationLadder`): every rung due by `now` fires, in order
/// (more than one after downtime), then the next one's timer is armed. A calendar that runs out
/// is an `escalation.unscheduled` event on the subject, never a silent stop.
enum LadderClimb {
    /// What firing a rung did: whether it wrote to the outbox, and the anchors it moved (a
    /// supervision order's new deadline).
    typealias Fired = (wroteOutbox: Bool, anchors: [EscalationAnchor: Date])

    /// - Returns: whether any rung wrote to the outbox.
    static func climb(
        _ ladder: EscalationLadder, track: EscalationTrack, fired initial: Set<String>, anchors initialAnchors: [EscalationAnchor: Date],
        calendar: WorkCalendar, zone: TimeZone, now: Date, timer: TimerKey, subject: (kind: String, id: String), unscheduledDetails: [String: String],
        on connection: PostgresConnection, logger: Logger, fire: (EscalationRung, Date) async throws -> Fired
    ) async throws -> Bool {
        var fired = initial
        var anchors = initialAnchors
        var wrote = false
        while true {
            let found: (rung: EscalationRung, moment: Date?)?
            do throws(WorkCalendarError) {
                found = try ladder.next(on: track, fired: fired, anchors: anchors, calendar: calendar, in: zone)
            } catch {
                // The calendar ran out: the office must hear that the ladder cannot go on, not find out later.
                try await EventLog.append(
                    tenant: timer.tenant, subject: subject, kind: "escalation.unscheduled", actor: "whistle", at: now,
                    details: unscheduledDetails.merging(["reason": error.description]) { _, new in new }, on: connection, logger: logger)
                return wrote
            }
            guard let next = found, let moment = next.moment else { return wrote }
            if moment > now {
                try await TimerStore.arm(
                    timer, due: moment, details: LadderTimer(track: track, rung: next.rung.code, at: moment).details, on: connection, logger: logger)
                return wrote
            }
            let result = try await fire(next.rung, moment)
            wrote = wrote || result.wroteOutbox
            fired.insert(next.rung.code)
            anchors.merge(result.anchors) { _, new in new }
        }
    }
}
