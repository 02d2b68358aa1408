import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing
import WhistleCore
import WhistleStore
import WhistleTestSupport
@testable import WhistleServer

@Suite("HTTP API: photos")
struct PhotoAPITests {
    let db: TestDatabase
    let routing: TenantRouting

    init() async throws {
        db = try await TestPostgres.migratedDatabase("photo_api")
        try await db.loadSampleConfiguration()
        routing = TenantRouting(try ConfigDirectory.read(TestPostgres.configDirectory))
    }

    func app() throws -> some ApplicationProtocol {
        try testApplication(db, routing: routing, configure: { context in
            context.maxPhotoBytes = 4096
        })
    }

    func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try responseJSON(buffer)
    }

    static let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0] + Array(repeating: 0x11, count: 300) + [0xFF, 0xD9]
    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 0x22, count: 100)

    func upload(_ files: [[UInt8]], token: String) -> (HTTPFields, ByteBuffer) {
        let body = MultipartBody.make(boundary: "whistle-test", files: files)
        return ([.authorization: "Bearer \(token)", .contentType: "multipart/form-data; boundary=whistle-test"], ByteBuffer(bytes: body))
    }

    @Test("before- and after-photos are checked by content, stored once by hash, linked with events, and served to who may read the issue")
    func photos() async throws {
        let reporter = try await db.token("yongning", .reporter)
        let stranger = try await db.token("yongning", .reporter)
        let housing = try await db.token("yongning", .handler, department: "zjj")
        let police = try await db.token("yongning", .handler, department: "gaj")
        try await app().test(.router) { client in
            var issueID = 0
            var housingTask = 0
            try await client.execute(
                uri: "/v1/tenants/yongning/issues", method: .post, headers: [.authorization: "Bearer \(reporter)"],
                body: ByteBuffer(string: #"{"channel": "inspection", "compound": "yanghe-c1-a", "type": "zl-2", "description": "合同违规"}"#)
            ) { response in
                let body = try json(response.body)
                issueID = try #require(body["id"] as? Int)
                housingTask = try #require((body["tasks"] as? [[String: Any]])?.first { $0["department"] as? String == "zjj" }?["id"] as? Int)
            }
            let (headers, body) = upload([Self.jpeg, Self.png], token: reporter)
            for _ in 0..<2 {
                try await client.execute(uri: "/v1/tenants/yongning/issues/\(issueID)/photos", method: .post, headers: headers, body: body) { response in
                    #expect(response.status == .ok)
                    let items = try #require(try json(response.body)["items"] as? [[String: Any]])
                    #expect(items.compactMap { $0["contentType"] as? String } == ["image/jpeg", "image/png"])
                    #expect(items.allSatisfy { $0["kind"] as? String == "before" })
                }
            }
            #expect(try await db.scalar("SELECT count(*)::int FROM photos", as: Int.self) == 2)
            #expect(try await db.scalar("SELECT count(*)::int FROM evidence", as: Int.self) == 2)
            #expect(try await db.scalar("SELECT count(*)::int FROM events WHERE kind = 'photo.added'", as: Int.self) == 2)
            // After-photos: the task's department only; the same JPEG is linked again but stored once.
            let (policeHeaders, policeBody) = upload([Self.jpeg], token: police)
            try await client.execute(uri: "/v1/tenants/yongning/tasks/\(housingTask)/photos", method: .post, headers: policeHeaders, body: policeBody) {
                #expect($0.status == .forbidden)
            }
            let (housingHeaders, housingBody) = upload([Self.jpeg], token: housing)
            try await client.execute(uri: "/v1/tenants/yongning/tasks/\(housingTask)/photos", method: .post, headers: housingHeaders, body: housingBody) {
                response in
                #expect(response.status == .ok)
                let items = try json(response.body)["items"] as? [[String: Any]]
                #expect(items?.first?["kind"] as? String == "after")
            }
            #expect(try await db.scalar("SELECT count(*)::int FROM photos", as: Int.self) == 2)
            try await client.execute(uri: "/v1/tenants/yongning/issues/\(issueID)", method: .get, headers: [.authorization: "Bearer \(reporter)"]) { response in
                let photos = try #require(try json(response.body)["photos"] as? [[String: Any]])
                #expect(photos.compactMap { $0["kind"] as? String } == ["before", "before", "after"])
            }
            let sha = Self.sha(Self.jpeg)
            try await client.execute(uri: "/v1/tenants/yongning/photos/\(sha)", method: .get, headers: [.authorization: "Bearer \(housing)"]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "image/jpeg")
                #expect(Array(response.body.readableBytesView) == Self.jpeg)
            }
            try await client.execute(uri: "/v1/tenants/yongning/photos/\(sha)", method: .get, headers: [.authorization: "Bearer \(stranger)"]) {
                #expect($0.status == .forbidden)
            }
        }
    }

    @Test("not an image, too large, not multipart: a 4xx problem naming the photo, and nothing stored")
    func refusals() async throws {
        let office = try await db.token("yongning", .office)
        try await app().test(.router) { client in
            var issueID = 0
            try await client.execute(
                uri: "/v1/tenants/yongning/issues", method: .post, headers: [.authorization: "Bearer \(office)"],
                body: ByteBuffer(string: #"{"channel": "inspection", "compound": "yanghe-c1-a", "description": "x"}"#)
            ) { issueID = try #require(try json($0.body)["id"] as? Int) }
            let cases: [([[UInt8]], HTTPResponse.Status)] = [
                ([Self.jpeg, Array("<html>not a photo</html>".utf8)], .unsupportedMediaType),
                ([[0xFF, 0xD8, 0xFF] + Array(repeating: 0, count: 5000)], .contentTooLarge),
                ([Self.png, Self.png, Self.png, Self.png, Self.png, Self.png], .unprocessableContent),
            ]
            for (files, status) in cases {
                let (headers, body) = upload(files, token: office)
                try await client.execute(uri: "/v1/tenants/yongning/issues/\(issueID)/photos", method: .post, headers: headers, body: body) { response in
                    #expect(response.status == status)
                    #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
                    if status == .unsupportedMediaType {
                        let errors = try json(response.body)["errors"] as? [[String: Any]]
                        #expect(errors?.first?["field"] as? String == "photo[2]")
                    }
                }
            }
            try await client.execute(
                uri: "/v1/tenants/yongning/issues/\(issueID)/photos", method: .post,
                headers: [.authorization: "Bearer \(office)", .contentType: "image/jpeg"], body: ByteBuffer(bytes: Self.jpeg)
            ) { #expect($0.status == .unsupportedMediaType) }
            try await client.execute(uri: "/v1/tenants/yongning/photos/nothex", method: .get, headers: [.authorization: "Bearer \(office)"]) {
                #expect($0.status == .badRequest)
            }
        }
        #expect(try await db.scalar("SELECT count(*)::int FROM photos", as: Int.self) == 0)
    }

    static func sha(_ bytes: [UInt8]) -> String { IssueStore.Photo(kind: .jpeg, bytes: bytes).sha256 }
}

/// A multipart body of `photo` files, as a phone sends it.
enum MultipartBody {
    static func make(boundary: String, files: [[UInt8]]) -> [UInt8] {
        var body: [UInt8] = []
        for (index, file) in files.enumerated() {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"p\(index).jpg\"\r\nContent-Type: image/jpeg\r\n\r\n".utf8)
            body += file + Array("\r\n".utf8)
        }
        return body + Array("--\(boundary)--\r\n".utf8)
    }
}
