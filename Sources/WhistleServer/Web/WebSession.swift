import Foundation
import Hummingbird
import Logging
import WhistleCore
import WhistleStore

/// The session cookie and what the pages derive from it.
enum WebSession {
    static let cookieName = "whistle_session"
    /// The pre-session cookie the sign-in form's token is checked against (double submit).
    static let signInCookieName = "whistle_signin"
    /// How long a session lasts after signing in.
    static let lifetime: TimeInterval = 12 * 3600

    /// The CSRF token of the request's session (the middleware has checked the session).
    static func csrf(_ request: Request) -> String {
        SessionStore.csrfToken(forSession: request.cookies[cookieName]?.value ?? "")
    }

    /// Whether the browser reached us over TLS: directly, or through a proxy that says so.
    static func overTLS(_ request: Request) -> Bool {
        if request.uri.scheme == .https { return true }
        let forwarded = request.headers[HTTPFields.Element.Name("X-Forwarded-Proto")!]?.lowercased() ?? ""
        return forwarded.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) == "https" } ?? false
    }

    /// A `Set-Cookie` value: HttpOnly (no script reads it), SameSite=Strict (no other site sends
    /// it), Secure over TLS; `maxAge` 0 deletes it.
    static func cookie(_ name: String, _ value: String, path: String, maxAge: Int, secure: Bool) -> String {
        "\(name)=\(value); Path=\(path); Max-Age=\(maxAge); HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }

    /// The page of the principal's role.
    static func home(_ principal: Principal) -> String {
        let tenant = HTML.urlComponent(principal.tenant)
        switch principal.role {
        case .admin, .office: return "/web/\(tenant)/office"
        case .leader: return "/web/\(tenant)/leader"
        case .handler, .departmentLeader, .scheduler, .reporter: return "/web/\(tenant)/inbox"
        }
    }

    /// An error of a page as an HTML page with the same status the API would answer.
    static func errorResponse(_ error: any Error, principal: Principal?, csrf: String?, context: some RequestContext) -> Response {
        switch error {
        case let problem as Problem:
            return HTML.errorPage(status: problem.status, title: problem.title, detail: problem.detail, principal: principal, csrf: csrf)
        case let error as HTTPError:
            return HTML.errorPage(status: error.status, title: error.status.reasonPhrase, detail: error.body, principal: principal, csrf: csrf)
        case let error as StoreError:
            if case .tenantNotFound(let tenant) = error {
                return HTML.errorPage(status: .notFound, title: "未找到该租户", detail: "没有代码为 '\(tenant)' 的租户。", principal: principal, csrf: csrf)
            }
            context.logger.error("store error on a web page", metadata: ["error": "\(error)"])
        default:
            context.logger.error("error on a web page", metadata: ["error": "\(describeDatabaseError(error))"])
        }
        return HTML.errorPage(status: .internalServerError, title: "服务器内部错误", detail: "请稍后重试。", principal: principal, csrf: csrf)
    }
}
