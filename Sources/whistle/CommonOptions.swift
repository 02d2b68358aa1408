import ArgumentParser
import Foundation
import Logging
import WhistleCore
import WhistleStore

/// Options every command that touches configuration or the database shares.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "The configuration folder (env WHISTLE_CONFIG_DIR).")
    var config: String?

    @Option(name: .long, help: "PostgreSQL URL, postgres://user:password@host:port/db (env WHISTLE_DATABASE_URL). Without one, an embedded cluster is used.")
    var databaseURL: String?

    @Option(name: .long, help: "Data folder of the embedded PostgreSQL cluster (env WHISTLE_DATA_DIR; default .whistle/pgdata).")
    var dataDir: String?

    @Option(name: .long, help: "Folder of the SQL migrations (env WHISTLE_SQL_DIR; default ./sql or beside the executable).")
    var sqlDir: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical (env LOG_LEVEL).")
    var logLevel: String?

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    var configDirectory: URL {
        URL(fileURLWithPath: config ?? environment["WHISTLE_CONFIG_DIR"] ?? "config")
    }

    func makeLogger(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = (logLevel ?? environment["LOG_LEVEL"]).flatMap(Logger.Level.init(rawValue:)) ?? .info
        return logger
    }

    /// The database URL from the flag, the environment or `whistle.yaml`, in that order; nil means embedded.
    func databaseURL(settings: DaemonSettings) -> String? {
        databaseURL ?? environment["WHISTLE_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? settings.databaseURL
    }

    func dataDirectory(settings: DaemonSettings) -> URL {
        URL(fileURLWithPath: dataDir ?? environment["WHISTLE_DATA_DIR"] ?? settings.dataDirectory)
    }

    /// Reads and validates the configuration folder, printing every problem on its own line.
    func readConfiguration() throws -> ConfigDirectory {
        do {
            return try ConfigDirectory.read(configDirectory)
        } catch {
            for problem in error.errors {
                printError(problem.description)
            }
            throw CommandFailure("the configuration has \(error.errors.count) problem(s); nothing was loaded")
        }
    }
}

/// A failure already explained to the operator in one line.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func printError(_ line: String) {
    FileHandle.standardError.write(Data("whistle: \(line)\n".utf8))
}

/// Runs `body`, turning any error into one line on standard error and exit status 1, never a stack trace.
func reportingFailures(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as CommandFailure {
        printError("error: \(error.description)")
        throw ExitCode.failure
    } catch let error as StoreError {
        printError("error: \(error.description)")
        throw ExitCode.failure
    } catch let error as ExitCode {
        throw error
    } catch {
        printError("error: \(describeDatabaseError(error))")
        throw ExitCode.failure
    }
}
