import Foundation

/// Runs a Python script the way the tests check our files with standard readers (icalendar,
/// openpyxl): `.build/python` (where `scripts/ensure-python-libs` installs them) on PYTHONPATH.
public enum Python {
    /// The script's exit status, standard output and standard error.
    public static func run(_ script: String, arguments: [String]) throws -> (status: Int32, output: Data, errors: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        var environment = ProcessInfo.processInfo.environment
        let local = TestPostgres.configDirectory.deletingLastPathComponent().appendingPathComponent(".build/python").path
        environment["PYTHONPATH"] = environment["PYTHONPATH"].map { "\(local):\($0)" } ?? local
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let problem = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, data, problem)
    }
}
