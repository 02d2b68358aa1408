import Hummingbird
import WhistleCore
import WhistleStore

/// Authenticates `Authorization: Bearer <token>` and binds the caller to the tenant of the path:
/// no token or an unknown one is 401, another tenant's credential is 403. Calendar feeds (`.ics`)
/// also take the token as `?token=`, since calendar applications subscribe by URL alone.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = WhistleRequestContext
    let credentials: CredentialStore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let token: String
        if let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") {
            token = String(header.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
        } else if request.uri.path.hasSuffix(".ics"), let query = request.uri.queryParameters["token"], !query.isEmpty {
            token = String(query)
        } else {
            throw Problem.unauthenticated("请在 Authorization 头中提供访问令牌(Bearer)。")
        }
        guard let principal = try await credentials.authenticate(token) else {
            throw Problem.unauthenticated("访问令牌无效或已吊销。")
        }
        let tenant = context.parameters.get("tenant") ?? ""
        if principal.tenant != tenant, !(try await credentials.tenantExists(tenant)) {
            throw Problem.tenantNotFound(tenant)
        }
        guard principal.tenant == tenant else {
            throw Problem.forbidden("该令牌属于租户“\(principal.tenant)”,不能访问“\(tenant)”。")
        }
        var context = context
        context.principal = principal
        return try await next(request, context)
    }
}
