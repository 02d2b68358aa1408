import Logging
import PostgresNIO

/// What fired timers mean (a reminder, an escalation step, its outbox rows). It runs inside the
/// transaction that marked the timers fired: if it throws, nothing of the batch is kept and the
/// timers fire again on the next sweep.
public protocol TimerAction: Sendable {
    func perform(_ timers: [FiredTimer], on connection: PostgresConnection, logger: Logger) async throws
}

/// Only the `timer.fired` event the claim itself appends (tests of the scheduler alone; the daemon uses `EscalationEngine`).
public struct RecordOnlyTimerAction: TimerAction {
    public init() {}

    public func perform(_ timers: [FiredTimer], on connection: PostgresConnection, logger: Logger) async throws {}
}
