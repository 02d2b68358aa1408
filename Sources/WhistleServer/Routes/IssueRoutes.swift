import Foundation
import Hummingbird
import WhistleCore
import WhistleStore

/// Intake and reclassification of issues under `/v1/tenants/{tenant}/issues`.
struct IssueRoutes: Sendable {
    let routing: TenantRouting
    let store: IssueStore
    let clock: @Sendable () -> Date
    var duplicateWindowDays: Int = 7

    struct IntakeRequest: Decodable {
        var channel: String?
        var compound: String?
        var building: String?
        var household: String?
        var type: String?
        var description: String?
        var reportedAt: String?
        var reporter: IssueIntake.Reporter?
        /// The channel's own fields: 走访人 (visitor), 排查时间 …
        var details: [String: String]?
    }

    struct MergeRequest: Decodable {
        var into: Int64?
        var rowVersion: Int?
    }

    struct ClassifyRequest: Decodable {
        var type: String?
        var rowVersion: Int?
    }

    struct Timeline: ResponseEncodable {
        var items: [EventRecord]
        var count: Int
    }

    func add(to tenants: RouterGroup<WhistleRequestContext>) {
        let issues = tenants.group("issues")
        issues.post { request, context -> Response in
            let principal = try context.require(.reportIssue)
            let (tenant, routing) = try self.routing.tenant(context)
            let buffer = try await request.body.collect(upTo: 256 * 1024)
            let body: IntakeRequest = try RequestBody.decode(IntakeRequest.self, from: buffer)
            let intake = try Self.intake(body, zone: routing.timeZone, now: clock())
            var idempotency: IssueStore.Idempotency?
            if let key = request.headers[.init("Idempotency-Key")!] {
                guard !key.isEmpty, key.count <= 200 else { throw Problem.unprocessable("Idempotency-Key", "长度须为 1–200 个字符") }
                idempotency = IssueStore.Idempotency(key: key, body: buffer.readableBytesView)
            }
            let (issue, created) = try await Self.mapping {
                try await store.intake(
                    intake, tenant: tenant, routing: routing, idempotency: idempotency, now: clock(), actor: principal.actor,
                    reportedBy: principal.credential, unmasked: AccessPolicy.allows(principal, .seePersonalData),
                    duplicateWindow: TimeInterval(duplicateWindowDays) * 86_400)
            }
            var response = try context.responseEncoder.encode(issue, from: request, context: context)
            response.status = created ? .created : .ok
            response.headers[.location] = "/v1/tenants/\(tenant)/issues/\(issue.id)"
            return response
        }
        issues.get(":id") { _, context -> IssueRecord in
            try await self.readable(context)
        }
        issues.get(":id/timeline") { _, context -> Timeline in
            let (tenant, routing) = try self.routing.tenant(context)
            let id = try Self.id(context)
            _ = try await self.readable(context)
            guard let events = try await store.timeline(id, tenant: tenant, zone: routing.timeZone) else {
                throw Problem.notFound("没有编号为 \(id) 的问题。")
            }
            return Timeline(items: events, count: events.count)
        }
        issues.post(":id/merge") { request, context -> IssueRecord in
            let principal = try context.require(.merge)
            let (tenant, routing) = try self.routing.tenant(context)
            let id = try Self.id(context)
            let body = try await RequestBody.decode(MergeRequest.self, request, context)
            guard let into = body.into else { throw Problem.unprocessable("into", "必须填写要并入的问题编号") }
            return try await Self.mapping {
                try await store.merge(
                    id, into: into, expectedVersion: body.rowVersion, tenant: tenant, routing: routing, now: clock(), actor: principal.actor,
                    unmasked: AccessPolicy.allows(principal, .seePersonalData))
            }
        }
        issues.post(":id/classify") { request, context -> IssueRecord in
            let principal = try context.require(.classify)
            let (tenant, routing) = try self.routing.tenant(context)
            let id = try Self.id(context)
            let body = try await RequestBody.decode(ClassifyRequest.self, request, context)
            guard let type = body.type, !type.isEmpty else { throw Problem.unprocessable("type", "必须填写问题类型代码") }
            return try await Self.mapping {
                try await store.classify(
                    id, type: type, expectedVersion: body.rowVersion, tenant: tenant, routing: routing, now: clock(), actor: principal.actor,
                    unmasked: AccessPolicy.allows(principal, .seePersonalData))
            }
        }
    }


    /// The issue of the path, if the caller may read it: its departments' people, its reporter, the office.
    func readable(_ context: WhistleRequestContext) async throws -> IssueRecord {
        let principal = try context.caller()
        let (tenant, routing) = try self.routing.tenant(context)
        let id = try Self.id(context)
        guard let issue = try await store.issue(id, tenant: tenant, zone: routing.timeZone, unmasked: AccessPolicy.allows(principal, .seePersonalData))
        else {
            throw Problem.notFound("没有编号为 \(id) 的问题。")
        }
        _ = try context.require(issue.readAccess)
        return issue
    }

    static func id(_ context: some RequestContext) throws -> Int64 {
        let text = context.parameters.get("id") ?? ""
        guard let id = Int64(text), id > 0 else { throw Problem.invalidParameter("id", "'\(text)' 不是有效的问题编号") }
        return id
    }

    /// Every field problem of the request at once.
    static func intake(_ body: IntakeRequest, zone: TimeZone, now: Date) throws -> IssueIntake {
        var problems: [Problem.FieldError] = []
        let channel = body.channel.flatMap(Channel.init(rawValue:))
        if channel == nil {
            problems.append(
                Problem.FieldError(
                    field: "channel", reason: body.channel == nil ? "必须填写渠道" : "'\(body.channel!)' 不是有效渠道,可选:\(Channel.allCases.map(\.rawValue).joined(separator: ", "))"))
        }
        if body.compound?.isEmpty ?? true { problems.append(Problem.FieldError(field: "compound", reason: "必须填写小区代码")) }
        if body.description == nil { problems.append(Problem.FieldError(field: "description", reason: "必须填写问题描述")) }
        var reportedAt = now
        if let text = body.reportedAt {
            if let moment = ISOMoment.parse(text, in: zone) {
                reportedAt = moment
            } else {
                problems.append(Problem.FieldError(field: "reportedAt", reason: "'\(text)' 不是 ISO 8601 时间(例如 2026-09-30T17:30:00+08:00)"))
            }
        }
        guard problems.isEmpty, let channel, let compound = body.compound, let description = body.description else {
            throw Problem.invalidFields(problems)
        }
        return IssueIntake(
            channel: channel, compound: compound, building: body.building, household: body.household,
            type: body.type.flatMap { $0.isEmpty ? nil : $0 }, description: description, reportedAt: reportedAt,
            reporter: body.reporter ?? IssueIntake.Reporter(), channelDetails: body.details ?? [:])
    }

    /// Runs a store call, turning its refusals into problems.
    static func mapping<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as IssueError {
            switch error {
            case .invalid(let problems):
                throw Problem.invalidFields(problems.map { Problem.FieldError(field: $0.field, reason: $0.reason) })
            case .idempotencyConflict(let key, let issue):
                throw Problem.unprocessable("Idempotency-Key", "'\(key)' 已用于问题 \(issue),但请求内容不同;重试请使用相同内容,新请求请使用新的键")
            case .notFound(let id):
                throw Problem.notFound("没有编号为 \(id) 的问题。")
            case .versionConflict(let expected, let current):
                throw Problem(
                    .conflict, type: Problem.base + "version-conflict", title: "数据已被他人修改",
                    detail: "该问题当前版本为 \(current),请求基于版本 \(expected);请刷新后重试。")
            case .listNotLoaded:
                throw Problem.unavailable("责任清单尚未载入数据库,请稍后重试。")
            case .taskNotFound(let id):
                throw Problem.notFound("没有编号为 \(id) 的任务。")
            case .refused(let refusal):
                switch refusal {
                case .missing(let field):
                    throw Problem.unprocessable(field, refusal.description)
                case .extensionNotLater:
                    throw Problem.unprocessable("until", refusal.description)
                default:
                    throw Problem(.conflict, type: Problem.base + "not-allowed-now", title: "当前状态不允许该操作", detail: refusal.description)
                }
            case .issueNotAllowed(_, let reason):
                throw Problem(.conflict, type: Problem.base + "not-allowed-now", title: "当前状态不允许该操作", detail: reason)
            }
        }
    }
}

extension IssueRecord: ResponseEncodable {}
