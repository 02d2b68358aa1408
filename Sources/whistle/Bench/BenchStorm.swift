import ArgumentParser
import Foundation
import Logging
import WhistleCore
import WhistleStore

/// `whistle bench storm`: ten thousand deadlines due in the same second, from that second until
/// every one is fired and committed (its row marked, its event appended, its action run).
struct BenchStorm: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storm", abstract: "N deadlines due in the same second: time until all are fired and committed.")

    @OptionGroup var database: BenchDatabase

    @Option(name: .long, help: "Deadlines due in the same second.")
    var timers: Int = 10_000

    @Option(name: .long, help: "Storms to measure (the median is reported).")
    var storms: Int = 3

    func run() async throws {
        try await reportingFailures {
            BenchCommand.warnIfDebug()
            let logger = BenchCommand.logger
            let timers = self.timers
            let figure = try await database.withDatabase(logger: logger) { _, db -> Double in
                let config = try ConfigDirectory.read(URL(fileURLWithPath: database.config))
                var seconds: [Double] = []
                for storm in 1...storms {
                    let scheduler = TimerScheduler(database: db, settings: config.settings.scheduler, node: "bench-\(storm)", logger: logger)
                    let elapsed = try await withThrowingTaskGroup(of: Double?.self) { group in
                        group.addTask {
                            try await scheduler.run()
                            return nil
                        }
                        group.addTask {
                            await scheduler.waitForStatus { $0.isArmed && $0.listening }
                            // Due two seconds from now, all within one second, armed the way
                            // intake arms them (notified), so the wheel holds every one.
                            let due = Date().addingTimeInterval(2).timeIntervalSince1970.rounded(.up)
                            let second = Date(timeIntervalSince1970: due)
                            try await db.withSystemTransaction { connection in
                                try await connection.query(
                                    """
                                    INSERT INTO timers (tenant_id, subject_kind, subject_id, kind, due_at)
                                    SELECT (ARRAY['wenchanghu','suixi','yongning','zaozhuang','chongqing-demo'])[1 + g % 5],
                                           'task', 's\(storm)-' || g, 'rectify', \(second)::timestamptz + (g % 1000) * interval '1 millisecond'
                                    FROM generate_series(1, \(timers)) g
                                    """, logger: logger)
                            }
                            await scheduler.waitForStatus { $0.fired >= timers }
                            let finished = Date()
                            scheduler.stop()
                            return finished.timeIntervalSince(second)
                        }
                        var result: Double?
                        for try await value in group where value != nil { result = value }
                        return result!
                    }
                    seconds.append(elapsed)
                    BenchCommand.progress("storm \(storm): \(timers) fired and committed \(String(format: "%.3f", elapsed)) s after their second began")
                }
                return seconds.sorted()[seconds.count / 2]
            }
            BenchCommand.figure("storm_all_fired", figure, "s", decimals: 3)
        }
    }
}
