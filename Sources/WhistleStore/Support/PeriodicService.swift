import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import WhistleCore

/// Runs a pass of background work now and then every `interval` on a clock, as a service of the
/// daemon's group: the property companies' credit, the monthly reports. It waits for `open()`
/// (the schema and configuration are in place) when asked to, and stops on graceful shutdown.
public final class PeriodicService: Service, Sendable {
    let name: String
    let interval: TimeInterval
    let clock: any WallClock
    let logger: Logger
    let pass: @Sendable () async -> Void
    private let stopping = Atomic<Bool>(false)
    private let doorbell = Doorbell()
    private let startGate = Gate()
    private let startsOpen: Bool

    public init(
        name: String, intervalSeconds: Int, clock: any WallClock = SystemClock(), waitsForOpen: Bool = false, logger: Logger,
        pass: @escaping @Sendable () async -> Void
    ) {
        self.name = name
        self.interval = TimeInterval(max(intervalSeconds, 1))
        self.clock = clock
        self.logger = logger
        self.pass = pass
        self.startsOpen = !waitsForOpen
    }

    public func open() { startGate.open() }

    public func stop() {
        stopping.store(true, ordering: .relaxed)
        doorbell.ring()
        startGate.open()
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            if !startsOpen { await startGate.wait() }
            while !stopping.load(ordering: .relaxed) {
                await pass()
                guard !stopping.load(ordering: .relaxed) else { break }
                await doorbell.wait(until: clock.now().addingTimeInterval(interval), on: clock)
            }
            logger.info("\(name) stopped")
        } onGracefulShutdown: {
            self.stop()
        }
    }
}
