import Foundation
import WhistleStore

#if canImport(Glibc)
    import Glibc
#endif

/// A real `whistle serve` process for tests that kill it: started from the build folder, its
/// output in a log file, stopped with any signal.
public final class DaemonProcess: @unchecked Sendable {
    public let pid: pid_t
    public let logPath: String
    private var reaped = false

    /// The `whistle` executable built beside the test bundle.
    public static var executable: URL {
        let bundle = Bundle.main.bundleURL
        for candidate in [
            bundle.deletingLastPathComponent().appendingPathComponent("whistle"),
            bundle.appendingPathComponent("whistle"),
            TestPostgres.repositoryRoot.appendingPathComponent(".build/debug/whistle"),
        ] where FileManager.default.isExecutableFile(atPath: candidate.path) {
            return candidate
        }
        return TestPostgres.repositoryRoot.appendingPathComponent(".build/debug/whistle")
    }

    /// A configuration folder whose `whistle.yaml` is `settings`, sharing the repository's tenants and calendars.
    public static func configDirectory(settings: String) throws -> URL {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("whistle-config-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try settings.write(to: folder.appendingPathComponent("whistle.yaml"), atomically: true, encoding: .utf8)
        for name in ["tenants", "calendars"] {
            try FileManager.default.createSymbolicLink(
                at: folder.appendingPathComponent(name), withDestinationURL: TestPostgres.configDirectory.appendingPathComponent(name))
        }
        return folder
    }

    /// Starts `whistle serve` on `databaseURL` with the configuration folder `config`, on a free port.
    public init(databaseURL: String, config: URL, extraEnvironment: [String: String] = [:]) throws {
        let log = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("whistle-daemon-\(UUID().uuidString.prefix(8)).log")
        logPath = log.path
        let fd = open(logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw DaemonProcessError("cannot create \(logPath)") }
        defer { close(fd) }
        let arguments = [
            Self.executable.path, "serve", "--database-url", databaseURL, "--config", config.path, "--port", "0",
            "--sql-dir", TestPostgres.sqlDirectory.path, "--log-level", "info",
        ]
        let pid = try ChildProcess.spawn(arguments, environment: extraEnvironment, outputFD: fd)
        self.pid = pid
    }

    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Sends `signal` and waits for the process to end; returns its exit status (128 + signal when killed).
    @discardableResult
    public func stop(_ signal: Int32 = SIGKILL) -> Int32 {
        guard !reaped else { return -1 }
        kill(pid, signal)
        reaped = true
        return (try? ChildProcess.wait(pid)) ?? -1
    }

    /// Whether the process has ended on its own (reaping it if so).
    public var hasExited: Bool {
        guard !reaped else { return true }
        if ChildProcess.poll(pid) != nil { reaped = true }
        return reaped
    }

    deinit {
        if !reaped { stop(SIGKILL) }
    }
}

public struct DaemonProcessError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
