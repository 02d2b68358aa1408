import Hummingbird
import WhistleCore

/// The request context of the API: Hummingbird's core storage and the caller, once authenticated.
public struct WhistleRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `AuthMiddleware` on every `/v1/tenants/{tenant}` route.
    public var principal: Principal?

    public init(source: Source) {
        coreContext = .init(source: source)
        principal = nil
    }

    /// The authenticated caller; routes behind `AuthMiddleware` always have one.
    func caller() throws -> Principal {
        guard let principal else { throw Problem.unauthenticated("缺少访问令牌。") }
        return principal
    }

    /// Refuses with 403 unless the role matrix allows `operation`.
    func require(_ operation: AccessPolicy.Operation) throws -> Principal {
        let principal = try caller()
        guard AccessPolicy.allows(principal, operation) else {
            throw Problem.forbidden("角色“\(principal.role.chineseName)”\(principal.department.map { "(\($0))" } ?? "")无权执行此操作。")
        }
        return principal
    }
}
