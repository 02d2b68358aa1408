import Foundation
import Hummingbird
import WhistleCore

/// Reading request bodies and fields the same way on every route.
enum RequestBody {
    /// The request's JSON body (at most 64 KiB) as `T`, or a 400 problem saying what was wrong.
    static func decode<T: Decodable>(_ type: T.Type, _ request: Request, _ context: some RequestContext) async throws -> T {
        try decode(T.self, from: try await request.body.collect(upTo: 64 * 1024))
    }

    /// Decodes a JSON body, answering 400 with what was wrong.
    static func decode<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws -> T {
        // An action without parameters may come without a body.
        let data = buffer.readableBytes == 0 ? Data("{}".utf8) : Data(buffer: buffer)
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw Problem.invalidBody("请求体不是有效的 JSON 对象:\(Self.describe(error))")
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            return "\(field.isEmpty ? "body" : field) 类型不对"
        case DecodingError.dataCorrupted(let context):
            return context.debugDescription
        default:
            return "\(error)"
        }
    }

    /// An optional ISO 8601 field, or a 422 problem naming it.
    static func moment(_ text: String?, field: String, zone: TimeZone) throws -> Date? {
        guard let text else { return nil }
        guard let moment = ISOMoment.parse(text, in: zone) else {
            throw Problem.unprocessable(field, "'\(text)' 不是 ISO 8601 时间(例如 2026-09-30T17:30:00+08:00)")
        }
        return moment
    }

    /// The `{id}` of the path: a positive integer, or a 400 problem naming it.
    static func pathID(_ context: some RequestContext) throws -> Int64 {
        let text = context.parameters.get("id") ?? ""
        guard let id = Int64(text), id > 0 else { throw Problem.invalidParameter("id", "'\(text)' 不是有效的编号") }
        return id
    }
}
