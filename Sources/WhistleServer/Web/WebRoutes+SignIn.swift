import Foundation
import Hummingbird
import WhistleCore
import WhistleStore

extension WebRoutes {
    /// `/web/signin` (GET the form, POST a token), `/web/signout`, and `/web` itself.
    func addSignIn(to router: Router<WhistleRequestContext>) {
        router.get("/web") { _, _ -> Response in HTML.redirect("/web/signin") }
        router.get("/web/signin") { request, _ -> Response in
            signInPage(request, error: nil, status: .ok)
        }
        router.post("/web/signin") { request, context -> Response in
            do {
                let body = try await request.body.collect(upTo: WebForm.maxFormBytes)
                let form = WebForm.read(request, body: body)
                // Login CSRF: the form must come from our own sign-in page (double-submit cookie).
                let expected = request.cookies[WebSession.signInCookieName]?.value ?? ""
                guard !expected.isEmpty, SessionStore.constantTimeEquals(form["csrf"] ?? "", expected) else {
                    return HTML.errorPage(status: .forbidden, title: "请求被拒绝", detail: "登录表单已失效,请刷新登录页后重试。", principal: nil, csrf: nil)
                }
                guard let token = form.text("token"), let principal = try await credentials.authenticate(token) else {
                    return signInPage(request, error: "令牌无效或已吊销,请检查后重试。", status: .unauthorized)
                }
                let (id, _) = try await sessions.create(for: principal, now: clock(), lifetime: WebSession.lifetime)
                let secure = WebSession.overTLS(request)
                var headers = HTTPFields()
                headers.append(HTTPFields.Element(
                    name: .setCookie, value: WebSession.cookie(WebSession.cookieName, id, path: "/web", maxAge: Int(WebSession.lifetime), secure: secure)))
                headers.append(HTTPFields.Element(
                    name: .setCookie, value: WebSession.cookie(WebSession.signInCookieName, "", path: "/web/signin", maxAge: 0, secure: secure)))
                var next = WebSession.home(principal)
                if let wanted = form["next"], wanted.hasPrefix("/web/\(principal.tenant)/"), Self.isLocalPage(wanted) { next = wanted }
                return HTML.redirect(next, headers: headers)
            } catch {
                return WebSession.errorResponse(error, principal: nil, csrf: nil, context: context)
            }
        }
        router.post("/web/signout") { request, context -> Response in
            do {
                let secure = WebSession.overTLS(request)
                var headers = HTTPFields()
                headers.append(HTTPFields.Element(name: .setCookie, value: WebSession.cookie(WebSession.cookieName, "", path: "/web", maxAge: 0, secure: secure)))
                guard let id = request.cookies[WebSession.cookieName]?.value,
                    let session = try await sessions.session(id, now: clock())
                else {
                    return HTML.redirect("/web/signin", headers: headers)
                }
                let body = try await request.body.collect(upTo: WebForm.maxFormBytes)
                guard SessionStore.constantTimeEquals(WebForm.read(request, body: body)["csrf"] ?? "", SessionStore.csrfToken(forSession: id)) else {
                    return HTML.errorPage(
                        status: .forbidden, title: "请求被拒绝", detail: "表单校验失败(缺少或错误的 CSRF 令牌),未做任何更改。", principal: session.principal,
                        csrf: SessionStore.csrfToken(forSession: id))
                }
                try await sessions.end(id, tenant: session.principal.tenant)
                return HTML.redirect("/web/signin?done=" + HTML.urlComponent("已退出登录"), headers: headers)
            } catch {
                return WebSession.errorResponse(error, principal: nil, csrf: nil, context: context)
            }
        }
    }

    /// The sign-in form, with a fresh double-submit value in a cookie and a hidden field.
    func signInPage(_ request: Request, error: String?, status: HTTPResponse.Status) -> Response {
        let value = SessionStore.csrfToken(forSession: UUID().uuidString + UUID().uuidString)
        let next = request.uri.queryParameters["next"].map(String.init) ?? ""
        let body = """
            \(Self.notice(request))\(error.map { #"<p class="error" id="error">\#(HTML.escape($0))</p>"# } ?? "")
            <section><form method="post" action="/web/signin" class="action">
            \(HTML.csrfField(value))<input type="hidden" name="next" value="\(HTML.escape(next))">
            <label for="token">访问令牌</label>
            <input type="password" id="token" name="token" autocomplete="off" placeholder="wh_…" required>
            <button type="submit" id="signin">登录</button></form>
            <p class="muted">令牌由管理员用 <code>whistle tokens create</code> 生成。</p></section>
            """
        var headers = HTTPFields()
        headers.append(HTTPFields.Element(
            name: .setCookie, value: WebSession.cookie(WebSession.signInCookieName, value, path: "/web/signin", maxAge: 3600, secure: WebSession.overTLS(request))))
        return HTML.response(HTML.page(title: "登录", principal: nil, csrf: nil, body: body), status: status, headers: headers)
    }
}
