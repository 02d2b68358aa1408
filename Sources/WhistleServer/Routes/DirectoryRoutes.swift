import Hummingbird
import WhistleCore
import WhistleStore

/// Read-only directory endpoints under `/v1/tenants/{tenant}`.
struct DirectoryRoutes: Sendable {
    let store: DirectoryStore

    struct Page<Item: Codable & Sendable>: ResponseEncodable {
        var items: [Item]
        var count: Int

        init(_ items: [Item]) {
            self.items = items
            self.count = items.count
        }
    }

    func add(to tenants: RouterGroup<WhistleRequestContext>) {
        tenants.get { _, context -> DirectoryRecords.TenantRecord in
            try await store.tenant(try Self.tenant(context))
        }
        tenants.get("territories") { _, context in
            Page(try await store.territories(try Self.tenant(context)))
        }
        tenants.get("compounds") { request, context in
            let territory = try Self.codeParameter(request, "territory")
            let community = try Self.codeParameter(request, "community")
            return Page(try await store.compounds(try Self.tenant(context), territory: territory, community: community))
        }
        tenants.get("compounds/:code") { _, context -> DirectoryRecords.CompoundRecord in
            let code = try Self.code(context)
            guard let compound = try await store.compounds(try Self.tenant(context), code: code).first else {
                throw Problem.notFound("没有代码为 '\(code)' 的小区。")
            }
            return compound
        }
        tenants.get("departments") { request, context in
            let kind = request.uri.queryParameters.get("kind")
            if let kind, Department.Kind(rawValue: kind) == nil {
                throw Problem.invalidParameter(
                    "kind", "'\(kind)' 不是有效的部门类型,可选:\(Department.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return Page(try await store.departments(try Self.tenant(context), kind: kind))
        }
        tenants.get("departments/:code") { _, context -> DirectoryRecords.DepartmentRecord in
            let code = try Self.code(context)
            guard let department = try await store.departments(try Self.tenant(context), code: code).first else {
                throw Problem.notFound("没有代码为 '\(code)' 的部门。")
            }
            return department
        }
    }

    static func tenant(_ context: some RequestContext) throws -> String {
        let tenant = context.parameters.get("tenant") ?? ""
        guard Directory.isValidCode(tenant) else { throw Problem.tenantNotFound(tenant) }
        return tenant
    }

    static func code(_ context: some RequestContext) throws -> String {
        let code = context.parameters.get("code") ?? ""
        guard Directory.isValidCode(code) else { throw Problem.invalidParameter("code", "'\(code)' 不是有效的代码") }
        return code
    }

    static func codeParameter(_ request: Request, _ name: String) throws -> String? {
        guard let value = request.uri.queryParameters.get(name) else { return nil }
        guard Directory.isValidCode(value) else { throw Problem.invalidParameter(name, "'\(value)' 不是有效的代码") }
        return value
    }
}

extension DirectoryRecords.TenantRecord: ResponseEncodable {}
extension DirectoryRecords.CompoundRecord: ResponseEncodable {}
extension DirectoryRecords.DepartmentRecord: ResponseEncodable {}
