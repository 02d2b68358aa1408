import ArgumentParser
import Foundation
import Logging
import WhistleCore
import WhistleStore

#if canImport(Glibc)
    import Glibc
#endif

/// `whistle bench restart`: a daemon starting on a database with a million pending deadlines,
/// measured from its launch until `/readyz` answers 200 (serving, and its wheel loaded).
struct BenchRestart: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restart",
        abstract: "Start `whistle serve` with N pending deadlines in the database; time until serving and armed.")

    @OptionGroup var database: BenchDatabase

    @Option(name: .long, help: "Pending deadlines, all due within the scheduler's horizon (the worst case: every row is loaded).")
    var timers: Int = 1_000_000

    @Option(name: .long, help: "Starts to measure (the median is reported).")
    var starts: Int = 3

    func run() async throws {
        try await reportingFailures {
            BenchCommand.warnIfDebug()
            let logger = BenchCommand.logger
            let figure = try await database.withDatabase(logger: logger) { settings, db -> Double in
                try await BenchDatabase.insertTimers(
                    timers, from: Date().addingTimeInterval(3600), span: 12 * 3600, database: db, logger: logger)
                var seconds: [Double] = []
                for attempt in 1...starts {
                    let elapsed = try await timeStart(databaseURL: settings.url)
                    seconds.append(elapsed)
                    BenchCommand.progress("start \(attempt): serving and armed after \(String(format: "%.2f", elapsed)) s")
                }
                return seconds.sorted()[seconds.count / 2]
            }
            BenchCommand.figure("restart_ready", figure, "s", decimals: 2)
        }
    }

    /// Launches this executable's `serve` and polls `/readyz` every 10 ms until it answers 200.
    func timeStart(databaseURL: String) async throws -> Double {
        let port = try BenchDaemon.freePort()
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let log = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("whistle-bench-serve-\(getpid()).log").path
        let arguments = [
            executable, "serve", "--database-url", databaseURL, "--config", database.config, "--port", "\(port)",
            "--log-level", "warning",
        ] + (database.sqlDir.map { ["--sql-dir", $0] } ?? [])
        let started = ContinuousClock.now
        let pid = try BenchDaemon.spawn(arguments, log: log)
        defer {
            kill(pid, SIGTERM)
            _ = try? ChildProcess.wait(pid)
            try? FileManager.default.removeItem(atPath: log)
        }
        let limit = started + .seconds(120)
        while ContinuousClock.now < limit {
            if try await BenchDaemon.readyz(port: port) {
                let elapsed = ContinuousClock.now - started
                return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            }
            if ChildProcess.poll(pid) != nil {
                throw CommandFailure("the daemon exited during the bench: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw CommandFailure("the daemon was not ready after 120 s")
    }
}
