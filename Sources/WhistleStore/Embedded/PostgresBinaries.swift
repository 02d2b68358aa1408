import Foundation

/// The PostgreSQL server programs the embedded cluster needs.
public struct PostgresBinaries: Sendable, Hashable {
    public var directory: URL

    public var initdb: URL { directory.appendingPathComponent("initdb") }
    public var pgCtl: URL { directory.appendingPathComponent("pg_ctl") }
    public var postgres: URL { directory.appendingPathComponent("postgres") }

    /// Finds `initdb`, `pg_ctl` and `postgres` together on `PATH`, or under `/usr/lib/postgresql/*/bin`
    /// (newest version first), where Debian installs them off the `PATH`.
    public static func locate(
        environment: [String: String] = ProcessInfo.processInfo.environment, debianRoot: String = "/usr/lib/postgresql"
    ) throws(StoreError) -> PostgresBinaries {
        var candidates: [URL] = (environment["PATH"] ?? "").split(separator: ":").map { URL(fileURLWithPath: String($0)) }
        if let versions = try? FileManager.default.contentsOfDirectory(atPath: debianRoot) {
            let sorted = versions.sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }
            candidates += sorted.map { URL(fileURLWithPath: "\(debianRoot)/\($0)/bin") }
        }
        for directory in candidates {
            let binaries = PostgresBinaries(directory: directory)
            let all = [binaries.initdb, binaries.pgCtl, binaries.postgres]
            if all.allSatisfy({ FileManager.default.isExecutableFile(atPath: $0.path) }) {
                // PATH may hold symlinks (/usr/local/bin/initdb → /usr/lib/postgresql/15/bin/initdb);
                // the programs find each other relative to their real place.
                return PostgresBinaries(directory: binaries.initdb.resolvingSymlinksInPath().deletingLastPathComponent())
            }
        }
        throw .postgresNotInstalled(installHint: installHint())
    }

    /// The exact command that installs the server packages on this system.
    static func installHint() -> String {
        let sudo = ProcessRunner.isRoot ? "" : "sudo "
        let fm = FileManager.default
        if fm.fileExists(atPath: "/etc/debian_version") {
            return "\(sudo)apt-get update && \(sudo)apt-get install -y postgresql"
        }
        if fm.fileExists(atPath: "/etc/alpine-release") {
            return "\(sudo)apk add postgresql"
        }
        if fm.fileExists(atPath: "/etc/fedora-release") || fm.fileExists(atPath: "/etc/redhat-release") {
            return "\(sudo)dnf install -y postgresql-server"
        }
        #if os(macOS)
            return "brew install postgresql@15"
        #else
            return "install the PostgreSQL server package of your system (Debian/Ubuntu: \(sudo)apt-get install -y postgresql)"
        #endif
    }
}
