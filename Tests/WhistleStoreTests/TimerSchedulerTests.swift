import Foundation
import Synchronization
import Logging
import PostgresNIO
import Testing
import WhistleCore
import WhistleTestSupport
@testable import WhistleStore

/// The deadline scheduler on a manual clock: a month of deadlines in a moment.
@Suite("Deadline scheduler")
struct TimerSchedulerTests {
    let db: TestDatabase
    let logger = TestPostgres.logger
    let start = Date(timeIntervalSince1970: 1_790_000_000)

    init() async throws {
        db = try await TestPostgres.migratedDatabase("scheduler")
        try await db.loadSampleConfiguration()
    }

    func settings(horizonHours: Int = 24, batch: Int = 100) -> SchedulerSettings {
        var settings = SchedulerSettings()
        settings.horizonSeconds = horizonHours * 3600
        settings.refillSeconds = 3600
        settings.sweepSeconds = 60
        settings.batchSize = batch
        return settings
    }

    func arm(_ subject: String, _ due: Date, tenant: String = "wenchanghu") async throws {
        _ = try await db.database.withTenant(tenant) { connection in
            try await TimerStore.arm(
                TimerKey(tenant: tenant, subjectKind: "task", subjectID: subject, kind: "rectify"), due: due, on: connection,
                logger: logger)
        }
    }

    /// Runs `scheduler` for the duration of `body`, then stops it and waits for it to end.
    func running<T: Sendable>(_ schedulers: [TimerScheduler], _ body: () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for scheduler in schedulers {
                group.addTask { try await scheduler.run() }
            }
            for scheduler in schedulers {
                await scheduler.waitForStatus { $0.isArmed && $0.listening }
            }
            do {
                let result = try await body()
                for scheduler in schedulers { scheduler.stop() }
                try await group.waitForAll()
                return result
            } catch {
                for scheduler in schedulers { scheduler.stop() }
                try? await group.waitForAll()
                throw error
            }
        }
    }

    func firedSubjects() async throws -> [String] {
        let rows = try await db.client.query(
            "SELECT subject_id FROM events WHERE kind = 'timer.fired' ORDER BY event_id", logger: logger)
        var subjects: [String] = []
        for try await subject in rows.decode(String.self) { subjects.append(subject) }
        return subjects
    }

    @Test("over a month on a manual clock, every timer fires once, never early, never late by more than a step")
    func aMonthOfDeadlines() async throws {
        let clock = ManualClock(now: start)
        // Due times spread over 30 days, most beyond the one-day horizon, in a scrambled order.
        var dues: [String: Date] = [:]
        for i in 0..<60 {
            let minutes = (i * 7919) % (30 * 24 * 60)
            dues["m\(i)"] = start.addingTimeInterval(Double(minutes) * 60 + 30)
        }
        for (subject, due) in dues.sorted(by: { $0.key < $1.key }).prefix(40) { try await arm(subject, due) }
        let scheduler = TimerScheduler(database: db.database, settings: settings(), clock: clock, node: "solo", logger: logger)
        try await running([scheduler]) {
            // The rest are armed while it runs; it learns of the near ones by notification.
            for (subject, due) in dues.sorted(by: { $0.key < $1.key }).dropFirst(40) { try await arm(subject, due) }
            await scheduler.settle()
            var now = start
            let step: TimeInterval = 3 * 3600
            while now < start.addingTimeInterval(31 * 86_400) {
                now = now.addingTimeInterval(step)
                clock.advance(to: now)
                await scheduler.settle()
                let fired = Set(try await firedSubjects())
                let due = Set(dues.filter { $0.value <= now }.map(\.key))
                #expect(fired == due, "at \(now): fired \(fired.subtracting(due)) early, missed \(due.subtracting(fired))")
                if fired != due { break }
            }
        }
        let fired = try await firedSubjects()
        #expect(fired.count == 60)
        #expect(Set(fired).count == 60)
        // Each fired within one step of its due time.
        let late = try await db.client.query("SELECT max(late_ms)::int8 FROM timers", logger: logger)
        for try await value in late.decode(Int64.self) { #expect(value < 3 * 3600 * 1000) }
    }

    @Test("after downtime, what came due meanwhile fires at start, in due order, with how late it fired")
    func afterDowntime() async throws {
        var dues: [(String, Date)] = []
        for i in 0..<50 {
            dues.append(("d\(i)", start.addingTimeInterval(-Double((i * 37) % 50 + 1) * 600)))
        }
        for (subject, due) in dues.shuffled() { try await arm(subject, due) }
        let clock = ManualClock(now: start)
        let scheduler = TimerScheduler(database: db.database, settings: settings(batch: 7), clock: clock, node: "back", logger: logger)
        try await running([scheduler]) {
            await scheduler.waitForStatus { $0.fired == 50 }
        }
        let expected = dues.sorted { $0.1 < $1.1 }.map(\.0)
        #expect(try await firedSubjects() == expected)
        let rows = try await db.client.query(
            "SELECT subject_id, late_ms FROM timers WHERE state = 'fired'", logger: logger)
        for try await (subject, late) in rows.decode((String, Int64).self) {
            let due = dues.first { $0.0 == subject }!.1
            #expect(late == Int64((start.timeIntervalSince(due) * 1000).rounded()))
        }
    }

    @Test("an extension moves the deadline and its firing; closing disarms it")
    func extendAndClose() async throws {
        let clock = ManualClock(now: start)
        let scheduler = TimerScheduler(database: db.database, settings: settings(), clock: clock, node: "ext", logger: logger)
        try await running([scheduler]) {
            try await arm("extended", start.addingTimeInterval(3600))
            try await arm("closed", start.addingTimeInterval(3600))
            try await arm("extended", start.addingTimeInterval(3 * 3600))
            try await db.database.withTenant("wenchanghu") { connection in
                try await TimerStore.disarm(
                    TimerKey(tenant: "wenchanghu", subjectKind: "task", subjectID: "closed", kind: "rectify"), on: connection,
                    logger: logger)
            }
            await scheduler.waitForStatus { $0.wheelCount >= 3 }
            clock.advance(to: start.addingTimeInterval(2 * 3600))
            await scheduler.settle()
            let nothingYet = try await firedSubjects().isEmpty
            #expect(nothingYet)
            clock.advance(to: start.addingTimeInterval(3 * 3600))
            await scheduler.waitForStatus { $0.fired == 1 }
            clock.advance(to: start.addingTimeInterval(30 * 86_400))
            await scheduler.settle()
        }
        #expect(try await firedSubjects() == ["extended"])
    }

    @Test("two schedulers on one database share a storm of deadlines; none fires twice")
    func twoSchedulers() async throws {
        try await db.client.query(
            """
            INSERT INTO timers (tenant_id, subject_kind, subject_id, kind, due_at)
            SELECT (ARRAY['suixi','yongning','zaozhuang'])[1 + g % 3], 'task', 's' || g, 'rectify', \(start.addingTimeInterval(60))
            FROM generate_series(1, 3000) g
            """, logger: logger)
        let clock = ManualClock(now: start)
        let a = TimerScheduler(database: db.database, settings: settings(batch: 50), clock: clock, node: "a", logger: logger)
        let b = TimerScheduler(database: db.database, settings: settings(batch: 50), clock: clock, node: "b", logger: logger)
        try await running([a, b]) {
            clock.advance(to: start.addingTimeInterval(60))
            await a.waitForStatus { _ in true }
            while a.status.fired + b.status.fired < 3000 {
                await a.settle()
                await b.settle()
            }
        }
        #expect(a.status.fired + b.status.fired == 3000)
        #expect(try await db.scalar("SELECT count(*)::int FROM events WHERE kind = 'timer.fired'", as: Int.self) == 3000)
        #expect(
            try await db.scalar(
                "SELECT count(*)::int FROM (SELECT subject_id FROM events GROUP BY tenant_id, subject_id HAVING count(*) > 1) d",
                as: Int.self) == 0)
    }

    @Test("a failing action keeps the timers armed; the next sweep fires them, once")
    func failingActionRetries() async throws {
        final class FailOnce: TimerAction, @unchecked Sendable {
            let failed = Mutex(false)
            func perform(_ timers: [FiredTimer], on connection: PostgresConnection, logger: Logger) async throws {
                if failed.withLock({ let was = $0; $0 = true; return !was }) { throw CancellationError() }
            }
        }
        try await arm("f1", start.addingTimeInterval(-5))
        let clock = ManualClock(now: start)
        let scheduler = TimerScheduler(
            database: db.database, settings: settings(), clock: clock, node: "f", action: FailOnce(), logger: logger)
        try await running([scheduler]) {
            await scheduler.waitForStatus { $0.failedClaims == 1 }
            let nothingYet = try await firedSubjects().isEmpty
            #expect(nothingYet)
            clock.advance(by: 61)
            await scheduler.waitForStatus { $0.fired == 1 }
        }
        #expect(try await firedSubjects() == ["f1"])
    }
}
