import Foundation
import PostgresNIO
import Testing
import WhistleStore
import WhistleTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Real `whistle serve` processes killed with SIGKILL while they fire deadlines: every timer
/// still fires exactly once.
@Suite("Daemons killed while firing", .serialized)
struct DaemonTimerTests {
    static let total = 12_000
    let logger = TestPostgres.logger

    /// A migrated database with the sample tenants and `total` timers that came due a minute ago.
    func databaseWithDueTimers(_ label: String) async throws -> TestDatabase {
        let db = try await TestPostgres.migratedDatabase(label)
        try await db.loadSampleConfiguration()
        try await db.database.withSystemTransaction { connection in
            // Quiet: the daemons find these by loading and sweeping, as after a restart.
            try await connection.query("SELECT set_config('whistle.quiet_timers', 'on', true)", logger: logger)
            try await connection.query(
                """
                INSERT INTO timers (tenant_id, subject_kind, subject_id, kind, due_at)
                SELECT (ARRAY['wenchanghu','suixi','yongning','zaozhuang','chongqing-demo'])[1 + g % 5], 'task', 'k' || g,
                       'rectify', now() - interval '1 minute' + g * interval '1 microsecond'
                FROM generate_series(1, \(Self.total)) g
                """, logger: logger)
        }
        return db
    }

    /// Small batches, so that a kill lands in the middle of the work; a short sweep and lease.
    func config() throws -> URL {
        try DaemonProcess.configDirectory(
            settings: """
                scheduler:
                  batchSize: 10
                  sweepSeconds: 1
                  leaseSeconds: 5
                """)
    }

    func fired(_ db: TestDatabase) async throws -> Int {
        try await db.scalar("SELECT count(*)::int FROM timers WHERE state = 'fired'", as: Int.self) ?? -1
    }

    /// Polls until `condition` holds for the number of fired timers, or fails after `seconds`.
    func waitFired(_ db: TestDatabase, seconds: Double, _ daemons: [DaemonProcess], _ condition: (Int) -> Bool) async throws -> Int {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let count = try await fired(db)
            if condition(count) { return count }
            for daemon in daemons where daemon.hasExited {
                Issue.record("a daemon exited on its own:\n\(daemon.log.suffix(2_000))")
                return count
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        let count = try await fired(db)
        Issue.record("gave up waiting after \(seconds) s with \(count) fired;\n\(daemons.map { String($0.log.suffix(1_500)) }.joined(separator: "\n---\n"))")
        return count
    }

    /// Every fired timer has exactly one `timer.fired` event, and no event lacks its fired timer.
    func expectExactlyOnce(_ db: TestDatabase, fired expected: Int?) async throws {
        let events = try await db.scalar("SELECT count(*)::int FROM events WHERE kind = 'timer.fired'", as: Int.self)
        let firedTimers = try await fired(db)
        let duplicated = try await db.scalar(
            """
            SELECT count(*)::int FROM (
                SELECT details->>'timer' FROM events WHERE kind = 'timer.fired' GROUP BY 1 HAVING count(*) > 1) d
            """, as: Int.self)
        #expect(events == firedTimers)
        #expect(duplicated == 0)
        if let expected { #expect(firedTimers == expected) }
    }

    @Test("kill -9 while firing a batch, restart: every timer fires exactly once")
    func killAndRestart() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: DaemonProcess.executable.path), "build the daemon first: swift build")
        let db = try await databaseWithDueTimers("kill")
        let config = try config()
        let first = try DaemonProcess(databaseURL: db.settings.url, config: config)
        let before = try await waitFired(db, seconds: 60, [first]) { $0 > 0 }
        #expect(first.stop(SIGKILL) == 128 + SIGKILL)
        let atKill = try await fired(db)
        #expect(before > 0)
        #expect(atKill < Self.total, "the kill came after all \(Self.total) timers fired; nothing was interrupted")
        try await expectExactlyOnce(db, fired: nil)

        let second = try DaemonProcess(databaseURL: db.settings.url, config: config)
        _ = try await waitFired(db, seconds: 120, [second]) { $0 == Self.total }
        #expect(second.stop(SIGTERM) == 0)
        try await expectExactlyOnce(db, fired: Self.total)
        let lateAfterRestart = try await db.scalar(
            "SELECT min(late_ms)::int8 FROM timers WHERE fired_by NOT LIKE \("%:\(first.pid)")", as: Int64.self)
        #expect((lateAfterRestart ?? 0) >= 60_000, "timers fired after the restart record how late they were")
    }

    @Test("two daemons share the firing; kill one and the other finishes it, each timer once")
    func twoDaemonsOneKilled() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: DaemonProcess.executable.path), "build the daemon first: swift build")
        let db = try await databaseWithDueTimers("pair")
        let config = try config()
        let a = try DaemonProcess(databaseURL: db.settings.url, config: config)
        let b = try DaemonProcess(databaseURL: db.settings.url, config: config)
        _ = try await waitFired(db, seconds: 60, [a, b]) { $0 >= 500 }
        #expect(a.stop(SIGKILL) == 128 + SIGKILL)
        let atKill = try await fired(db)
        #expect(atKill < Self.total, "the kill came after every timer fired; nothing was taken over")
        _ = try await waitFired(db, seconds: 120, [b]) { $0 == Self.total }
        #expect(b.stop(SIGTERM) == 0)
        try await expectExactlyOnce(db, fired: Self.total)
        let bySurvivor = try await db.scalar(
            "SELECT count(*)::int FROM timers WHERE fired_by LIKE \("%:\(b.pid)")", as: Int.self) ?? 0
        let nodes = try await db.client.query("SELECT DISTINCT fired_by FROM timers", logger: logger)
        var names: [String] = []
        for try await name in nodes.decode(String.self) { names.append(name) }
        #expect(bySurvivor >= Self.total - atKill, "the survivor fired everything left at the kill (nodes: \(names), survivor pid \(b.pid))")
    }
}
