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
        let port = try freePort()
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        let log = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("whistle-bench-serve-\(getpid()).log").path
        let arguments = [
            executable, "serve", "--database-url", databaseURL, "--config", database.config, "--port", "\(port)",
            "--log-level", "warning",
        ] + (database.sqlDir.map { ["--sql-dir", $0] } ?? [])
        let started = ContinuousClock.now
        let pid = try spawn(arguments, log: log)
        defer {
            kill(pid, SIGTERM)
            _ = try? ChildProcess.wait(pid)
            try? FileManager.default.removeItem(atPath: log)
        }
        let limit = started + .seconds(120)
        while ContinuousClock.now < limit {
            if try await readyz(port: port) {
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

    func spawn(_ arguments: [String], log: String) throws -> pid_t {
        let fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw CommandFailure("cannot write \(log)") }
        defer { close(fd) }
        return try ChildProcess.spawn(arguments, outputFD: fd)
    }

    /// One plain HTTP/1.0 GET on loopback: true on status 200.
    func readyz(port: Int) async throws -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return false }
        let request = "GET /readyz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = recv(fd, &buffer, buffer.count, 0)
        guard count > 12 else { return false }
        return String(decoding: buffer[0..<count], as: UTF8.self).hasPrefix("HTTP/1.1 200") || String(decoding: buffer[0..<count], as: UTF8.self).hasPrefix("HTTP/1.0 200")
    }

    func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                guard bind(fd, pointer, length) == 0 else { return -1 }
                return getsockname(fd, pointer, &length)
            }
        }
        guard bound == 0 else { throw CommandFailure("no free loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
