import Hummingbird
import WhistleStore

extension TenantRouting {
    /// The tenant of the request's `:tenant` parameter, or a 404 problem.
    func tenant(_ context: some RequestContext) throws -> (code: String, tenant: Tenant) {
        let code = try DirectoryRoutes.tenant(context)
        guard let tenant = tenants[code] else { throw Problem.tenantNotFound(code) }
        return (code, tenant)
    }
}
