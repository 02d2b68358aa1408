import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import NIOCore
import ServiceLifecycle
import Synchronization
import WhistleCore

/// Delivers the outbox: claims what is due (within each endpoint's rate limit), sends it on its
/// channel, and records the outcome (delivered, retried later with backoff and jitter, or dead).
/// Endpoints are served side by side; one endpoint's deliveries go in order. On graceful
/// shutdown the deliveries in flight finish and are recorded, so a restart sends nothing twice.
public final class NotificationDispatcher: Service, Sendable {
    /// Sends one request; tests may replace the network.
    public typealias Transport = @Sendable (ChannelRequest, _ timeout: Duration) async throws -> (status: Int, body: Data)

    let database: Database
    let settings: NotificationSettings
    let clock: any WallClock
    let logger: Logger
    let channels: [String: [String: NotifyChannel]]
    let environment: [String: String]
    let transport: Transport
    let jitter: @Sendable () -> Double

    private let stopping = Atomic<Bool>(false)
    private let doorbell = Doorbell()
    private let startGate = Gate()
    private let startsOpen: Bool
    private let deliveredCounter = Counter(label: "whistle_notifications_delivered_total")
    private let failedCounter = Counter(label: "whistle_notifications_failed_total")
    private let deadCounter = Counter(label: "whistle_notifications_dead_total")

    /// - Parameters:
    ///   - routing: every tenant's directory, where each endpoint's channel and secret are found.
    ///   - environment: where `secretEnv` secrets are read.
    ///   - waitsForOpen: touch the database only after `open()` (once migrations have run).
    public init(
        database: Database, routing: TenantRouting, settings: NotificationSettings = NotificationSettings(), clock: any WallClock = SystemClock(),
        environment: [String: String] = ProcessInfo.processInfo.environment, transport: Transport? = nil,
        jitter: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }, waitsForOpen: Bool = false, logger: Logger
    ) {
        self.database = database
        self.settings = settings
        self.clock = clock
        self.logger = logger
        self.environment = environment
        self.jitter = jitter
        self.startsOpen = !waitsForOpen
        self.transport = transport ?? NotificationDispatcher.http
        var channels: [String: [String: NotifyChannel]] = [:]
        for (tenant, entry) in routing.tenants {
            var byEndpoint: [String: NotifyChannel] = [:]
            let directory = entry.directory
            let all =
                directory.defaultChannels + directory.departments.flatMap { $0.channels + $0.people.flatMap(\.channels) }
                + directory.reporterChannels.values.flatMap { $0 }
            for channel in all { byEndpoint["\(channel.kind.rawValue) \(channel.endpoint)"] = channel }
            channels[tenant] = byEndpoint
        }
        self.channels = channels
    }

    /// Sends over HTTP with the shared client.
    static let http: Transport = { request, timeout in
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = .POST
        for header in request.headers { outgoing.headers.add(name: header.name, value: header.value) }
        outgoing.body = .bytes(ByteBuffer(bytes: request.body))
        let response = try await HTTPClient.shared.execute(outgoing, timeout: .init(timeout))
        let body = try await response.body.collect(upTo: 256 * 1024)
        return (Int(response.status.code), Data(body.readableBytesView))
    }

    /// Wakes the dispatcher: something was written to the outbox.
    public func ring() { doorbell.ring() }

    /// Lets a dispatcher made with `waitsForOpen` start.
    public func open() { startGate.open() }

    /// Stops after the deliveries in flight are recorded.
    public func stop() {
        stopping.store(true, ordering: .relaxed)
        doorbell.ring()
        startGate.open()
    }

    private var isStopping: Bool { stopping.load(ordering: .relaxed) }

    public func run() async throws {
        await withGracefulShutdownHandler {
            if !startsOpen { await startGate.wait() }
            while !isStopping {
                await deliverDue()
                guard !isStopping else { break }
                await doorbell.wait(until: clock.now().addingTimeInterval(TimeInterval(settings.pollSeconds)), on: clock)
            }
            logger.info("notification dispatcher stopped")
        } onGracefulShutdown: {
            self.stop()
        }
    }

    /// Delivers everything due by the clock's time now, batch after batch, until a batch comes
    /// back empty or every due row waits for its endpoint's rate limit. Returns the attempts made.
    @discardableResult
    public func deliverDue() async -> Int {
        var attempts = 0
        while !isStopping {
            let now = clock.now()
            let batch: [OutboxRecord]
            do {
                batch = try await database.withSystemTransaction { connection in
                    try await OutboxStore.claim(
                        now: now, perMinute: settings.perEndpointPerMinute, leaseSeconds: settings.leaseSeconds, limit: 100, on: connection,
                        logger: logger)
                }
            } catch {
                logger.error("claiming notifications failed; retried at the next poll", metadata: ["error": "\(describeDatabaseError(error))"])
                return attempts
            }
            if batch.isEmpty { return attempts }
            attempts += batch.count
            let byEndpoint = Dictionary(grouping: batch, by: \.endpoint)
            await withTaskGroup(of: Void.self) { group in
                for (_, records) in byEndpoint {
                    group.addTask {
                        for record in records.sorted(by: { $0.id < $1.id }) { await self.deliver(record) }
                    }
                }
            }
        }
        return attempts
    }

    private func channel(for record: OutboxRecord) -> NotifyChannel? {
        if record.channel == .log { return NotifyChannel(kind: .log) }
        return channels[record.tenant]?["\(record.channel.rawValue) \(record.endpoint)"]
    }

    private func deliver(_ record: OutboxRecord) async {
        let outcome: (ok: Bool, reason: String?, permanent: Bool)
        if let channel = channel(for: record) {
            outcome = await send(record, on: channel)
        } else {
            outcome = (false, "endpoint no longer in the directory", true)
        }
        let now = clock.now()
        do {
            try await database.withSystemTransaction { connection in
                if outcome.ok {
                    try await OutboxStore.delivered(record, now: now, on: connection, logger: logger)
                } else {
                    let last = outcome.permanent || record.attempts >= settings.maxAttempts
                    let retryAt = last ? nil : now.addingTimeInterval(settings.backoff(afterAttempt: record.attempts, unit: jitter()))
                    try await OutboxStore.failed(record, error: outcome.reason ?? "failed", retryAt: retryAt, now: now, on: connection, logger: logger)
                }
            }
        } catch {
            // The lease runs out and the row is claimed again: at worst sent twice, with the same key.
            logger.error("recording a delivery failed", metadata: ["outbox": "\(record.id)", "error": "\(describeDatabaseError(error))"])
            return
        }
        if outcome.ok {
            deliveredCounter.increment()
        } else if outcome.permanent || record.attempts >= settings.maxAttempts {
            deadCounter.increment()
            logger.warning(
                "notification dead after its last attempt",
                metadata: ["outbox": "\(record.id)", "endpoint": "\(record.endpoint)", "error": "\(outcome.reason ?? "")"])
        } else {
            failedCounter.increment()
            logger.info(
                "notification failed; retried later",
                metadata: ["outbox": "\(record.id)", "attempt": "\(record.attempts)", "error": "\(outcome.reason ?? "")"])
        }
    }

    private func send(_ record: OutboxRecord, on channel: NotifyChannel) async -> (ok: Bool, reason: String?, permanent: Bool) {
        var secret = channel.secret
        if let name = channel.secretEnv {
            guard let value = environment[name], !value.isEmpty else { return (false, "environment variable \(name) is not set", false) }
            secret = value
        }
        let request: ChannelRequest
        do {
            request = try ChannelRequest.make(for: record, channel: channel, secret: secret, now: clock.now())
        } catch {
            return (false, "could not encode: \(error)", true)
        }
        if channel.kind == .log {
            logger.notice(
                "notification",
                metadata: [
                    "tenant": "\(record.tenant)", "department": "\(record.department)", "delivery": "\(record.deliveryKey)",
                    "text": "\(String(decoding: request.body, as: UTF8.self))",
                ])
            return (true, nil, false)
        }
        do {
            let answer = try await transport(request, .seconds(settings.timeoutSeconds))
            let verdict = ChannelRequest.accepted(kind: channel.kind, status: answer.status, body: answer.body)
            return (verdict.ok, verdict.reason, false)
        } catch {
            return (false, "\(error)", false)
        }
    }
}
