import Foundation

/// A headless Chromium driven by Python's selenium with Debian's chromedriver, for the web pages'
/// tests. `scripts/ensure-browser` installs chromium and chromium-driver, `scripts/ensure-python-libs`
/// selenium; a test that needs them fails (never skips) with a message naming those scripts.
public enum Browser {
    public static let chromium = "/usr/bin/chromium"
    public static let chromedriver = "/usr/bin/chromedriver"

    public struct Missing: Error, CustomStringConvertible {
        public var description: String
    }

    /// Where the tests save their screenshots: `.build/screenshots/` of the repository.
    public static var screenshots: URL {
        TestPostgres.repositoryRoot.appendingPathComponent(".build/screenshots")
    }

    /// Throws a clear error when chromium, chromedriver or selenium is missing.
    public static func requireInstalled() throws {
        let files = FileManager.default
        for (path, package) in [(chromium, "chromium"), (chromedriver, "chromium-driver")] where !files.isExecutableFile(atPath: path) {
            throw Missing(description: "\(path) is missing: the web pages' browser test needs Debian's \(package); run scripts/ensure-browser (apt-get install -y chromium chromium-driver)")
        }
        let (status, _, errors) = try Python.run("import selenium", arguments: [])
        guard status == 0 else {
            throw Missing(description: "Python's selenium is missing (run scripts/ensure-python-libs): \(errors)")
        }
    }

    /// Runs a selenium script off Swift's cooperative threads (it blocks while the browser works,
    /// and the server under test needs those threads to answer it). The script gets the paths of
    /// chromium and chromedriver and the screenshot folder in the environment.
    public static func run(_ script: String, arguments: [String]) async throws -> (status: Int32, output: Data, errors: String) {
        try FileManager.default.createDirectory(at: screenshots, withIntermediateDirectories: true)
        let arguments = [chromium, chromedriver, screenshots.path] + arguments
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                do {
                    continuation.resume(returning: try Python.run(script, arguments: arguments))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}
