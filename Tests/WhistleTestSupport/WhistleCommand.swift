import Foundation
import WhistleStore

#if canImport(Glibc)
    import Glibc
#endif

/// Runs the built `whistle` executable to its end, as an operator would.
public enum WhistleCommand {
    public struct Result: Sendable {
        public var status: Int32
        /// Standard output and error together.
        public var output: String
    }

    public static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let path = NSTemporaryDirectory() + "/whistle-cli-\(UUID().uuidString.prefix(8)).out"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw DaemonProcessError("cannot create \(path)") }
        defer {
            close(fd)
            unlink(path)
        }
        let pid = try ChildProcess.spawn([DaemonProcess.executable.path] + arguments, environment: environment, outputFD: fd)
        let status = try ChildProcess.wait(pid)
        return Result(status: status, output: (try? String(contentsOfFile: path, encoding: .utf8)) ?? "")
    }
}
