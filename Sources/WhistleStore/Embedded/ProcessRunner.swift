import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs the PostgreSQL tools, as an unprivileged user when the daemon runs as root
/// (`initdb` and `postgres` refuse to run as root).
///
/// Uses `posix_spawn` and `waitpid` directly: Foundation's `Process.waitUntilExit` can hang on
/// Linux when several processes are waited for at once. Output goes to a temporary file rather
/// than a pipe, so a server that `pg_ctl` leaves running can never hold our read open.
struct ProcessRunner: Sendable {
    /// The user to run as, or nil to run as ourselves.
    let user: String?

    struct Output: Sendable {
        var status: Int32
        var text: String
    }

    static var isRoot: Bool { geteuid() == 0 }

    /// The unprivileged account for PostgreSQL when running as root: `postgres` if it exists, else `nobody`.
    static func defaultUser() -> String? {
        guard isRoot else { return nil }
        for name in ["postgres", "nobody"] where getpwnam(name) != nil {
            return name
        }
        return nil
    }

    enum Failure: Error, CustomStringConvertible {
        case spawn(String, Int32)
        case wait(Int32)

        var description: String {
            switch self {
            case .spawn(let path, let code): "cannot start \(path): \(String(cString: strerror(code)))"
            case .wait(let code): "waiting for a child process failed: \(String(cString: strerror(code)))"
            }
        }
    }

    func run(_ executable: URL, _ arguments: [String], environment: [String: String] = [:]) throws -> Output {
        let argv: [String]
        if let user {
            argv = [Self.runuserPath, "-u", user, "--", executable.path] + arguments
        } else {
            argv = [executable.path] + arguments
        }
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        // The tools print in the server's language otherwise; operators read English logs.
        env["LC_MESSAGES"] = "C"

        var template = Array((NSTemporaryDirectory() + "/whistle-tool-XXXXXX").utf8CString)
        let outputFD = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard outputFD >= 0 else { throw Failure.spawn(argv[0], errno) }
        let outputPath = String(cString: template.map { UInt8(bitPattern: $0) })
        defer {
            close(outputFD)
            unlink(outputPath)
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outputFD, 1)
        posix_spawn_file_actions_adddup2(&actions, outputFD, 2)

        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArguments.forEach { free($0) }
            cEnvironment.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArguments, cEnvironment)
        guard spawned == 0 else { throw Failure.spawn(argv[0], spawned) }

        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw Failure.wait(errno) }
        }
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8))
            ?? String(decoding: FileManager.default.contents(atPath: outputPath) ?? Data(), as: UTF8.self)
        return Output(status: Self.exitCode(status), text: text)
    }

    /// The exit status as a shell reports it: the code, or 128 + the signal.
    private static func exitCode(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    static var runuserPath: String {
        for path in ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"] where FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        return "/usr/sbin/runuser"
    }
}
