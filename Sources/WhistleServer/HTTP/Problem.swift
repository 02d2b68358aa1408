import Foundation
import Hummingbird

/// An RFC 9457 problem: every error the API returns is one, as `application/problem+json`.
public struct Problem: HTTPResponseError, Codable, Sendable, Equatable {
    /// One field that was wrong and why.
    public struct FieldError: Codable, Sendable, Equatable {
        public var field: String
        public var reason: String

        public init(field: String, reason: String) {
            self.field = field
            self.reason = reason
        }
    }

    public var type: String
    public var title: String
    public var statusCode: Int
    public var detail: String?
    public var errors: [FieldError]?

    public var status: HTTPResponse.Status { HTTPResponse.Status(code: statusCode) }

    enum CodingKeys: String, CodingKey {
        case type, title, statusCode = "status", detail, errors
    }

    public init(_ status: HTTPResponse.Status, type: String, title: String, detail: String? = nil, errors: [FieldError]? = nil) {
        self.type = type
        self.title = title
        self.statusCode = status.code
        self.detail = detail
        self.errors = errors
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(self)
        var headers: HTTPFields = [.contentType: "application/problem+json; charset=utf-8"]
        if statusCode == 401 { headers[.wwwAuthenticate] = "Bearer realm=\"whistle\"" }
        return Response(
            status: status, headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension Problem {
    static let base = "https://whistle.example/problems/"

    public static func notFound(_ detail: String) -> Problem {
        Problem(.notFound, type: base + "not-found", title: "未找到", detail: detail)
    }

    public static func tenantNotFound(_ tenant: String) -> Problem {
        Problem(.notFound, type: base + "tenant-not-found", title: "未找到该租户", detail: "没有代码为 '\(tenant)' 的租户(区、县、市)。")
    }

    public static func invalidParameter(_ field: String, _ reason: String) -> Problem {
        Problem(
            .badRequest, type: base + "invalid-parameter", title: "请求参数有误", detail: "\(field): \(reason)",
            errors: [FieldError(field: field, reason: reason)])
    }

    /// 401: no credential, or one that is unknown or revoked.
    public static func unauthenticated(_ detail: String) -> Problem {
        Problem(.unauthorized, type: base + "unauthenticated", title: "未登录或令牌无效", detail: detail)
    }

    /// 403: the credential may not do this.
    public static func forbidden(_ detail: String) -> Problem {
        Problem(.forbidden, type: base + "forbidden", title: "无权访问", detail: detail)
    }

    /// The body could not be read as the endpoint's JSON.
    public static func invalidBody(_ detail: String) -> Problem {
        Problem(.badRequest, type: base + "invalid-body", title: "请求体有误", detail: detail)
    }

    /// The body was read but a field's value cannot be used.
    public static func unprocessable(_ field: String, _ reason: String) -> Problem {
        Problem(
            .unprocessableContent, type: base + "invalid-field", title: "请求内容有误", detail: "\(field): \(reason)",
            errors: [FieldError(field: field, reason: reason)])
    }

    /// Several fields that cannot be used, all named.
    public static func invalidFields(_ errors: [FieldError]) -> Problem {
        Problem(
            .unprocessableContent, type: base + "invalid-field", title: "请求内容有误",
            detail: errors.map { "\($0.field): \($0.reason)" }.joined(separator: "; "), errors: errors)
    }

    public static func unavailable(_ detail: String) -> Problem {
        Problem(.serviceUnavailable, type: base + "unavailable", title: "服务暂不可用", detail: detail)
    }

    public static let internalError = Problem(
        .internalServerError, type: base + "internal", title: "服务器内部错误", detail: "请求未能完成,已记录日志;请稍后重试。")
}
