import Foundation
import Logging
import NIOPosix
import PostgresNIO

#if canImport(Glibc)
    import Glibc
#endif

/// A PostgreSQL cluster that the daemon (or the test harness) owns: created under a data
/// folder on first use, started on a Unix socket in that folder and on a free loopback port,
/// stopped when its owner stops.
///
/// A daemon killed with `kill -9` leaves its server running and `postmaster.pid` behind;
/// the next `start()` stops that orphan (or clears a stale pid file) and starts afresh.
public struct EmbeddedPostgres: Sendable {
    public struct Options: Sendable {
        public var dataDirectory: URL
        /// The superuser created by `initdb`, which the daemon connects as.
        public var user: String = "whistle"
        /// The database the daemon uses; created when missing.
        public var database: String = "whistle"
        /// Skip fsync and synchronous commit: for throw-away test clusters only.
        public var durable: Bool = true
        public var maxConnections: Int = 100

        public init(dataDirectory: URL) {
            self.dataDirectory = dataDirectory.standardizedFileURL
        }
    }

    public let options: Options
    public let logger: Logger
    let binaries: PostgresBinaries
    let runner: ProcessRunner

    public init(options: Options, logger: Logger) throws(StoreError) {
        self.options = options
        self.logger = logger
        binaries = try PostgresBinaries.locate()
        let user = ProcessRunner.defaultUser()
        if ProcessRunner.isRoot, user == nil {
            throw .embeddedPostgres(step: "choosing a user", detail: "running as root and there is no 'postgres' or 'nobody' account to run PostgreSQL as")
        }
        runner = ProcessRunner(user: user)
    }

    var dataPath: String { options.dataDirectory.path }
    var logPath: String { options.dataDirectory.appendingPathComponent("postgres.log").path }

    /// The file naming the process that started the server, so that a second command on the same
    /// folder uses that server instead of taking it for a killed daemon's leftover.
    var ownerFile: URL { options.dataDirectory.appendingPathComponent("whistle.pid") }

    /// The server a live process of ours (a running daemon) started on this folder, if there is one.
    public func runningServer() -> (settings: DatabaseSettings, owner: Int32)? {
        guard let ownerText = try? String(contentsOf: ownerFile, encoding: .utf8),
            let owner = Int32(ownerText.trimmingWhitespace()), owner != getpid(), kill(owner, 0) == 0 || errno == EPERM,
            let pidText = try? String(contentsOfFile: options.dataDirectory.appendingPathComponent("postmaster.pid").path, encoding: .utf8)
        else { return nil }
        // A recycled pid is not our daemon: its command line must name whistle.
        if let command = FileManager.default.contents(atPath: "/proc/\(owner)/cmdline"), !String(decoding: command, as: UTF8.self).contains("whistle") {
            return nil
        }
        let lines = pidText.split(separator: "\n", omittingEmptySubsequences: false).map { String($0).trimmingWhitespace() }
        guard lines.count > 4, let pid = Int32(lines[0]), Self.isPostgresProcess(pid), let port = Int(lines[3]), !lines[4].isEmpty else { return nil }
        return (DatabaseSettings(endpoint: .unixSocket(path: "\(lines[4])/.s.PGSQL.\(port)"), username: options.user, database: options.database), owner)
    }

    /// Creates the cluster if needed, starts it and returns how to connect to it.
    ///
    /// - Throws: when another live whistle process serves the folder: two servers on one data
    ///   folder would corrupt it, and stopping the other's would pull its database away.
    public func start() throws(StoreError) -> DatabaseSettings {
        try prepareDirectory()
        if !FileManager.default.fileExists(atPath: options.dataDirectory.appendingPathComponent("PG_VERSION").path) {
            try initialize()
        }
        if let (_, owner) = runningServer() {
            throw .embeddedPostgres(
                step: "start", detail: "another whistle process (pid \(owner)) is serving \(dataPath); stop it first, or give this one another --data-dir")
        }
        try clearLeftoverServer()
        var lastError: StoreError?
        // The free port is found by binding and releasing it; another process may take it in between.
        for _ in 0..<3 {
            let port = try Self.freeLoopbackPort()
            do {
                try startServer(port: port)
                try? "\(getpid())\n".write(to: ownerFile, atomically: true, encoding: .utf8)
                let socketDirectory = self.socketDirectory
                logger.info("embedded PostgreSQL started", metadata: ["data": "\(dataPath)", "port": "\(port)", "socket": "\(socketDirectory)"])
                return DatabaseSettings(
                    endpoint: .unixSocket(path: "\(socketDirectory)/.s.PGSQL.\(port)"), username: options.user, database: options.database)
            } catch {
                lastError = error
                if !logTail().contains("Address already in use") { throw error }
            }
        }
        throw lastError ?? .embeddedPostgres(step: "start", detail: "no free port")
    }

    /// Stops the server (fast shutdown: open transactions roll back, committed data stays).
    public func stop() throws(StoreError) {
        guard FileManager.default.fileExists(atPath: options.dataDirectory.appendingPathComponent("postmaster.pid").path) else { return }
        let output = try run(binaries.pgCtl, ["stop", "-D", dataPath, "-m", "fast", "-w", "-t", "60"], step: "stop")
        if output.status != 0, !output.text.contains("Is server running?") {
            throw .embeddedPostgres(step: "stop", detail: output.text.trimmingWhitespace())
        }
        try? FileManager.default.removeItem(at: ownerFile)
        logger.info("embedded PostgreSQL stopped", metadata: ["data": "\(dataPath)"])
    }

    /// Creates `name` unless it exists, connecting to the maintenance database.
    public func createDatabase(_ name: String, settings: DatabaseSettings) async throws {
        try await Self.createDatabase(name, settings: settings, logger: logger)
    }

    /// Creates `name` on the server of `settings` unless it exists.
    public static func createDatabase(_ name: String, settings: DatabaseSettings, logger: Logger) async throws {
        let maintenance = settings.with(database: "postgres")
        let configuration = try PostgresConnection.Configuration(maintenance)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        do {
            let rows = try await connection.query("SELECT 1 FROM pg_database WHERE datname = \(name)", logger: logger)
            var exists = false
            for try await _ in rows { exists = true }
            if !exists {
                let quoted = "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
                try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(quoted) ENCODING 'UTF8' TEMPLATE template0"), logger: logger)
            }
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }

    // MARK: Steps

    private func run(_ tool: URL, _ arguments: [String], step: String) throws(StoreError) -> ProcessRunner.Output {
        do {
            return try runner.run(tool, arguments)
        } catch {
            throw .embeddedPostgres(step: step, detail: "cannot run \(tool.path): \(error)")
        }
    }

    private func prepareDirectory() throws(StoreError) {
        let fm = FileManager.default
        do {
            try fm.createDirectory(at: options.dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .embeddedPostgres(step: "creating the data folder", detail: "\(dataPath): \(error.localizedDescription)")
        }
        guard let user = runner.user else { return }
        // As root, the cluster belongs to the unprivileged user, who must be able to reach it.
        do {
            try fm.setAttributes([.ownerAccountName: user, .posixPermissions: 0o700], ofItemAtPath: dataPath)
        } catch {
            throw .embeddedPostgres(step: "handing the data folder to \(user)", detail: "\(error)")
        }
        var ancestor = options.dataDirectory.deletingLastPathComponent()
        while ancestor.path != "/" {
            var info = stat()
            if stat(ancestor.path, &info) == 0, info.st_mode & S_IXOTH == 0 {
                logger.warning(
                    "granting search permission (o+x) on a parent of the data folder so that \(user) can reach it",
                    metadata: ["folder": "\(ancestor.path)"])
                chmod(ancestor.path, info.st_mode | S_IXOTH)
            }
            ancestor.deleteLastPathComponent()
        }
    }

    private func initialize() throws(StoreError) {
        let fm = FileManager.default
        if let contents = try? fm.contentsOfDirectory(atPath: dataPath), !contents.isEmpty {
            throw .embeddedPostgres(
                step: "creating the cluster",
                detail: "\(dataPath) is not empty but holds no PostgreSQL cluster (no PG_VERSION); move it away or choose another --data-dir")
        }
        logger.info("creating embedded PostgreSQL cluster", metadata: ["data": "\(dataPath)"])
        var arguments = ["-D", dataPath, "-U", options.user, "-A", "trust", "-E", "UTF8", "--no-locale"]
        if !options.durable { arguments.append("--no-sync") }
        let output = try run(binaries.initdb, arguments, step: "initdb")
        guard output.status == 0 else {
            // A half-made cluster would be refused next time; leave the folder empty instead.
            if let contents = try? fm.contentsOfDirectory(atPath: dataPath) {
                for item in contents { try? fm.removeItem(atPath: options.dataDirectory.appendingPathComponent(item).path) }
            }
            throw .embeddedPostgres(step: "initdb", detail: output.text.trimmingWhitespace())
        }
    }

    /// Handles a `postmaster.pid` left behind: the server of a killed daemon is stopped,
    /// a pid file whose process is gone is removed.
    private func clearLeftoverServer() throws(StoreError) {
        let pidFile = options.dataDirectory.appendingPathComponent("postmaster.pid").path
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8) else { return }
        let pid = Int32(text.split(separator: "\n").first.map(String.init)?.trimmingWhitespace() ?? "") ?? 0
        if pid > 0, Self.isPostgresProcess(pid) {
            logger.warning("a PostgreSQL server is still running on the data folder (left by a stopped daemon); stopping it", metadata: ["pid": "\(pid)"])
            let output = try run(binaries.pgCtl, ["stop", "-D", dataPath, "-m", "fast", "-w", "-t", "60"], step: "stopping the leftover server")
            if output.status != 0, Self.isPostgresProcess(pid) {
                throw .embeddedPostgres(step: "stopping the leftover server (pid \(pid))", detail: output.text.trimmingWhitespace())
            }
        } else {
            logger.warning("removing a stale postmaster.pid", metadata: ["pid": "\(pid)"])
            try? FileManager.default.removeItem(atPath: pidFile)
        }
    }

    static func isPostgresProcess(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else {
            // Without /proc we cannot tell; a live pid is assumed to be the server.
            return !FileManager.default.fileExists(atPath: "/proc/self")
        }
        let command = String(decoding: data, as: UTF8.self)
        return command.contains("postgres") || command.contains("postmaster")
    }

    /// Unix socket paths are limited to 107 bytes; a deep data folder falls back to a short one in /tmp.
    var socketDirectory: String {
        if dataPath.utf8.count + ".s.PGSQL.65535".utf8.count + 1 <= 100 { return dataPath }
        return "/tmp"
    }

    private func startServer(port: Int) throws(StoreError) {
        var serverOptions = [
            "-p \(port)", "-k '\(socketDirectory)'", "-c listen_addresses=127.0.0.1",
            "-c max_connections=\(options.maxConnections)", "-c unix_socket_permissions=0777",
        ]
        if !options.durable {
            serverOptions += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        }
        let output = try run(
            binaries.pgCtl, ["start", "-D", dataPath, "-l", logPath, "-w", "-t", "60", "-o", serverOptions.joined(separator: " ")],
            step: "start")
        guard output.status == 0 else {
            throw .embeddedPostgres(step: "start", detail: "\(output.text.trimmingWhitespace()); server log: \(logTail())")
        }
    }

    private func logTail() -> String {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return "(no log)" }
        return text.split(separator: "\n").suffix(5).joined(separator: " | ")
    }

    static func freeLoopbackPort() throws(StoreError) -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw .embeddedPostgres(step: "finding a free port", detail: "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw .embeddedPostgres(step: "finding a free port", detail: "bind() failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw .embeddedPostgres(step: "finding a free port", detail: "getsockname() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

extension PostgresConnection.Configuration {
    /// A single-connection configuration for the same server as `settings`.
    init(_ settings: DatabaseSettings) throws {
        switch settings.endpoint {
        case .tcp(let host, let port):
            self.init(host: host, port: port, username: settings.username, password: settings.password, database: settings.database, tls: .disable)
        case .unixSocket(let path):
            self.init(unixSocketPath: path, username: settings.username, password: settings.password, database: settings.database)
        }
        options.connectTimeout = .seconds(5)
    }
}
