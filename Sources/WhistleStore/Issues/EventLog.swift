import Foundation
import Logging
import PostgresNIO

/// Appends to the `events` trail in the caller's transaction.
enum EventLog {
    /// One event; `details` is a flat map written as a JSON object.
    static func append(
        tenant: String, subject: (kind: String, id: String), kind: String, actor: String, at: Date, details: [String: String] = [:],
        on connection: PostgresConnection, logger: Logger
    ) async throws {
        let json = String(decoding: (try? JSONEncoder.sorted.encode(details)) ?? Data("{}".utf8), as: UTF8.self)
        try await connection.query(
            """
            INSERT INTO events (tenant_id, subject_kind, subject_id, kind, actor, occurred_at, details)
            VALUES (\(tenant), \(subject.kind), \(subject.id), \(kind), \(actor), \(at), \(json)::jsonb)
            """, logger: logger)
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
