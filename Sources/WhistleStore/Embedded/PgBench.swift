import Foundation

/// pgbench, from the same PostgreSQL installation, against a database of our server: the yardstick
/// the intake bench is compared with.
public enum PgBench {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Initializes `database` at `scale`, then runs the TPC-B-like script with `clients` for
    /// `seconds`; returns its tps (without initial connection time).
    public static func tps(settings: DatabaseSettings, clients: Int, threads: Int, seconds: Int, scale: Int = 10) throws -> Double {
        let (pgbench, connection, environment) = try command(settings)
        let runner = ProcessRunner(user: nil)
        let initialize = try runner.run(pgbench, ["-i", "-q", "-s", String(scale)] + connection + [settings.database], environment: environment)
        guard initialize.status == 0 else { throw Failure(description: "pgbench -i failed: \(initialize.text)") }
        return try run(pgbench, ["-c", String(clients), "-j", String(threads), "-T", String(seconds), "-M", "prepared"] + connection + [settings.database], environment: environment)
    }

    /// Runs `scripts` (SQL statements, one picked at random per transaction) on `database` as it
    /// is, with `clients` for `seconds`; returns the transactions per second.
    public static func tps(settings: DatabaseSettings, scripts: [String], clients: Int, threads: Int, seconds: Int) throws -> Double {
        let (pgbench, connection, environment) = try command(settings)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("whistle-pgbench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var files: [String] = []
        for (index, script) in scripts.enumerated() {
            let file = folder.appendingPathComponent("script-\(index).sql")
            try Data(script.utf8).write(to: file)
            files += ["-f", file.path]
        }
        return try run(
            pgbench, ["-n", "-c", String(clients), "-j", String(threads), "-T", String(seconds), "-M", "prepared"] + files + connection + [settings.database],
            environment: environment)
    }

    private static func command(_ settings: DatabaseSettings) throws -> (URL, [String], [String: String]) {
        let binaries = try PostgresBinaries.locate()
        let pgbench = binaries.directory.appendingPathComponent("pgbench")
        guard FileManager.default.isExecutableFile(atPath: pgbench.path) else {
            throw Failure(description: "pgbench is not installed beside \(binaries.postgres.path) (it comes with the PostgreSQL server packages)")
        }
        var connection: [String]
        switch settings.endpoint {
        case .tcp(let host, let port): connection = ["-h", host, "-p", String(port)]
        case .unixSocket(let path):
            let directory = (path as NSString).deletingLastPathComponent
            let port = (path as NSString).lastPathComponent.split(separator: ".").last.map(String.init) ?? "5432"
            connection = ["-h", directory, "-p", port]
        }
        connection += ["-U", settings.username]
        var environment: [String: String] = [:]
        if let password = settings.password { environment["PGPASSWORD"] = password }
        return (pgbench, connection, environment)
    }

    private static func run(_ pgbench: URL, _ arguments: [String], environment: [String: String]) throws -> Double {
        let run = try ProcessRunner(user: nil).run(pgbench, arguments, environment: environment)
        guard run.status == 0 else { throw Failure(description: "pgbench failed: \(run.text)") }
        for line in run.text.split(separator: "\n") where line.hasPrefix("tps = ") {
            let number = line.dropFirst("tps = ".count).prefix { $0.isNumber || $0 == "." }
            if let value = Double(number) { return value }
        }
        throw Failure(description: "no tps in pgbench's output: \(run.text)")
    }
}
