import Foundation
import NIOSSL
import PostgresNIO

/// Where and how to connect to PostgreSQL.
public struct DatabaseSettings: Sendable, Hashable, CustomStringConvertible {
    public enum Endpoint: Sendable, Hashable {
        case tcp(host: String, port: Int)
        case unixSocket(path: String)
    }

    public var endpoint: Endpoint
    public var username: String
    public var password: String?
    public var database: String
    public var requireTLS: Bool

    public init(endpoint: Endpoint, username: String, password: String? = nil, database: String, requireTLS: Bool = false) {
        self.endpoint = endpoint
        self.username = username
        self.password = password
        self.database = database
        self.requireTLS = requireTLS
    }

    /// Parses `postgres://user:password@host:port/database?sslmode=…`.
    ///
    /// A Unix socket is given as `postgres://user@/database?host=/path/to/socket-dir&port=5432`,
    /// as libpq accepts it.
    public init(url: String) throws(StoreError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme,
            ["postgres", "postgresql"].contains(scheme)
        else {
            throw .invalidDatabaseURL(Self.redact(url), reason: "expected postgres://user:password@host:port/database")
        }
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        guard let username = components.user, !username.isEmpty else {
            throw .invalidDatabaseURL(Self.redact(url), reason: "no user name")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else {
            throw .invalidDatabaseURL(Self.redact(url), reason: "no database name after the host")
        }
        let port: Int
        if let text = query["port"] {
            guard let value = Int(text) else { throw .invalidDatabaseURL(Self.redact(url), reason: "port '\(text)' is not a number") }
            port = value
        } else {
            port = components.port ?? 5432
        }
        let socketDir = query["host"].flatMap { $0.hasPrefix("/") ? $0 : nil }
        if let socketDir {
            endpoint = .unixSocket(path: "\(socketDir)/.s.PGSQL.\(port)")
        } else {
            guard let host = components.host, !host.isEmpty else {
                throw .invalidDatabaseURL(Self.redact(url), reason: "no host")
            }
            endpoint = .tcp(host: host, port: port)
        }
        self.username = username
        self.password = components.password
        self.database = database
        let sslmode = query["sslmode"] ?? "prefer"
        guard ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"].contains(sslmode) else {
            throw .invalidDatabaseURL(Self.redact(url), reason: "unknown sslmode '\(sslmode)'")
        }
        requireTLS = ["require", "verify-ca", "verify-full"].contains(sslmode)
    }

    /// The URL without its password, for logs and messages.
    static func redact(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }

    public var description: String {
        switch endpoint {
        case .tcp(let host, let port): return "\(username)@\(host):\(port)/\(database)"
        case .unixSocket(let path): return "\(username)@\(path)/\(database)"
        }
    }

    /// The settings as a URL that `init(url:)` reads back (the password included: not for logs).
    public var url: String {
        func escaped(_ text: String) -> String {
            text.addingPercentEncoding(withAllowedCharacters: .urlUserAllowed.subtracting(CharacterSet(charactersIn: ":@/"))) ?? text
        }
        let credentials = escaped(username) + (password.map { ":" + escaped($0) } ?? "")
        let tls = requireTLS ? "sslmode=require" : "sslmode=disable"
        switch endpoint {
        case .tcp(let host, let port):
            return "postgres://\(credentials)@\(host):\(port)/\(escaped(database))?\(tls)"
        case .unixSocket(let path):
            let directory = (path as NSString).deletingLastPathComponent
            let port = path.split(separator: ".").last.flatMap { Int($0) } ?? 5432
            return "postgres://\(credentials)@/\(escaped(database))?host=\(directory)&port=\(port)"
        }
    }

    /// The same server, another database.
    public func with(database: String) -> DatabaseSettings {
        var copy = self
        copy.database = database
        return copy
    }

    /// The configuration of a `PostgresClient` for these settings.
    public func clientConfiguration() throws -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        switch endpoint {
        case .tcp(let host, let port):
            let tls: PostgresClient.Configuration.TLS = requireTLS ? .require(.makeClientConfiguration()) : .disable
            configuration = .init(host: host, port: port, username: username, password: password, database: database, tls: tls)
        case .unixSocket(let path):
            configuration = .init(unixSocketPath: path, username: username, password: password, database: database)
        }
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }
}
