import Foundation
import PostgresNIO
import WhistleCore

extension IssueStore {
    /// A photo of an issue (before) or of a task's rectification (after).
    public struct PhotoRecord: Codable, Sendable, Hashable {
        public var sha256: String
        public var kind: String
        public var task: Int64?
        public var contentType: String
        public var size: Int
        /// Where the daemon serves it.
        public var url: String
    }

    /// A checked image ready to store.
    public struct Photo: Sendable, Hashable {
        public var kind: ImageKind
        public var bytes: [UInt8]
        public var sha256: String

        public init(kind: ImageKind, bytes: [UInt8]) {
            self.kind = kind
            self.bytes = bytes
            sha256 = sha256Hex(bytes)
        }
    }

    /// Stores `photos` (each content once per tenant) and links them to the issue, or to the task
    /// for after-photos, with an event; a photo already linked the same way is not linked twice.
    ///
    /// - Parameter authorize: for after-photos, called with the task's department before anything is written.
    public func addPhotos(
        _ photos: [Photo], issue issueID: Int64?, task taskID: Int64?, tenant: String, now: Date, actor: String,
        authorize: @Sendable (String?) throws -> Void = { _ in }
    ) async throws -> (issue: Int64, photos: [PhotoRecord]) {
        let logger = database.logger
        return try await database.withTenant(tenant) { connection in
            var resolvedIssue = issueID
            if let taskID {
                var department: String?
                for try await (issue, code) in try await connection.query(
                    "SELECT issue_id, department_code FROM tasks WHERE task_id = \(taskID)", logger: logger
                ).decode((Int64, String).self) {
                    resolvedIssue = issue
                    department = code
                }
                guard department != nil else { throw IssueError.taskNotFound(taskID) }
                try authorize(department)
            } else if let issueID {
                var exists = false
                for try await _ in try await connection.query("SELECT 1 FROM issues WHERE issue_id = \(issueID)", logger: logger).decode(Int.self) {
                    exists = true
                }
                guard exists else { throw IssueError.notFound(issueID) }
                try authorize(nil)
            }
            guard let issue = resolvedIssue else { throw IssueError.notFound(0) }
            let kind = taskID == nil ? "before" : "after"
            var records: [PhotoRecord] = []
            for photo in photos {
                try await connection.query(
                    """
                    INSERT INTO photos (tenant_id, sha256, content_type, size, data, stored_at)
                    VALUES (\(tenant), \(photo.sha256), \(photo.kind.contentType), \(photo.bytes.count), \(ByteBuffer(bytes: photo.bytes)), \(now))
                    ON CONFLICT (tenant_id, sha256) DO NOTHING
                    """, logger: logger)
                let linked = try await connection.query(
                    """
                    INSERT INTO evidence (tenant_id, issue_id, task_id, sha256, kind, added_by, added_at)
                    VALUES (\(tenant), \(issue), \(taskID), \(photo.sha256), \(kind), \(actor), \(now))
                    ON CONFLICT DO NOTHING RETURNING 1
                    """, logger: logger)
                var isNew = false
                for try await _ in linked.decode(Int.self) { isNew = true }
                if isNew {
                    try await EventLog.append(
                        tenant: tenant, subject: taskID.map { ("task", String($0)) } ?? ("issue", String(issue)), kind: "photo.added", actor: actor,
                        at: now, details: ["issue": String(issue), "sha256": photo.sha256, "kind": kind, "size": String(photo.bytes.count)],
                        on: connection, logger: logger)
                }
                records.append(
                    PhotoRecord(
                        sha256: photo.sha256, kind: kind, task: taskID, contentType: photo.kind.contentType, size: photo.bytes.count,
                        url: "/v1/tenants/\(tenant)/photos/\(photo.sha256)"))
            }
            return (issue, records)
        }
    }

    /// A stored photo's bytes and type, and the issues it is evidence of.
    public func photo(_ sha256: String, tenant: String) async throws -> (contentType: String, bytes: ByteBuffer, issues: [Int64])? {
        try await database.withTenant(tenant) { connection in
            let rows = try await connection.query(
                """
                SELECT p.content_type, p.data, ARRAY(SELECT DISTINCT e.issue_id FROM evidence e WHERE e.sha256 = p.sha256)
                FROM photos p WHERE p.sha256 = \(sha256)
                """, logger: database.logger)
            for try await (type, data, issues) in rows.decode((String, ByteBuffer, [Int64]).self) { return (type, data, issues) }
            return nil
        }
    }
}
