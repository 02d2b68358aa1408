import ArgumentParser
import Foundation
import Logging
import WhistleCore
import WhistleStore

#if canImport(Glibc)
    import Glibc
#endif

/// `whistle bench intake`: issues per second over HTTP against `whistle serve`, beside pgbench's
/// TPC-B-like tps with the same client count on the same server in the same run.
struct BenchIntake: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "intake",
        abstract: "Intake over HTTP with N concurrent clients (route, issue, tasks, timers, events in one transaction) ÷ pgbench TPC-B tps.")

    @OptionGroup var database: BenchDatabase

    @Option(name: .long, help: "Concurrent clients (for the intake and for pgbench).")
    var clients: Int = 8

    @Option(name: .long, help: "Seconds of each measurement (after a warm-up of 3 s).")
    var seconds: Int = 20

    @Option(name: .long, help: "The tenant whose sample list and compounds the reports use.")
    var tenant: String = "yongning"

    func run() async throws {
        try await reportingFailures {
            BenchCommand.warnIfDebug()
            let logger = BenchCommand.logger
            let (issues, sqlAlone, tps, cost) = try await database.withDatabase(logger: logger) { settings, db -> (Double, Double, Double, CPUCost) in
                let configuration = try ConfigDirectory.read(URL(fileURLWithPath: database.config))
                guard let files = configuration.tenant(tenant), let list = files.lists.versions.last else {
                    throw CommandFailure("tenant '\(tenant)' has no liability list")
                }
                try await LiabilityStore(database: db).load(configuration.tenants)
                let token = try await CredentialStore(database: db).create(tenant: tenant, role: .office, department: nil, name: "bench").token
                let port = try BenchDaemon.freePort()
                let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
                let log = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("whistle-bench-intake-\(getpid()).log").path
                let pid = try BenchDaemon.spawn(
                    [executable, "serve", "--database-url", settings.url, "--config", database.config, "--port", "\(port)", "--log-level", "warning"]
                        + (database.sqlDir.map { ["--sql-dir", $0] } ?? []), log: log)
                defer {
                    kill(pid, SIGTERM)
                    _ = try? ChildProcess.wait(pid)
                    try? FileManager.default.removeItem(atPath: log)
                }
                var ready = false
                for _ in 0..<2000 where !ready {
                    ready = try await BenchDaemon.readyz(port: port)
                    if !ready { try await Task.sleep(for: .milliseconds(20)) }
                }
                guard ready else { throw CommandFailure("the daemon did not become ready: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")") }
                let compounds = files.directory.compounds.map(\.compound.code)
                let bodies = (0..<256).map { index -> Data in
                    let type = list.types[index % list.types.count].code
                    let compound = compounds[index % compounds.count]
                    return Data(#"{"channel": "whistle", "compound": "\#(compound)", "type": "\#(type)", "description": "压测问题 \#(index)"}"#.utf8)
                }
                BenchCommand.progress("daemon ready on port \(port); \(clients) clients, 3 s warm-up, then \(seconds) s")
                let url = URL(string: "http://127.0.0.1:\(port)/v1/tenants/\(tenant)/issues")!
                _ = try await Self.drive(url: url, token: token, bodies: bodies, clients: clients, seconds: 3)
                // The statistics autovacuum gathers within its first minute on a new database (it
                // wakes once a minute): without them the plans the server cached while the tables
                // were empty (foreign-key checks, the triggers' statements) scan every row for good.
                try await db.client.query("ANALYZE", logger: logger)
                // Where the time goes: CPU of the daemon and of its PostgreSQL backends, per issue.
                let backends = try await Self.backends(of: settings.database, db: db, logger: logger)
                let daemonBefore = Self.cpuSeconds(pid)
                let serverBefore = backends.map(Self.cpuSeconds).reduce(0, +)
                let (created, failed) = try await Self.drive(url: url, token: token, bodies: bodies, clients: clients, seconds: seconds)
                let perIssue = { (seconds: Double) in created > 0 ? seconds / Double(created) * 1_000_000 : 0 }
                let cost = CPUCost(
                    daemon: perIssue(Self.cpuSeconds(pid) - daemonBefore),
                    postgres: perIssue(backends.map(Self.cpuSeconds).reduce(0, +) - serverBefore))
                if failed > 0 { BenchCommand.progress("warning: \(failed) requests did not answer 201") }
                let perSecond = Double(created) / Double(seconds)
                BenchCommand.progress("intake: \(created) issues in \(seconds) s")
                kill(pid, SIGTERM)
                // PostgreSQL's share alone: the same reports' calls of whistle_intake, as the daemon
                // sends them, driven by pgbench with the same client count. No daemon can make
                // intake faster than this. (pgbench reads ":name" as a variable, even in a string:
                // the reports' texts have no ASCII colon before a letter.)
                let routing = TenantRouting(configuration)
                guard let entry = routing.tenants[tenant] else { throw CommandFailure("the configuration has no tenant \(tenant)") }
                let store = IssueStore(database: db)
                var scripts: [String] = []
                for index in 0..<32 {
                    let report = IssueIntake(
                        channel: .whistle, compound: compounds[index % compounds.count], type: list.types[index % list.types.count].code,
                        description: "压测问题 \(index)", reportedAt: Date())
                    scripts.append(try await store.intakeStatementText(report, tenant: tenant, routing: entry, now: Date(), actor: "bench"))
                }
                BenchCommand.progress("intake SQL alone: pgbench runs whistle_intake with \(clients) clients for \(seconds) s")
                let sqlAlone = try PgBench.tps(settings: settings, scripts: scripts, clients: clients, threads: min(clients, 2), seconds: seconds)
                // pgbench on its own database of the same server, same client count.
                let pgbenchDatabase = "pgbench_\(getpid())"
                try await EmbeddedPostgres.createDatabase(pgbenchDatabase, settings: settings.with(database: "postgres"), logger: logger)
                BenchCommand.progress("pgbench: initializing (scale 10) and running \(seconds) s with \(clients) clients")
                let tps = try PgBench.tps(
                    settings: settings.with(database: pgbenchDatabase), clients: clients, threads: min(clients, 2), seconds: seconds)
                return (perSecond, sqlAlone, tps, cost)
            }
            BenchCommand.figure("intake_per_second", issues, "issues/s")
            BenchCommand.figure("daemon_cpu_per_issue", cost.daemon, "µs", decimals: 0)
            BenchCommand.figure("postgres_cpu_per_issue", cost.postgres, "µs", decimals: 0)
            BenchCommand.figure("intake_sql_alone_per_second", sqlAlone, "issues/s")
            BenchCommand.figure("pgbench_tps", tps, "tps")
            BenchCommand.figure("intake_ratio_to_pgbench", issues / tps, "x", decimals: 2)
            BenchCommand.figure("intake_sql_alone_ratio_to_pgbench", sqlAlone / tps, "x", decimals: 2)
        }
    }

    /// `clients` threads, each on one keep-alive HTTP/1.1 connection, posting reports for `seconds`;
    /// the count of 201s and of anything else. Plain sockets and one write per request keep the
    /// client's own cost (and Nagle's delays) out of the figure.
    static func drive(url: URL, token: String, bodies: [Data], clients: Int, seconds: Int) async throws -> (Int, Int) {
        let port = url.port ?? 80
        let path = url.path
        let requests = bodies.map { body -> [UInt8] in
            Array(
                ("POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/json\r\n"
                    + "Content-Length: \(body.count)\r\n\r\n").utf8) + Array(body)
        }
        let deadline = Date().addingTimeInterval(Double(seconds))
        let results = Results()
        let group = DispatchGroup()
        for client in 0..<clients {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                var created = 0
                var failed = 0
                let fd = Self.connect(port: port)
                guard fd >= 0 else { return results.add(0, 1) }
                defer { close(fd) }
                var index = client
                var buffer = [UInt8](repeating: 0, count: 64 * 1024)
                while Date() < deadline {
                    let request = requests[index % requests.count]
                    index += clients
                    guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == request.count else { failed += 1; break }
                    guard let status = Self.readResponse(fd, buffer: &buffer) else { failed += 1; break }
                    if status == 201 { created += 1 } else { failed += 1 }
                }
                results.add(created, failed)
            }
        }
        await withCheckedContinuation { continuation in group.notify(queue: .global()) { continuation.resume() } }
        return results.totals
    }

    struct CPUCost: Sendable {
        var daemon: Double
        var postgres: Double
    }

    /// The server processes of the daemon's connections to `database` (same machine).
    static func backends(of database: String, db: Database, logger: Logger) async throws -> [Int32] {
        let rows = try await db.client.query(
            "SELECT pid FROM pg_stat_activity WHERE datname = \(database) AND pid <> pg_backend_pid()", logger: logger)
        var pids: [Int32] = []
        for try await pid in rows.decode(Int32.self) { pids.append(pid) }
        return pids
    }

    /// User and system CPU seconds of a process so far (0 when it is gone or not readable).
    static func cpuSeconds(_ pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        // Fields after the command name: state is field 3, utime 14 and stime 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    final class Results: @unchecked Sendable {
        private let lock = NSLock()
        private var created = 0
        private var failed = 0
        func add(_ created: Int, _ failed: Int) {
            lock.lock()
            self.created += created
            self.failed += failed
            lock.unlock()
        }
        var totals: (Int, Int) {
            lock.lock()
            defer { lock.unlock() }
            return (created, failed)
        }
    }

    static func connect(port: Int) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return -1 }
        var yes: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if connected != 0 {
            close(fd)
            return -1
        }
        return fd
    }

    /// Reads one response (headers, then Content-Length bytes of body) and returns its status.
    static func readResponse(_ fd: Int32, buffer: inout [UInt8]) -> Int? {
        var received: [UInt8] = []
        var headerEnd: Int?
        var contentLength = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return nil }
            received += buffer[0..<count]
            if headerEnd == nil, let end = Multipart.find([13, 10, 13, 10], in: received, from: 0) {
                headerEnd = end + 4
                let head = String(decoding: received[0..<end], as: UTF8.self).lowercased()
                for line in head.split(separator: "\r\n") where line.hasPrefix("content-length:") {
                    contentLength = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
                }
            }
            if let headerEnd, received.count >= headerEnd + contentLength {
                let statusLine = String(decoding: received.prefix(12), as: UTF8.self)
                return Int(statusLine.dropFirst(9).prefix(3))
            }
        }
    }
}
