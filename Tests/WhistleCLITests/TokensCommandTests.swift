import Foundation
import Testing
import WhistleStore
import WhistleTestSupport

/// `whistle tokens` against a real database: the token is printed once, only its hash is stored.
@Suite("The tokens command")
struct TokensCommandTests {
    @Test("create prints a token that authenticates; list never shows it; revoke ends it; mistakes are one line")
    func lifecycle() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: DaemonProcess.executable.path), "build the daemon first: swift build")
        let db = try await TestPostgres.migratedDatabase("tokens_cli")
        try await db.loadSampleConfiguration()
        let url = db.settings.url
        let config = TestPostgres.configDirectory.path
        let created = try WhistleCommand.run([
            "tokens", "create", "--config", config, "--database-url", url, "--tenant", "yongning", "--role", "handler", "--department", "zjj",
            "--name", "住建局经办人",
        ])
        #expect(created.status == 0, "\(created.output)")
        let token = try #require(created.output.split(separator: "\n").map(String.init).first { $0.hasPrefix("wh_") })
        #expect(token.count == 46)
        let principal = try #require(try await CredentialStore(database: db.database).authenticate(token))
        #expect(principal.role == .handler)
        #expect(principal.department == "zjj")
        let listed = try WhistleCommand.run(["tokens", "list", "--config", config, "--database-url", url, "--tenant", "yongning"])
        #expect(listed.output.contains("yongning\thandler\tzjj\tactive\t住建局经办人"))
        #expect(!listed.output.contains(token))
        let revoked = try WhistleCommand.run(["tokens", "revoke", "--config", config, "--database-url", url, "\(principal.credential)"])
        #expect(revoked.status == 0)
        #expect(try await CredentialStore(database: db.database).authenticate(token) == nil)
        let again = try WhistleCommand.run(["tokens", "revoke", "--config", config, "--database-url", url, "\(principal.credential)"])
        #expect(again.status == 1)
        #expect(again.output.contains("no active credential"))
        let noDepartment = try WhistleCommand.run([
            "tokens", "create", "--config", config, "--database-url", url, "--tenant", "yongning", "--role", "handler", "--name", "x",
        ])
        #expect(noDepartment.status == 1)
        #expect(noDepartment.output.contains("role handler is bound to a department: give --department"))
        let badRole = try WhistleCommand.run(["tokens", "create", "--config", config, "--database-url", url, "--tenant", "yongning", "--role", "king", "--name", "x"])
        #expect(badRole.status == 1)
        #expect(badRole.output.contains("--role 'king' is not one of"))
        let badTenant = try WhistleCommand.run(["tokens", "create", "--config", config, "--database-url", url, "--tenant", "atlantis", "--role", "office", "--name", "x"])
        #expect(badTenant.status == 1)
        #expect(!badTenant.output.contains("Fatal"))
    }
}
