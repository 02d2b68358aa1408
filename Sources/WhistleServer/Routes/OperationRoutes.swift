import Foundation
import Hummingbird
import WhistleCore
import WhistleStore

/// Joint operations (联合整治) under `/v1/tenants/{tenant}/operations`: scheduling with clash
/// checks, the participants' confirmations, cancellation and the outcomes per issue.
struct OperationRoutes: Sendable {
    let routing: TenantRouting
    let store: OperationStore
    let clock: @Sendable () -> Date

    struct ScheduleRequest: Decodable {
        var title: String?
        var purpose: String?
        var place: String?
        var compounds: [String]?
        var issues: [Int64]?
        var lead: String?
        var participants: [String]?
        var startsAt: String?
        var endsAt: String?
        var confirmDue: String?
    }

    struct ConfirmRequest: Decodable {
        /// Only for an admin, who confirms on a department's behalf.
        var department: String?
    }

    struct CancelRequest: Decodable {
        var reason: String?
    }

    struct OutcomesRequest: Decodable {
        struct Item: Decodable {
            var issue: Int64?
            var outcome: String?
            var note: String?
            var department: String?
        }

        var outcomes: [Item]?
    }

    struct Operations: ResponseEncodable {
        var items: [OperationRecord]
        var count: Int
    }

    func add(to tenants: RouterGroup<WhistleRequestContext>) {
        tenants.post("operations") { request, context -> Response in
            let principal = try context.caller()
            let (tenant, routing) = try self.routing.tenant(context)
            let body = try await RequestBody.decode(ScheduleRequest.self, request, context)
            let zone = routing.timeZone
            var problems: [Problem.FieldError] = []
            func required<T>(_ value: T?, _ field: String) -> T? {
                if value == nil { problems.append(.init(field: field, reason: "必填")) }
                return value
            }
            let title = required(body.title, "title")
            let purpose = required(body.purpose, "purpose")
            let compounds = required(body.compounds, "compounds")
            let participants = required(body.participants, "participants")
            let startText = required(body.startsAt, "startsAt")
            let endText = required(body.endsAt, "endsAt")
            let lead = body.lead ?? (principal.role.isDepartmentRole ? principal.department : nil)
            if lead == nil { problems.append(.init(field: "lead", reason: "必填")) }
            guard problems.isEmpty, let title, let purpose, let compounds, let participants, let startText, let endText, let lead else {
                throw Problem.invalidFields(problems)
            }
            guard AccessPolicy.allows(principal, .scheduleOperation(lead: lead)) else {
                throw Problem.forbidden("只有专班办公室或牵头单位可以安排联合整治。")
            }
            let plan = OperationPlan(
                title: title, purpose: purpose, place: body.place, compounds: compounds, issues: body.issues ?? [], lead: lead,
                participants: participants, startsAt: try RequestBody.moment(startText, field: "startsAt", zone: zone)!,
                endsAt: try RequestBody.moment(endText, field: "endsAt", zone: zone)!,
                confirmDue: try RequestBody.moment(body.confirmDue, field: "confirmDue", zone: zone))
            let record = try await Self.mapping {
                try await store.schedule(
                    plan, tenant: tenant, routing: routing, now: clock(), actor: principal.actor,
                    confirmedBy: principal.department == lead ? lead : nil)
            }
            var response = try context.responseEncoder.encode(record, from: request, context: context)
            response.status = .created
            response.headers[.location] = "/v1/tenants/\(tenant)/operations/\(record.id)"
            return response
        }
        tenants.get("operations") { request, context -> Operations in
            let principal = try context.caller()
            let (tenant, routing) = try self.routing.tenant(context)
            let query = request.uri.queryParameters
            let department = query["department"].map(String.init) ?? (principal.role.isDepartmentRole ? principal.department : nil)
            guard AccessPolicy.allows(principal, .readOperations(department: department)) else {
                throw Problem.forbidden("角色“\(principal.role.chineseName)”只能查看本单位参加的联合整治。")
            }
            let state = query["state"].map(String.init)
            if let state, !["scheduled", "held", "cancelled"].contains(state) {
                throw Problem.invalidParameter("state", "可选值:scheduled, held, cancelled")
            }
            let from = try RequestBody.moment(query["from"].map(String.init), field: "from", zone: routing.timeZone)
            let to = try RequestBody.moment(query["to"].map(String.init), field: "to", zone: routing.timeZone)
            let items = try await Self.mapping {
                try await store.list(tenant: tenant, routing: routing, department: department, state: state, from: from, to: to)
            }
            return Operations(items: items, count: items.count)
        }
        tenants.get("operations/:id") { _, context -> OperationRecord in
            let principal = try context.caller()
            let (tenant, routing) = try self.routing.tenant(context)
            let record = try await Self.mapping { try await store.operation(try RequestBody.pathID(context), tenant: tenant, routing: routing) }
            try Self.mayRead(principal, record)
            return record
        }
        tenants.post("operations/:id/confirm") { request, context -> OperationRecord in
            let principal = try context.caller()
            let (tenant, routing) = try self.routing.tenant(context)
            let body = try await RequestBody.decode(ConfirmRequest.self, request, context)
            guard let department = principal.role == .admin ? body.department : principal.department else {
                throw Problem.unprocessable("department", principal.role == .admin ? "须指定代为报到的单位" : "只有参加单位可以报到")
            }
            _ = try context.require(.confirmOperation(department: department))
            return try await Self.mapping {
                try await store.confirm(try RequestBody.pathID(context), department: department, tenant: tenant, routing: routing, now: clock(), actor: principal.actor)
            }
        }
        tenants.post("operations/:id/cancel") { request, context -> OperationRecord in
            let principal = try context.caller()
            let (tenant, routing) = try self.routing.tenant(context)
            let id = try RequestBody.pathID(context)
            let body = try await RequestBody.decode(CancelRequest.self, request, context)
            let record = try await Self.mapping { try await store.operation(id, tenant: tenant, routing: routing) }
            _ = try context.require(.leadOperation(lead: record.lead))
            return try await Self.mapping {
                try await store.cancel(id, reason: body.reason ?? "", tenant: tenant, routing: routing, now: clock(), actor: principal.actor)
            }
        }
        tenants.post("operations/:id/outcomes") { request, context -> OperationRecord in
            let principal = try context.caller()
            let (tenant, routing) = try self.routing.tenant(context)
            let id = try RequestBody.pathID(context)
            let body = try await RequestBody.decode(OutcomesRequest.self, request, context)
            let record = try await Self.mapping { try await store.operation(id, tenant: tenant, routing: routing) }
            _ = try context.require(.leadOperation(lead: record.lead))
            var problems: [Problem.FieldError] = []
            var outcomes: [OperationOutcomeInput] = []
            for (n, item) in (body.outcomes ?? []).enumerated() {
                guard let issue = item.issue else {
                    problems.append(.init(field: "outcomes[\(n)].issue", reason: "必填"))
                    continue
                }
                guard let outcome = item.outcome.flatMap(OperationOutcome.init(rawValue:)) else {
                    problems.append(
                        .init(field: "outcomes[\(n)].outcome", reason: "可选值:\(OperationOutcome.allCases.map(\.rawValue).joined(separator: ", "))"))
                    continue
                }
                outcomes.append(OperationOutcomeInput(issue: issue, outcome: outcome, note: item.note ?? "", department: item.department))
            }
            guard problems.isEmpty else { throw Problem.invalidFields(problems) }
            return try await Self.mapping {
                try await store.recordOutcomes(id, outcomes: outcomes, tenant: tenant, routing: routing, now: clock(), actor: principal.actor)
            }
        }
    }

    static func mayRead(_ principal: Principal, _ record: OperationRecord) throws {
        let allowed =
            AccessPolicy.allows(principal, .readOperations(department: nil))
            || record.participants.contains { AccessPolicy.allows(principal, .readOperations(department: $0.department)) }
        guard allowed else { throw Problem.forbidden("角色“\(principal.role.chineseName)”只能查看本单位参加的联合整治。") }
    }

    static func mapping<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as OperationError {
            switch error {
            case .notFound(let id):
                throw Problem.notFound("没有编号为 \(id) 的联合整治。")
            case .invalid(let problems):
                throw Problem.invalidFields(problems.map { Problem.FieldError(field: $0.field, reason: $0.reason) })
            case .clash(let clashes):
                throw Problem(
                    .conflict, type: Problem.base + "operation-clash", title: "专班时间冲突", detail: clashes.joined(separator: "；"),
                    errors: clashes.map { Problem.FieldError(field: "participants", reason: $0) })
            case .notAllowed(let state, let step, let reason):
                throw Problem(
                    .conflict, type: Problem.base + "not-allowed-now", title: "当前状态不允许该操作",
                    detail: "当前状态为“\(state)”，不能执行“\(step)”：\(reason)。")
            case .notParticipant(let department):
                throw Problem.forbidden("单位“\(department)”不是本次联合整治的参加单位。")
            }
        }
    }
}

extension OperationRecord: ResponseEncodable {}
