import Foundation
import Hummingbird
import WhistleCore
import WhistleStore

/// Guards `/web/{tenant}/…`: the session cookie must name a live session of the path's tenant
/// (without one a page redirects to sign-in), every POST must carry the session's CSRF token in
/// its `csrf` field (else a 403 page, before any handler runs), and errors become HTML pages.
/// The session's principal goes into the context, so pages ask `AccessPolicy` exactly as the API does.
struct WebSessionMiddleware: RouterMiddleware {
    typealias Context = WhistleRequestContext
    let sessions: SessionStore
    let credentials: CredentialStore
    let clock: @Sendable () -> Date
    /// The largest body a POST may have (a photo upload).
    let maxBodyBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var request = request
        var context = context
        let sessionID = request.cookies[WebSession.cookieName]?.value
        var session: SessionStore.Session?
        if let sessionID { session = try await sessions.session(sessionID, now: clock()) }
        guard let sessionID, let session else {
            if request.method == .get || request.method == .head {
                return HTML.redirect("/web/signin?next=" + HTML.urlComponent(request.uri.path))
            }
            return HTML.errorPage(status: .forbidden, title: "会话已失效", detail: "请重新登录后再提交。", principal: nil, csrf: nil)
        }
        let principal = session.principal
        let csrf = SessionStore.csrfToken(forSession: sessionID)
        let tenant = context.parameters.get("tenant") ?? ""
        guard principal.tenant == tenant else {
            let known = try await credentials.tenantExists(tenant)
            return HTML.errorPage(
                status: known ? .forbidden : .notFound, title: known ? "无权访问" : "未找到该租户",
                detail: known ? "您登录的是“\(principal.tenant)”,不能访问“\(tenant)”。" : "没有代码为 '\(tenant)' 的租户。", principal: principal, csrf: csrf)
        }
        if request.method == .post {
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: maxBodyBytes)
            } catch {
                return HTML.errorPage(status: .contentTooLarge, title: "提交内容过大", detail: "请减少照片数量或大小后重试。", principal: principal, csrf: csrf)
            }
            let given = WebForm.read(request, body: body)["csrf"] ?? ""
            guard SessionStore.constantTimeEquals(given, csrf) else {
                return HTML.errorPage(
                    status: .forbidden, title: "请求被拒绝", detail: "表单校验失败(缺少或错误的 CSRF 令牌),未做任何更改。请刷新页面后重试。",
                    principal: principal, csrf: csrf)
            }
        }
        context.principal = principal
        do {
            return try await next(request, context)
        } catch {
            return WebSession.errorResponse(error, principal: principal, csrf: csrf, context: context)
        }
    }
}
