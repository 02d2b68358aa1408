import Foundation

/// The two ladders a task climbs: reporting in (报到) and rectification (整改).
public enum EscalationTrack: String, Sendable, Hashable, Codable, CaseIterable {
    case acknowledge, rectify

    /// The kind of the task's timer that waits for this track's next rung.
    public var timerKind: String { "ladder.\(rawValue)" }

    public init?(timerKind: String) {
        guard timerKind.hasPrefix("ladder.") else { return nil }
        self.init(rawValue: String(timerKind.dropFirst("ladder.".count)))
    }
}

extension EscalationLadder {
    /// The rungs of one track, in the order they fire.
    public func rungs(of track: EscalationTrack) -> [EscalationRung] {
        track == .rectify ? rectify : acknowledge
    }

    /// The rung a task waits for on `track`: the first that has not fired, with the moment it fires,
    /// or a nil moment while its anchor is not set yet (a notice waits for the talk's promise).
    /// Nil when every rung has fired. Rungs fire in order: a later one never overtakes a waiting one.
    public func next(
        on track: EscalationTrack, fired: Set<String>, anchors: [EscalationAnchor: Date], calendar: WorkCalendar, in timeZone: TimeZone? = nil
    ) throws(WorkCalendarError) -> (rung: EscalationRung, moment: Date?)? {
        guard let rung = rungs(of: track).first(where: { !fired.contains($0.code) }) else { return nil }
        return (rung, try moment(of: rung, anchors: anchors, calendar: calendar, in: timeZone))
    }
}
