import Testing
@testable import WhistleStore

@Suite("Database URL")
struct DatabaseSettingsTests {
    @Test("TCP URL with password, port and sslmode")
    func tcp() throws {
        let settings = try DatabaseSettings(url: "postgres://app:secret@db.local:6543/whistle?sslmode=require")
        #expect(settings.endpoint == .tcp(host: "db.local", port: 6543))
        #expect(settings.username == "app")
        #expect(settings.password == "secret")
        #expect(settings.database == "whistle")
        #expect(settings.requireTLS)
        #expect(!settings.description.contains("secret"))
    }

    @Test("Unix socket in libpq's form")
    func socket() throws {
        let settings = try DatabaseSettings(url: "postgresql://whistle@/whistle?host=/run/pg&port=5433")
        #expect(settings.endpoint == .unixSocket(path: "/run/pg/.s.PGSQL.5433"))
    }

    @Test("malformed URLs say what is wrong without leaking the password", arguments: [
        "mysql://u@h/db", "postgres://h/db", "postgres://u:pw@h", "postgres://u:pw@h:5432/db?sslmode=sometimes",
    ])
    func malformed(url: String) {
        do {
            _ = try DatabaseSettings(url: url)
            Issue.record("expected an error for \(url)")
        } catch {
            #expect(!error.description.contains(":pw@"))
        }
    }
}
