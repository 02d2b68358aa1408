import Foundation

/// The time the daemon's deadlines run on. Everything that reads the time or waits for it
/// takes a clock, so tests can run a month of deadlines in milliseconds.
public protocol WallClock: Sendable {
    /// The current moment.
    func now() -> Date
    /// Suspends until `deadline` has come; throws `CancellationError` when the task is cancelled.
    func sleep(until deadline: Date) async throws
}

/// The real time of the machine.
public struct SystemClock: WallClock {
    public init() {}

    public func now() -> Date { Date() }

    public func sleep(until deadline: Date) async throws {
        let seconds = deadline.timeIntervalSinceNow
        guard seconds > 0 else { return }
        try await Task.sleep(for: .milliseconds(Int64((seconds * 1000).rounded(.up))))
    }
}
