import Foundation
import Hummingbird
import WhistleCore
import WhistleStore

/// Campaign field work: door-to-door visits and their coverage, spot checks and their findings,
/// property companies' credit and the priority rectification list.
struct FieldWorkRoutes: Sendable {
    let routing: TenantRouting
    let store: FieldWorkStore
    let credit: CreditStore
    let clock: @Sendable () -> Date

    struct VisitRequest: Decodable {
        struct Problem: Decodable {
            var type: String?
            var description: String?
        }

        var compound: String?
        var building: String?
        var household: String?
        var visitor: String?
        var visitedAt: String?
        var ownerName: String?
        var ownerPhone: String?
        var platformRegistered: Bool?
        var note: String?
        var problems: [Problem]?
    }

    struct DrawRequest: Decodable {
        var compounds: Int?
        var closedIssues: Int?
        var territory: String?
        var seed: String?
        var note: String?
    }

    struct FindingRequest: Decodable {
        var compound: String?
        var description: String?
        var inspector: String?
        var type: String?
        var building: String?
        var household: String?
        var closedIssue: Int64?
        var rectified: Bool?
        var listedIssue: Int64?
    }

    struct Coverage: ResponseEncodable {
        var from: String?
        var to: String?
        var items: [CoverageRow]
    }

    struct Buildings: ResponseEncodable {
        var compound: String
        var items: [FieldWorkStore.BuildingCoverage]
    }

    struct Companies: ResponseEncodable {
        var items: [CompanyCredit]
        var count: Int
    }

    struct Priority: ResponseEncodable {
        var items: [PriorityCompound]
        var count: Int
    }

    func add(to tenants: RouterGroup<WhistleRequestContext>) {
        tenants.post("visits") { request, context -> Response in
            let principal = try context.require(.recordVisit)
            let (tenant, routing) = try self.routing.tenant(context)
            let body = try await RequestBody.decode(VisitRequest.self, request, context)
            var problems: [Problem.FieldError] = []
            for (field, value) in [("compound", body.compound), ("building", body.building), ("household", body.household), ("visitor", body.visitor)]
            where value == nil {
                problems.append(.init(field: field, reason: "必填"))
            }
            var found: [VisitInput.Problem] = []
            for (n, problem) in (body.problems ?? []).enumerated() {
                guard let description = problem.description, !description.trimmingCharacters(in: .whitespaces).isEmpty else {
                    problems.append(.init(field: "problems[\(n)].description", reason: "必填"))
                    continue
                }
                found.append(.init(type: problem.type, description: description, body: Array("\(problem.type ?? "")\n\(description)".utf8)))
            }
            guard problems.isEmpty, let compound = body.compound, let building = body.building, let household = body.household,
                let visitor = body.visitor
            else { throw Problem.invalidFields(problems) }
            let now = clock()
            let visitedAt = try RequestBody.moment(body.visitedAt, field: "visitedAt", zone: routing.timeZone) ?? now
            let key = request.headers[.init("Idempotency-Key")!]
            if let key, key.isEmpty || key.count > 200 { throw Problem.unprocessable("Idempotency-Key", "长度须为 1–200 个字符") }
            let visit = VisitInput(
                compound: compound, building: building, household: household, visitor: visitor, visitedAt: visitedAt, problems: found,
                ownerName: body.ownerName, ownerPhone: body.ownerPhone, platformRegistered: body.platformRegistered, note: body.note)
            let (record, created) = try await Self.mapping {
                try await store.recordVisit(
                    visit, idempotencyKey: key, tenant: tenant, routing: routing, now: now, actor: principal.actor, reportedBy: principal.credential)
            }
            var response = try context.responseEncoder.encode(record, from: request, context: context)
            response.status = created ? .created : .ok
            return response
        }
        tenants.get("coverage") { request, context -> Coverage in
            _ = try context.require(.readFieldWork)
            let (tenant, routing) = try self.routing.tenant(context)
            let query = request.uri.queryParameters
            let from = try RequestBody.moment(query["from"].map(String.init), field: "from", zone: routing.timeZone)
            let to = try RequestBody.moment(query["to"].map(String.init), field: "to", zone: routing.timeZone)
            let territory = query["territory"].map(String.init)
            if let territory, !routing.directory.territories.contains(where: { $0.code == territory }) {
                throw Problem.invalidParameter("territory", "没有代码为 '\(territory)' 的镇街")
            }
            let items = try await Self.mapping { try await store.coverage(tenant: tenant, routing: routing, from: from, to: to, territory: territory) }
            return Coverage(from: from.map { ISOMoment.format($0, in: routing.timeZone) }, to: to.map { ISOMoment.format($0, in: routing.timeZone) }, items: items)
        }
        tenants.get("compounds/:code/visits") { request, context -> Buildings in
            _ = try context.require(.readFieldWork)
            let (tenant, routing) = try self.routing.tenant(context)
            let code = context.parameters.get("code") ?? ""
            let query = request.uri.queryParameters
            let from = try RequestBody.moment(query["from"].map(String.init), field: "from", zone: routing.timeZone)
            let to = try RequestBody.moment(query["to"].map(String.init), field: "to", zone: routing.timeZone)
            let items = try await Self.mapping { try await store.buildings(code, tenant: tenant, routing: routing, from: from, to: to) }
            return Buildings(compound: code, items: items)
        }
        tenants.post("spot-checks") { request, context -> Response in
            let principal = try context.require(.spotCheck)
            let (tenant, routing) = try self.routing.tenant(context)
            let body = try await RequestBody.decode(DrawRequest.self, request, context)
            guard let count = body.compounds else { throw Problem.unprocessable("compounds", "必填：抽取的小区数") }
            let record = try await Self.mapping {
                try await store.drawSpotCheck(
                    compounds: count, closedIssues: body.closedIssues ?? 0, territory: body.territory, seed: body.seed, note: body.note, tenant: tenant,
                    routing: routing, now: clock(), actor: principal.actor)
            }
            var response = try context.responseEncoder.encode(record, from: request, context: context)
            response.status = .created
            response.headers[.location] = "/v1/tenants/\(tenant)/spot-checks/\(record.id)"
            return response
        }
        tenants.get("spot-checks/:id") { _, context -> SpotCheckRecord in
            _ = try context.require(.readFieldWork)
            let (tenant, routing) = try self.routing.tenant(context)
            let id = try RequestBody.pathID(context)
            return try await Self.mapping { try await store.spotCheck(id, tenant: tenant, routing: routing) }
        }
        tenants.post("spot-checks/:id/findings") { request, context -> SpotCheckRecord in
            let principal = try context.require(.spotCheck)
            let (tenant, routing) = try self.routing.tenant(context)
            let id = try RequestBody.pathID(context)
            let body = try await RequestBody.decode(FindingRequest.self, request, context)
            var problems: [Problem.FieldError] = []
            for (field, value) in [("compound", body.compound), ("description", body.description), ("inspector", body.inspector)] where value == nil {
                problems.append(.init(field: field, reason: "必填"))
            }
            guard problems.isEmpty, let compound = body.compound, let description = body.description, let inspector = body.inspector else {
                throw Problem.invalidFields(problems)
            }
            let input = FindingInput(
                compound: compound, description: description, inspector: inspector, type: body.type, building: body.building, household: body.household,
                closedIssue: body.closedIssue, rectified: body.rectified, listedIssue: body.listedIssue)
            return try await Self.mapping {
                try await store.recordFinding(
                    input, spotCheck: id, tenant: tenant, routing: routing, now: clock(), actor: principal.actor, reportedBy: principal.credential)
            }
        }
        tenants.get("companies") { _, context -> Companies in
            _ = try context.require(.readFieldWork)
            let (tenant, routing) = try self.routing.tenant(context)
            let items = try await credit.companies(tenant: tenant, routing: routing, now: clock())
            return Companies(items: items, count: items.count)
        }
        tenants.get("priority-compounds") { _, context -> Priority in
            _ = try context.require(.readFieldWork)
            let (tenant, routing) = try self.routing.tenant(context)
            let items = try await credit.priorityList(tenant: tenant, routing: routing, now: clock())
            return Priority(items: items, count: items.count)
        }
        tenants.get("priority-compounds.csv") { _, context -> Response in
            _ = try context.require(.readFieldWork)
            let (tenant, routing) = try self.routing.tenant(context)
            let items = try await credit.priorityList(tenant: tenant, routing: routing, now: clock())
            // UTF-8 with a BOM, so that Excel opens the Chinese correctly.
            var text = "\u{FEFF}序号,小区代码,小区名称,物业服务企业,列入原因,列入时间\r\n"
            for (n, item) in items.enumerated() {
                let fields = [String(n + 1), item.compound, item.name, item.companyName ?? "", item.reasons.joined(separator: "；"), item.enteredAt]
                text += CSV.line(fields)
            }
            return Response(
                status: .ok,
                headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"priority-compounds.csv\""],
                body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }

    static func mapping<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as FieldWorkError {
            switch error {
            case .notFound(let what):
                throw Problem.notFound("未找到：\(what)。")
            case .invalid(let problems):
                throw Problem.invalidFields(problems.map { Problem.FieldError(field: $0.field, reason: $0.reason) })
            }
        }
    }
}

extension VisitRecord: ResponseEncodable {}
extension SpotCheckRecord: ResponseEncodable {}
