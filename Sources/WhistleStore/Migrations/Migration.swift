import Foundation

/// One numbered SQL file of `sql/`, such as `0002_directory.sql`.
public struct Migration: Sendable, Hashable {
    public var version: Int
    public var name: String
    public var fileName: String
    public var sql: String

    /// SHA-256 of the file's bytes, hex: an applied migration must never change.
    public var checksum: String {
        sha256Hex(Data(sql.utf8))
    }

    public init(version: Int, name: String, fileName: String, sql: String) {
        self.version = version
        self.name = name
        self.fileName = fileName
        self.sql = sql
    }

    /// Reads every `NNNN_name.sql` of `directory`, in order of their numbers.
    public static func load(from directory: URL) throws(StoreError) -> [Migration] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw .migrationsNotFound(searched: [directory.path])
        }
        var migrations: [Migration] = []
        for fileName in names.sorted() where fileName.hasSuffix(".sql") {
            let stem = fileName.dropLast(4)
            let parts = stem.split(separator: "_", maxSplits: 1)
            guard parts.count == 2, let version = Int(parts[0]), version > 0 else {
                throw .invalidMigration(file: fileName, reason: "the name must be NNNN_description.sql with a positive number")
            }
            if let other = migrations.first(where: { $0.version == version }) {
                throw .invalidMigration(file: fileName, reason: "number \(version) is also used by \(other.fileName)")
            }
            let path = directory.appendingPathComponent(fileName).path
            guard let data = FileManager.default.contents(atPath: path), let sql = String(data: data, encoding: .utf8) else {
                throw .invalidMigration(file: fileName, reason: "cannot be read as UTF-8 text")
            }
            migrations.append(Migration(version: version, name: String(parts[1]), fileName: fileName, sql: sql))
        }
        guard !migrations.isEmpty else { throw .migrationsNotFound(searched: [directory.path]) }
        return migrations.sorted { $0.version < $1.version }
    }

    /// Finds the `sql/` folder: an explicit path, `WHISTLE_SQL_DIR`, `./sql`, or a `sql/` beside or above the executable.
    public static func locateDirectory(explicit: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws(StoreError) -> URL {
        if let explicit { return URL(fileURLWithPath: explicit) }
        if let fromEnvironment = environment["WHISTLE_SQL_DIR"], !fromEnvironment.isEmpty {
            return URL(fileURLWithPath: fromEnvironment)
        }
        var candidates = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("sql")]
        var directory = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(directory.appendingPathComponent("sql"))
            candidates.append(directory.appendingPathComponent("share/whistle/sql"))
            directory.deleteLastPathComponent()
        }
        candidates.append(URL(fileURLWithPath: "/usr/share/whistle/sql"))
        for candidate in candidates where FileManager.default.fileExists(atPath: candidate.appendingPathComponent("0001_tenancy.sql").path) {
            return candidate
        }
        throw .migrationsNotFound(searched: candidates.map(\.path))
    }
}
