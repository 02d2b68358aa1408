import Foundation
import Hummingbird
import WhistleCore
import WhistleStore

/// The escalation ladder's side of the API: the rungs that fired, the talks the office arranges,
/// the notices the group leader decides, the month's deductions and the notification outbox.
struct EscalationRoutes: Sendable {
    let routing: TenantRouting
    let store: EscalationStore
    let clock: @Sendable () -> Date

    struct Escalations: ResponseEncodable {
        var items: [EscalationRecord]
        var count: Int
    }

    struct Deductions: ResponseEncodable {
        var month: String
        var departments: [DepartmentDeductions]
    }

    struct Notifications: ResponseEncodable {
        var items: [OutboxRecord]
        var count: Int
    }

    struct TalkRequest: Decodable {
        var time: String?
        var place: String?
        var manner: String?
        var host: String?
        var rowVersion: Int?
    }

    struct OutcomeRequest: Decodable {
        var promisedBy: String?
        var note: String?
        var rowVersion: Int?
    }

    struct DecisionRequest: Decodable {
        var reason: String?
        var rowVersion: Int?
    }

    static let states: Set<String> = ["issued", "awaitingSchedule", "scheduled", "held", "draft", "approved", "rejected"]

    func add(to tenants: RouterGroup<WhistleRequestContext>) {
        tenants.get("escalations") { request, context -> Escalations in
            let principal = try context.caller()
            let (tenant, routing) = try self.routing.tenant(context)
            let query = request.uri.queryParameters
            var filter = EscalationStore.Filter()
            if let state = query["state"].map(String.init) {
                guard Self.states.contains(state) else {
                    throw Problem.invalidParameter("state", "可选值:\(Self.states.sorted().joined(separator: ", "))")
                }
                filter.state = state
            }
            if let task = query["task"].map(String.init) {
                guard let id = Int64(task), id > 0 else { throw Problem.invalidParameter("task", "'\(task)' 不是有效的任务编号") }
                filter.task = id
            }
            filter.department = query["department"].map(String.init) ?? (principal.role.isDepartmentRole ? principal.department : nil)
            filter.attention = query["attention"].map { $0 == "true" || $0 == "1" } ?? false
            guard AccessPolicy.allows(principal, .readEscalations(department: filter.department)) else {
                throw Problem.forbidden("角色“\(principal.role.chineseName)”只能查看本部门的督办记录。")
            }
            let items = try await Self.mapping { try await store.list(filter, tenant: tenant, zone: routing.timeZone) }
            return Escalations(items: items, count: items.count)
        }
        tenants.get("escalations/:id") { _, context -> EscalationRecord in
            let principal = try context.caller()
            let (tenant, routing) = try self.routing.tenant(context)
            let id = try Self.id(context)
            let record = try await Self.mapping { try await store.escalation(id, tenant: tenant, zone: routing.timeZone) }
            guard AccessPolicy.allows(principal, .readEscalations(department: record.department)) else {
                throw Problem.forbidden("角色“\(principal.role.chineseName)”只能查看本部门的督办记录。")
            }
            return record
        }
        tenants.post("escalations/:id/schedule-talk") { request, context -> EscalationRecord in
            let principal = try context.require(.arrangeTalk)
            let (tenant, routing) = try self.routing.tenant(context)
            let id = try Self.id(context)
            let body = try await RequestBody.decode(TalkRequest.self, request, context)
            var problems: [Problem.FieldError] = []
            if body.time == nil { problems.append(.init(field: "time", reason: "须给出约谈时间")) }
            let place = body.place?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            if place.isEmpty { problems.append(.init(field: "place", reason: "须给出约谈地点")) }
            guard problems.isEmpty else { throw Problem.invalidFields(problems) }
            let time = try RequestBody.moment(body.time, field: "time", zone: routing.timeZone)!
            var arrangement = TalkArrangement(time: time, place: place)
            if let manner = body.manner, !manner.isEmpty { arrangement.manner = manner }
            if let host = body.host, !host.isEmpty { arrangement.host = host }
            return try await Self.mapping {
                try await store.scheduleTalk(
                    id, arrangement: arrangement, expectedVersion: body.rowVersion, tenant: tenant, routing: routing, now: clock(),
                    actor: principal.actor)
            }
        }
        tenants.post("escalations/:id/talk-outcome") { request, context -> EscalationRecord in
            let principal = try context.require(.arrangeTalk)
            let (tenant, routing) = try self.routing.tenant(context)
            let id = try Self.id(context)
            let body = try await RequestBody.decode(OutcomeRequest.self, request, context)
            guard let promisedBy = try RequestBody.moment(body.promisedBy, field: "promisedBy", zone: routing.timeZone) else {
                throw Problem.unprocessable("promisedBy", "须给出约谈中承诺的办结时间")
            }
            return try await Self.mapping {
                try await store.recordTalkOutcome(
                    id, promisedBy: promisedBy, note: body.note, expectedVersion: body.rowVersion, tenant: tenant, routing: routing, now: clock(),
                    actor: principal.actor)
            }
        }
        for (path, approve) in [("approve", true), ("reject", false)] {
            tenants.post("escalations/:id/\(path)") { request, context -> EscalationRecord in
                let principal = try context.require(.decideNotice)
                let (tenant, routing) = try self.routing.tenant(context)
                let id = try Self.id(context)
                let body = try await RequestBody.decode(DecisionRequest.self, request, context)
                return try await Self.mapping {
                    try await store.decideNotice(
                        id, approve: approve, reason: body.reason, expectedVersion: body.rowVersion, tenant: tenant, routing: routing, now: clock(),
                        actor: principal.actor)
                }
            }
        }
        tenants.get("deductions") { request, context -> Deductions in
            let principal = try context.caller()
            let (tenant, routing) = try self.routing.tenant(context)
            let department = principal.role.isDepartmentRole ? principal.department : nil
            guard AccessPolicy.allows(principal, .readEscalations(department: department)) else {
                throw Problem.forbidden("角色“\(principal.role.chineseName)”无权查看考评扣分。")
            }
            let month = request.uri.queryParameters["month"].map(String.init) ?? CivilDate(clock(), in: routing.timeZone).monthKey
            var departments = try await Self.mapping { try await store.deductions(month: month, tenant: tenant, zone: routing.timeZone) }
            if let department { departments = departments.filter { $0.department == department } }
            for index in departments.indices {
                departments[index].departmentName = routing.departmentNames[departments[index].department] ?? departments[index].department
            }
            return Deductions(month: month, departments: departments)
        }
        tenants.get("notifications") { request, context -> Notifications in
            _ = try context.require(.manageNotifications)
            let (tenant, _) = try self.routing.tenant(context)
            let state = request.uri.queryParameters["state"].map(String.init)
            if let state, !["pending", "sending", "delivered", "dead"].contains(state) {
                throw Problem.invalidParameter("state", "可选值:pending, sending, delivered, dead")
            }
            var items = try await Self.mapping { try await store.notifications(state: state, tenant: tenant) }
            for index in items.indices { items[index] = Self.masked(items[index]) }
            return Notifications(items: items, count: items.count)
        }
        tenants.post("notifications/:id/retry") { _, context -> OutboxRecord in
            let principal = try context.require(.manageNotifications)
            let (tenant, _) = try self.routing.tenant(context)
            let id = try Self.id(context)
            return Self.masked(try await Self.mapping { try await store.retryNotification(id, tenant: tenant, now: clock(), actor: principal.actor) })
        }
    }

    /// A robot's address carries its access token or key: answers show where, not the key.
    static func masked(_ record: OutboxRecord) -> OutboxRecord {
        var record = record
        if let query = record.endpoint.firstIndex(of: "?") { record.endpoint = record.endpoint[..<query] + "?…" }
        return record
    }

    static func id(_ context: some RequestContext) throws -> Int64 {
        let text = context.parameters.get("id") ?? ""
        guard let id = Int64(text), id > 0 else { throw Problem.invalidParameter("id", "'\(text)' 不是有效的编号") }
        return id
    }

    static func mapping<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as EscalationError {
            switch error {
            case .notFound(let id):
                throw Problem.notFound("没有编号为 \(id) 的督办记录。")
            case .notificationNotFound(let id):
                throw Problem.notFound("没有编号为 \(id) 的通知。")
            case .invalid(let problems):
                throw Problem.invalidFields(problems.map { Problem.FieldError(field: $0.field, reason: $0.reason) })
            case .notAllowed(let state, let step, let allowed):
                throw Problem(
                    .conflict, type: Problem.base + "not-allowed-now", title: "当前状态不允许该操作",
                    detail: "当前状态为“\(state)”，不能执行“\(step)”；可执行：\(allowed.isEmpty ? "无" : allowed.joined(separator: "、"))。")
            }
        }
    }
}

extension EscalationRecord: ResponseEncodable {}
extension OutboxRecord: ResponseEncodable {}
