import Foundation
import Logging
import PostgresNIO
import Testing
import WhistleTestSupport
@testable import WhistleStore

/// The `timers` rows: arming, moving, disarming, and claiming by compare-and-set.
@Suite("Durable timers (rows and claims)")
struct TimerStoreTests {
    let db: TestDatabase
    let logger = TestPostgres.logger
    let base = Date(timeIntervalSince1970: 1_790_000_000)  // 2026-09-21T…Z

    init() async throws {
        db = try await TestPostgres.migratedDatabase("timers")
        try await db.loadSampleConfiguration()
    }

    func key(_ subject: String, _ kind: String = "rectify", tenant: String = "yongning") -> TimerKey {
        TimerKey(tenant: tenant, subjectKind: "task", subjectID: subject, kind: kind)
    }

    func arm(_ key: TimerKey, _ due: Date) async throws {
        _ = try await db.database.withTenant(key.tenant) { connection in
            try await TimerStore.arm(key, due: due, on: connection, logger: logger)
        }
    }

    func claim(at now: Date, limit: Int = 100, node: String = "test") async throws -> [FiredTimer] {
        try await db.database.withSystemTransaction { connection in
            try await TimerStore.claimDue(now: now, limit: limit, node: node, on: connection, logger: logger)
        }
    }

    func firedEvents() async throws -> Int {
        try await db.scalar("SELECT count(*)::int FROM events WHERE kind = 'timer.fired'", as: Int.self) ?? -1
    }

    @Test("arming twice moves the one armed timer; disarming cancels it")
    func armMoveDisarm() async throws {
        let k = key("t1")
        try await arm(k, base.addingTimeInterval(3600))
        try await arm(k, base.addingTimeInterval(7200))
        #expect(try await db.scalar("SELECT count(*)::int FROM timers WHERE state = 'armed'", as: Int.self) == 1)
        let due = try await db.database.withTenant("yongning") { try await TimerStore.armedDue(k, on: $0, logger: logger) }
        #expect(due == base.addingTimeInterval(7200))
        #expect(try await claim(at: base.addingTimeInterval(3600)).isEmpty)
        let disarmed = try await db.database.withTenant("yongning") { try await TimerStore.disarm(k, on: $0, logger: logger) }
        #expect(disarmed)
        #expect(try await claim(at: base.addingTimeInterval(86_400)).isEmpty)
        let again = try await db.database.withTenant("yongning") { try await TimerStore.disarm(k, on: $0, logger: logger) }
        #expect(!again)
    }

    @Test("a claim fires what is due, earliest first, once, with its lateness in the event")
    func claimOnce() async throws {
        for (index, minutes) in [30, 10, 20, 90].enumerated() {
            try await arm(key("t\(index)"), base.addingTimeInterval(Double(minutes) * 60))
        }
        let now = base.addingTimeInterval(60 * 60)
        let fired = try await claim(at: now)
        #expect(fired.map(\.key.subjectID) == ["t1", "t2", "t0"])
        #expect(fired.map(\.lateMilliseconds) == [50, 40, 30].map { Int64($0 * 60_000) })
        #expect(try await claim(at: now).isEmpty)
        #expect(try await firedEvents() == 3)
        let late = try await db.scalar(
            "SELECT (details->>'lateMs')::int8 FROM events WHERE kind = 'timer.fired' AND subject_id = 't1'", as: Int64.self)
        #expect(late == Int64(50 * 60_000))
        let order = try await db.client.query(
            "SELECT subject_id FROM events WHERE kind = 'timer.fired' ORDER BY event_id", logger: logger)
        var subjects: [String] = []
        for try await subject in order.decode(String.self) { subjects.append(subject) }
        #expect(subjects == ["t1", "t2", "t0"])
    }

    @Test("claims on several connections at once never take the same timer")
    func concurrentClaims() async throws {
        try await db.client.withConnection { connection in
            try await connection.query(
                """
                INSERT INTO timers (tenant_id, subject_kind, subject_id, kind, due_at)
                SELECT 'suixi', 'task', 'c' || g, 'rectify', \(base) + g * interval '1 millisecond'
                FROM generate_series(1, 2000) g
                """, logger: logger)
        }
        let now = base.addingTimeInterval(10)
        let batches = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for worker in 0..<4 {
                group.addTask {
                    var mine: [Int64] = []
                    while true {
                        let batch = try await claim(at: now, limit: 37, node: "w\(worker)")
                        if batch.isEmpty { return mine }
                        mine += batch.map(\.timerID)
                    }
                }
            }
            var all: [[Int64]] = []
            for try await batch in group { all.append(batch) }
            return all
        }
        let ids = batches.flatMap { $0 }
        #expect(ids.count == 2000)
        #expect(Set(ids).count == 2000)
        #expect(try await firedEvents() == 2000)
        #expect(try await db.scalar("SELECT count(DISTINCT fired_by)::int FROM timers", as: Int.self)! >= 1)
    }

    @Test("an action that fails rolls its claim back: the timers stay armed and fire later, once")
    func failedActionRollsBack() async throws {
        try await arm(key("r1"), base)
        struct Boom: Error {}
        await #expect(throws: Boom.self) {
            try await db.database.withSystemTransaction { connection in
                _ = try await TimerStore.claimDue(now: base, limit: 10, node: "test", on: connection, logger: logger)
                throw Boom()
            }
        }
        #expect(try await db.scalar("SELECT state FROM timers WHERE subject_id = 'r1'", as: String.self) == "armed")
        #expect(try await firedEvents() == 0)
        #expect(try await claim(at: base.addingTimeInterval(1)).count == 1)
        #expect(try await firedEvents() == 1)
    }

    @Test("a tenant cannot arm, move or see another tenant's timers")
    func tenantWalls() async throws {
        try await arm(key("s1", tenant: "suixi"), base)
        await #expect(throws: (any Error).self) {
            try await db.database.withTenant("yongning") { connection in
                try await TimerStore.arm(key("x", tenant: "suixi"), due: base, on: connection, logger: logger)
            }
        }
        let seen = try await db.database.withTenant("yongning") { connection -> Int in
            let rows = try await connection.query("SELECT count(*)::int FROM timers", logger: logger)
            for try await n in rows.decode(Int.self) { return n }
            return -1
        }
        #expect(seen == 0)
        let disarmed = try await db.database.withTenant("yongning") {
            try await TimerStore.disarm(key("s1", tenant: "suixi"), on: $0, logger: logger)
        }
        #expect(!disarmed)
    }

    @Test("events are append-only, even for the schema owner")
    func eventsAppendOnly() async throws {
        try await arm(key("e1"), base)
        _ = try await claim(at: base)
        for statement: PostgresQuery in ["UPDATE events SET actor = 'x'", "DELETE FROM events", "TRUNCATE events"] {
            await #expect(throws: (any Error).self) {
                try await db.client.query(statement, logger: logger)
            }
        }
        #expect(try await firedEvents() == 1)
    }

    @Test("arming notifies listeners with the timer and its due time")
    func notifies() async throws {
        let due = base.addingTimeInterval(123.456)
        let payload = try await db.client.withConnection { listener in
            try await listener.listen(on: TimerStore.channel) { notifications -> String? in
                try await arm(key("n1"), due)
                for try await notification in notifications { return notification.payload }
                return nil
            }
        }
        let parts = payload?.split(separator: " ") ?? []
        #expect(parts.count == 2)
        #expect(parts.last.flatMap { Int64($0) } == Int64((due.timeIntervalSince1970 * 1000).rounded()))
    }
}
