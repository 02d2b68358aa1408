import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs the PostgreSQL tools, as an unprivileged user when the daemon runs as root
/// (`initdb` and `postgres` refuse to run as root).
///
/// Output goes to a temporary file rather than a pipe, so a server that `pg_ctl` leaves running
/// can never hold our read open.
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

    func run(_ executable: URL, _ arguments: [String], environment: [String: String] = [:]) throws -> Output {
        let argv: [String]
        if let user {
            argv = [Self.runuserPath, "-u", user, "--", executable.path] + arguments
        } else {
            argv = [executable.path] + arguments
        }

        var template = Array((NSTemporaryDirectory() + "/whistle-tool-XXXXXX").utf8CString)
        let outputFD = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard outputFD >= 0 else { throw ChildProcess.SpawnError(description: "cannot create a temporary file for \(argv[0])'s output") }
        let outputPath = String(cString: template.map { UInt8(bitPattern: $0) })
        defer {
            close(outputFD)
            unlink(outputPath)
        }

        // The tools print in the server's language otherwise; operators read English logs.
        let pid = try ChildProcess.spawn(argv, environment: environment.merging(["LC_MESSAGES": "C"]) { $1 }, outputFD: outputFD)
        let status = try ChildProcess.wait(pid)
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8))
            ?? String(decoding: FileManager.default.contents(atPath: outputPath) ?? Data(), as: UTF8.self)
        return Output(status: status, text: text)
    }

    static var runuserPath: String {
        for path in ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"] where FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        return "/usr/sbin/runuser"
    }
}
