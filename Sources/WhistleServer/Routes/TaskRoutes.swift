import Foundation
import Hummingbird
import WhistleCore
import WhistleStore

/// The task lifecycle under `/v1/tenants/{tenant}/tasks/{id}/{action}`, the return visit of an
/// issue, and the liability-list gaps that upheld disputes recorded.
struct TaskRoutes: Sendable {
    let routing: TenantRouting
    let store: IssueStore
    let clock: @Sendable () -> Date

    struct ActionRequest: Decodable {
        var reason: String?
        var measures: String?
        var until: String?
        var reassignTo: String?
        var note: String?
        var rowVersion: Int?
    }

    struct ReturnVisitRequest: Decodable {
        var satisfaction: String?
        var note: String?
    }

    struct Inbox: ResponseEncodable {
        var items: [IssueStore.InboxItem]
        var count: Int
        /// Pass as `after` for the next page; absent on the last page.
        var next: String?
    }

    struct Gaps: ResponseEncodable {
        var items: [IssueStore.GapRecord]
        var count: Int
    }

    /// 满意 · 基本满意 · 不满意, as the visit ledger of seed 000 records them.
    static let satisfaction: [String: String] = [
        "satisfied": "satisfied", "满意": "satisfied", "basicallySatisfied": "basicallySatisfied", "基本满意": "basicallySatisfied",
        "dissatisfied": "dissatisfied", "不满意": "dissatisfied",
    ]

    func add(to tenants: RouterGroup<WhistleRequestContext>) {
        tenants.post("tasks/:id/:action") { request, context -> IssueRecord in
            let principal = try context.caller()
            let (tenant, routing) = try self.routing.tenant(context)
            let id = try Self.id(context)
            let name = context.parameters.get("action") ?? ""
            guard let action = TaskAction(rawValue: name) else {
                throw Problem.notFound("没有“\(name)”这个操作;可用:\(TaskAction.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let body = try await RequestBody.decode(ActionRequest.self, request, context)
            let until = try RequestBody.moment(body.until, field: "until", zone: routing.timeZone)
            let input = IssueStore.ActionInput(
                reason: body.reason, measures: body.measures, until: until, reassignTo: body.reassignTo, note: body.note, rowVersion: body.rowVersion)
            return try await IssueRoutes.mapping {
                try await store.act(
                    action, task: id, input: input, tenant: tenant, routing: routing, now: clock(), actor: principal.actor,
                    unmasked: AccessPolicy.allows(principal, .seePersonalData)
                ) { department in
                    guard AccessPolicy.allows(principal, .task(action, department: department)) else {
                        throw Problem.forbidden("角色“\(principal.role.chineseName)”\(principal.department.map { "(\($0))" } ?? "")不能对部门“\(department)”的任务执行“\(action.chineseName)”。")
                    }
                }
            }
        }
        tenants.post("issues/:id/return-visit") { request, context -> IssueRecord in
            let principal = try context.require(.returnVisit)
            let (tenant, routing) = try self.routing.tenant(context)
            let id = try IssueRoutes.id(context)
            let body = try await RequestBody.decode(ReturnVisitRequest.self, request, context)
            guard let given = body.satisfaction, let satisfaction = Self.satisfaction[given] else {
                throw Problem.unprocessable("satisfaction", "须为 满意、基本满意 或 不满意")
            }
            return try await IssueRoutes.mapping {
                try await store.returnVisit(
                    id, satisfaction: satisfaction, note: body.note, tenant: tenant, routing: routing, now: clock(), actor: principal.actor,
                    unmasked: AccessPolicy.allows(principal, .seePersonalData))
            }
        }
        tenants.get("tasks") { request, context -> Inbox in
            let principal = try context.caller()
            let (tenant, routing) = try self.routing.tenant(context)
            let parameters = request.uri.queryParameters
            var query = IssueStore.InboxQuery()
            // A department's people see their own inbox without naming it.
            query.department = try DirectoryRoutes.codeParameter(request, "department") ?? (principal.role.isDepartmentRole ? principal.department : nil)
            _ = try context.require(.readInbox(department: query.department))
            if let state = parameters.get("state") {
                guard let value = TaskState(rawValue: state) else {
                    throw Problem.invalidParameter("state", "'\(state)' 不是任务状态,可选:\(TaskState.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                query.state = value
            }
            if let overdue = parameters.get("overdue") {
                guard ["true", "false"].contains(overdue) else { throw Problem.invalidParameter("overdue", "须为 true 或 false") }
                query.overdue = overdue == "true"
            }
            if let text = parameters.get("dueBefore") {
                guard let moment = ISOMoment.parse(text, in: routing.timeZone) else {
                    throw Problem.invalidParameter("dueBefore", "'\(text)' 不是 ISO 8601 时间")
                }
                query.dueBefore = moment
            }
            query.territory = try DirectoryRoutes.codeParameter(request, "territory")
            query.type = try DirectoryRoutes.codeParameter(request, "type")
            if let limit = parameters.get("limit") {
                guard let value = Int(limit), (1...200).contains(value) else { throw Problem.invalidParameter("limit", "取值范围为 1–200") }
                query.limit = value
            }
            if let after = parameters.get("after") {
                guard let cursor = IssueStore.InboxCursor(token: after) else { throw Problem.invalidParameter("after", "翻页标记无效") }
                query.after = cursor
            }
            let (items, next) = try await store.inbox(query, tenant: tenant, zone: routing.timeZone, now: clock())
            return Inbox(items: items, count: items.count, next: next?.token)
        }
        tenants.get("gaps") { _, context -> Gaps in
            _ = try context.require(.readGaps)
            let (tenant, routing) = try self.routing.tenant(context)
            let gaps = try await store.gaps(tenant: tenant, zone: routing.timeZone)
            return Gaps(items: gaps, count: gaps.count)
        }
    }

    static func id(_ context: some RequestContext) throws -> Int64 {
        let text = context.parameters.get("id") ?? ""
        guard let id = Int64(text), id > 0 else { throw Problem.invalidParameter("id", "'\(text)' 不是有效的任务编号") }
        return id
    }
}
