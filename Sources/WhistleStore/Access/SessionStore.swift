import Foundation
import PostgresNIO
import WhistleCore

/// Web sessions: a browser signs in with a credential's token and then carries a random session
/// id in a cookie. Only the id's SHA-256 is stored (`web_sessions`), so sessions survive a restart
/// of the daemon and a copy of the table opens none.
public struct SessionStore: Sendable {
    public let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// A session as the web pages see it: who, and until when.
    public struct Session: Sendable, Hashable {
        public var principal: Principal
        public var expiresAt: Date
    }

    /// `ws_` and 43 characters of base64url: 256 random bits.
    static func newSessionID() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let text = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return "ws_" + text
    }

    static func hash(_ id: String) -> String {
        sha256Hex(Data(id.utf8))
    }

    /// The CSRF token of a session, put in every form's hidden field: derived from the session id
    /// (so nothing more is stored) by a hash that differs from the stored one, so neither the table
    /// nor a page reveals the id.
    public static func csrfToken(forSession id: String) -> String {
        sha256Hex(Data("whistle-csrf:\(id)".utf8))
    }

    /// Compares two secrets in time that depends only on their lengths.
    public static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }

    /// Opens a session for `principal` until `now + lifetime`; returns the id, which is not kept
    /// anywhere. Sessions of the tenant that have expired are deleted on the way.
    public func create(for principal: Principal, now: Date, lifetime: TimeInterval) async throws -> (id: String, expiresAt: Date) {
        let id = Self.newSessionID()
        let expires = now.addingTimeInterval(lifetime)
        try await database.withTenant(principal.tenant) { connection in
            try await connection.query("DELETE FROM web_sessions WHERE expires_at <= \(now)", logger: database.logger)
            try await connection.query(
                """
                INSERT INTO web_sessions (tenant_id, session_hash, credential_id, created_at, expires_at)
                VALUES (\(principal.tenant), \(Self.hash(id)), \(principal.credential), \(now), \(expires))
                """, logger: database.logger)
        }
        return (id, expires)
    }

    /// The session a cookie carries; nil when it is unknown, expired, or its credential was revoked.
    public func session(_ id: String, now: Date) async throws -> Session? {
        guard id.hasPrefix("ws_"), id.count < 100 else { return nil }
        let rows = try await database.client.query(
            """
            SELECT c.credential_id, c.tenant_id, c.role, c.department_code, c.name, s.expires_at
            FROM web_sessions s
            JOIN credentials c ON c.tenant_id = s.tenant_id AND c.credential_id = s.credential_id
            WHERE s.session_hash = \(Self.hash(id)) AND s.expires_at > \(now) AND c.revoked_at IS NULL
            """, logger: database.logger)
        for try await (credential, tenant, role, department, name, expires) in rows.decode((Int64, String, String, String?, String, Date).self) {
            guard let role = Role(rawValue: role) else { return nil }
            return Session(principal: Principal(credential: credential, tenant: tenant, role: role, department: department, name: name), expiresAt: expires)
        }
        return nil
    }

    /// Signs out: the session is deleted (in its tenant); false when there was none.
    @discardableResult
    public func end(_ id: String, tenant: String) async throws -> Bool {
        try await database.withTenant(tenant) { connection in
            let rows = try await connection.query(
                "DELETE FROM web_sessions WHERE session_hash = \(Self.hash(id)) RETURNING 1", logger: database.logger)
            for try await _ in rows.decode(Int.self) { return true }
            return false
        }
    }
}
