import Foundation
import Testing
import WhistleTestSupport

/// The `whistle` executable itself: what an operator types and what it prints.
@Suite("The whistle command line")
struct CommandLineTests {
    let config = TestPostgres.configDirectory.path

    func whistle(_ arguments: String...) throws -> WhistleCommand.Result {
        try #require(FileManager.default.isExecutableFile(atPath: DaemonProcess.executable.path), "build the daemon first: swift build")
        return try WhistleCommand.run(arguments)
    }

    @Test("version prints the version")
    func version() throws {
        let result = try whistle("version")
        #expect(result.status == 0)
        #expect(result.output.hasPrefix("whistle "))
    }

    @Test("config check accepts the sample configuration and lists tenants and calendars")
    func configCheck() throws {
        let result = try whistle("config", "check", config)
        #expect(result.status == 0)
        #expect(result.output.contains("configuration is valid: 5 tenant(s), 1 calendar(s)"))
        #expect(result.output.contains("ok  calendar cn"))
    }

    @Test("config check names each broken file with line and column, in one line, exit 1")
    func configCheckBroken() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("whistle-cli-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root.appendingPathComponent("tenants/bad"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: TestPostgres.configDirectory.appendingPathComponent("calendars"), to: root.appendingPathComponent("calendars"))
        try "tenant:\n  code: bad\n  name: 坏县\n  kind: village\n  source: t\n".write(
            to: root.appendingPathComponent("tenants/bad/directory.yaml"), atomically: true, encoding: .utf8)
        let result = try whistle("config", "check", root.path)
        #expect(result.status == 1)
        #expect(result.output.contains("tenants/bad/directory.yaml:4:9: tenant.kind"))
        #expect(!result.output.contains("Fatal error"))
    }

    @Test("calendar add-workdays counts working days across the National Day holiday")
    func addWorkdays() throws {
        let result = try whistle("calendar", "add-workdays", "--config", config, "--from", "2026-09-30T17:30:00+08:00", "--days", "5")
        #expect(result.status == 0)
        #expect(result.output == "2026-10-13T17:30:00+08:00\n")
        let fromHoliday = try whistle("calendar", "add-workdays", "--config", config, "--tenant", "yongning", "--from", "2026-10-01T10:00", "--days", "1")
        #expect(fromHoliday.output == "2026-10-09T00:00:00+08:00\n")
    }

    @Test("calendar is-workday: an adjusted Saturday is one, a holiday is not")
    func isWorkday() throws {
        #expect(try whistle("calendar", "is-workday", "--config", config, "2026-10-10").output == "true\n")
        #expect(try whistle("calendar", "is-workday", "--config", config, "2026-10-01").output == "false\n")
        #expect(try whistle("calendar", "between", "--config", config, "--from", "2026-09-30", "--to", "2026-10-12").output == "4\n")
    }

    @Test("a year the calendar does not cover, or a malformed moment, is one clear line and exit 1")
    func refusals() throws {
        let uncovered = try whistle("calendar", "is-workday", "--config", config, "2027-01-04")
        #expect(uncovered.status == 1)
        #expect(uncovered.output.contains("does not cover 2027"))
        let malformed = try whistle("calendar", "add-workdays", "--config", config, "--from", "yesterday", "--days", "1")
        #expect(malformed.status == 1)
        #expect(malformed.output.contains("'yesterday' is not an ISO 8601 moment"))
        let unknownTenant = try whistle("calendar", "is-workday", "--config", config, "--tenant", "atlantis", "2026-10-10")
        #expect(unknownTenant.status == 1)
        #expect(unknownTenant.output.contains("no tenant 'atlantis'"))
    }
}
