import Foundation
import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle
import Synchronization
import WhistleCore

/// The deadline scheduler: keeps the timers due within the horizon in a timer wheel, learns of
/// new near ones at once (LISTEN/NOTIFY), tops the wheel up as time moves, and fires what is due
/// by claiming it in the database, one transaction per batch, together with its action.
///
/// The wheel only says *when* to claim; the claim itself takes every armed row due by then, so a
/// wheel entry that is stale (the deadline was extended or the task closed) costs one empty claim
/// and nothing fires twice. Several schedulers on one database share the work: a claim skips the
/// rows another one holds, and the periodic sweep picks up what a dead one left.
public final class TimerScheduler: Service, Sendable {
    /// What the scheduler is doing, for readiness checks, logs and tests.
    public struct Status: Sendable {
        /// The wheel has been loaded from the database once (the daemon is armed).
        public var isArmed = false
        /// How long loading the wheel took at start.
        public var armingDuration: Duration?
        /// Timers currently in the wheel (stale entries included).
        public var wheelCount = 0
        /// Timers this scheduler fired since it started.
        public var fired = 0
        /// Claim transactions that failed (and were retried at the next sweep).
        public var failedClaims = 0
        /// Whether the LISTEN connection is up.
        public var listening = false
        /// `settle()` calls made, and the last one a whole pass has answered.
        public var settleRequested = 0
        public var settledThrough = 0
        /// False once the loop has ended.
        public var isRunning = true
    }

    private struct Inbox {
        var armed: [(id: Int64, due: Int64)] = []
        var reload = false
    }

    let database: Database
    public let settings: SchedulerSettings
    let clock: any WallClock
    let node: String
    let action: any TimerAction
    let logger: Logger

    private let inbox = Mutex(Inbox())
    private let state = Mutex(Status())
    private let stopping = Atomic<Bool>(false)
    private let doorbell = Doorbell()
    private let startGate = Gate()
    private let startsOpen: Bool
    private let statusWaiters = Mutex<[(condition: @Sendable (Status) -> Bool, continuation: CheckedContinuation<Void, Never>)]>([])

    private let firedCounter = Counter(label: "whistle_timers_fired_total")
    private let lateTimer = Metrics.Timer(label: "whistle_timer_lateness_seconds")
    private let wheelGauge = Gauge(label: "whistle_timer_wheel_size")

    /// - Parameters:
    ///   - node: this daemon's name in `fired_by` and in the events' actor (host and process id by default).
    ///   - action: what fired timers mean; runs in the claiming transaction.
    ///   - waitsForOpen: the scheduler touches the database only after `open()` (the daemon
    ///     opens it once its migrations have run).
    public init(
        database: Database, settings: SchedulerSettings = SchedulerSettings(), clock: any WallClock = SystemClock(),
        node: String = TimerScheduler.defaultNode, action: any TimerAction = RecordOnlyTimerAction(),
        waitsForOpen: Bool = false, logger: Logger
    ) {
        self.startsOpen = !waitsForOpen
        self.database = database
        self.settings = settings
        self.clock = clock
        self.node = node
        self.action = action
        self.logger = logger
    }

    /// `host:pid`, unique among the daemons sharing a database.
    public static var defaultNode: String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
    }

    public var status: Status { state.withLock { $0 } }

    /// Returns after one whole pass of the loop has begun and ended after this call: everything
    /// due by the clock's time now, and every notification received before the call, is handled.
    public func settle() async {
        let ticket = state.withLock { status -> Int in
            status.settleRequested += 1
            return status.settleRequested
        }
        doorbell.ring()
        await waitForStatus { $0.settledThrough >= ticket || !$0.isRunning }
    }

    /// Returns once the status satisfies `condition` (checked at every change).
    public func waitForStatus(_ condition: @escaping @Sendable (Status) -> Bool) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let satisfied = state.withLock { status in
                if condition(status) { return true }
                statusWaiters.withLock { $0.append((condition, continuation)) }
                return false
            }
            if satisfied { continuation.resume() }
        }
    }

    private func update(_ change: (inout Status) -> Void) {
        let ready = state.withLock { status -> [CheckedContinuation<Void, Never>] in
            change(&status)
            let snapshot = status
            return statusWaiters.withLock { waiters in
                var ready: [CheckedContinuation<Void, Never>] = []
                waiters.removeAll { waiter in
                    guard waiter.condition(snapshot) else { return false }
                    ready.append(waiter.continuation)
                    return true
                }
                return ready
            }
        }
        for continuation in ready { continuation.resume() }
    }

    // MARK: Service

    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    if !self.startsOpen { await self.startGate.wait() }
                    await self.listen()
                }
                try await self.loop()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            // Let the batch in flight commit, then stop.
            self.stop()
        }
    }

    /// Lets a scheduler made with `waitsForOpen` start: the schema is in place.
    public func open() {
        startGate.open()
    }

    /// Stops the scheduler after the batch in flight (what graceful shutdown does).
    public func stop() {
        stopping.store(true, ordering: .relaxed)
        doorbell.ring()
        startGate.open()
    }

    private var isStopping: Bool { stopping.load(ordering: .relaxed) || Task.isCancelled }

    // MARK: Listening

    private func listen() async {
        var attempt = 0
        while !isStopping {
            do {
                try await database.client.withConnection { connection in
                    try await connection.listen(on: TimerStore.channel) { notifications in
                        let reconnected = attempt > 0
                        attempt = 0
                        self.update { $0.listening = true }
                        if reconnected {
                            // Whatever was armed while we were deaf is found by reloading the wheel.
                            self.inbox.withLock { $0.reload = true }
                            self.doorbell.ring()
                        }
                        for try await notification in notifications {
                            self.receive(notification.payload)
                        }
                    }
                }
            } catch {
                if isStopping { break }
                logger.warning("timer notifications lost; reconnecting", metadata: ["error": "\(describeDatabaseError(error))"])
            }
            update { $0.listening = false }
            attempt += 1
            try? await Task.sleep(for: .milliseconds(min(5_000, 100 * (1 << min(attempt, 6)))))
        }
    }

    private func receive(_ payload: String) {
        logger.trace("timer notification", metadata: ["payload": "\(payload)"])
        let parts = payload.split(separator: " ")
        if parts.count == 2, let id = Int64(parts[0]), let due = Int64(parts[1]) {
            inbox.withLock { $0.armed.append((id, due)) }
        } else {
            inbox.withLock { $0.reload = true }
        }
        doorbell.ring()
    }

    // MARK: The loop

    private func loop() async throws {
        if !startsOpen { await startGate.wait() }
        guard !isStopping else {
            update { $0.isRunning = false }
            return
        }
        let started = ContinuousClock.now
        var now = clock.now()
        var wheel = TimerWheel<Int64>(now: TimerInstant(now))
        var loadedUntil = now.addingTimeInterval(TimeInterval(settings.horizonSeconds))
        // Rows armed while this load runs arrive as notifications too: a duplicate entry only
        // costs an empty claim.
        let loaded = await load(into: &wheel, from: now, before: loadedUntil)
        let armingDuration = ContinuousClock.now - started
        update {
            $0.isArmed = loaded
            $0.armingDuration = armingDuration
            $0.wheelCount = wheel.count
        }
        logger.notice(
            "deadline scheduler armed",
            metadata: ["node": "\(node)", "timers": "\(wheel.count)", "took": "\(armingDuration)", "horizon_s": "\(settings.horizonSeconds)"])

        var sweepAt = now  // the first sweep fires what came due while the daemon was away
        var refillAt = now.addingTimeInterval(TimeInterval(settings.refillSeconds))
        if !loaded { refillAt = now }
        var fired: [TimerWheel<Int64>.Fired] = []

        while !isStopping {
            now = clock.now()
            let settling = state.withLock { $0.settleRequested }
            let (armed, reload) = inbox.withLock { inbox in
                defer { inbox = Inbox() }
                return (inbox.armed, inbox.reload)
            }
            for timer in armed where timer.due < Int64(loadedUntil.timeIntervalSince1970 * 1000) {
                _ = wheel.schedule(at: TimerInstant(milliseconds: timer.due), timer.id)
            }
            if reload {
                wheel = TimerWheel<Int64>(now: TimerInstant(now))
                loadedUntil = now.addingTimeInterval(TimeInterval(settings.horizonSeconds))
                if !(await load(into: &wheel, from: now, before: loadedUntil)) { refillAt = now }
                sweepAt = now
            }
            if now >= refillAt {
                let until = now.addingTimeInterval(TimeInterval(settings.horizonSeconds))
                let from = loadedUntil
                loadedUntil = until
                if await load(into: &wheel, from: from, before: until) {
                    refillAt = now.addingTimeInterval(TimeInterval(settings.refillSeconds))
                    update { $0.isArmed = true }
                } else {
                    loadedUntil = from
                    refillAt = now.addingTimeInterval(TimeInterval(settings.sweepSeconds))
                }
            }

            fired.removeAll(keepingCapacity: true)
            wheel.advance(to: max(wheel.now, TimerInstant(now)), into: &fired)
            if !fired.isEmpty || now >= sweepAt {
                await fireDue(at: now)
                sweepAt = clock.now().addingTimeInterval(TimeInterval(settings.sweepSeconds))
            }
            let count = wheel.count
            update {
                $0.wheelCount = count
                $0.settledThrough = max($0.settledThrough, settling)
            }
            wheelGauge.record(count)

            var next = min(sweepAt, refillAt)
            if let due = wheel.nextDeadline { next = min(next, due.date) }
            guard !isStopping else { break }
            // A settle() that came during this pass may have used up the doorbell's ring.
            if state.withLock({ $0.settleRequested }) > settling { continue }
            logger.trace("scheduler sleeps", metadata: ["until": "\(next)", "wheel": "\(count)"])
            await doorbell.wait(until: next, on: clock)
            logger.trace("scheduler woke", metadata: ["now": "\(clock.now())"])
        }
        update { $0.isRunning = false }
        logger.info("deadline scheduler stopped", metadata: ["fired": "\(status.fired)"])
    }

    /// Loads the armed timers due in `[from, before)` into the wheel; false if the database failed.
    private func load(into wheel: inout TimerWheel<Int64>, from: Date, before: Date) async -> Bool {
        do {
            _ = try await TimerStore.loadArmed(from: from, before: before, client: database.client, logger: logger) { id, due in
                _ = wheel.schedule(at: TimerInstant(milliseconds: due), id)
            }
            return true
        } catch {
            logger.error("loading timers failed; retrying at the next sweep", metadata: ["error": "\(describeDatabaseError(error))"])
            return false
        }
    }

    /// Claims and fires everything due at `now`, one transaction per batch, until a batch comes back short.
    private func fireDue(at now: Date) async {
        while !stopping.load(ordering: .relaxed) {
            do {
                let batch = try await database.withSystemTransaction { connection -> [FiredTimer] in
                    try await TimerStore.limitTransaction(to: settings.leaseSeconds, on: connection, logger: logger)
                    let fired = try await TimerStore.claimDue(
                        now: now, limit: settings.batchSize, node: node, on: connection, logger: logger)
                    if !fired.isEmpty {
                        try await action.perform(fired, on: connection, logger: logger)
                    }
                    return fired
                }
                if !batch.isEmpty {
                    firedCounter.increment(by: batch.count)
                    for timer in batch { lateTimer.recordMilliseconds(timer.lateMilliseconds) }
                    update { $0.fired += batch.count }
                    logger.debug("timers fired", metadata: ["count": "\(batch.count)"])
                }
                if batch.count < settings.batchSize { return }
            } catch {
                update { $0.failedClaims += 1 }
                logger.error("firing timers failed; they stay armed and are retried", metadata: ["error": "\(describeDatabaseError(error))"])
                return
            }
        }
    }
}
