import Foundation
import Hummingbird
import WhistleCore
import WhistleStore

/// Campaigns (专项行动): their phases and targets with progress, the compounds the office
/// records as reaching a target, and the monthly reports sent.
struct CampaignRoutes: Sendable {
    let routing: TenantRouting
    let store: CampaignStore
    let figures: FigureStore
    let clock: @Sendable () -> Date

    struct Campaign: ResponseEncodable {
        var plan: CampaignPlan
        var progress: CampaignProgress
    }

    struct Campaigns: ResponseEncodable {
        var items: [Campaign]
    }

    struct Attainments: ResponseEncodable {
        var items: [CampaignStore.Attainment]
    }

    struct AttainRequest: Decodable {
        var compound: String?
        var note: String?
        var reason: String?
    }

    struct Report: ResponseEncodable {
        var month: String
        var generatedAt: String
        var text: String
        var report: MonthlyReport?
    }

    struct Reports: ResponseEncodable {
        var items: [Report]
    }

    func add(to tenants: RouterGroup<WhistleRequestContext>) {
        tenants.get("campaigns") { _, context -> Campaigns in
            _ = try context.require(.readFigures)
            let (tenant, routing) = try self.routing.tenant(context)
            var items: [Campaign] = []
            for plan in routing.campaigns {
                items.append(Campaign(plan: plan, progress: try await store.progress(plan, tenant: tenant, routing: routing, figures: figures, now: clock())))
            }
            return Campaigns(items: items)
        }
        tenants.get("campaigns/:campaign") { _, context -> Campaign in
            _ = try context.require(.readFigures)
            let (tenant, routing) = try self.routing.tenant(context)
            let plan = try Self.plan(context, routing)
            return Campaign(plan: plan, progress: try await store.progress(plan, tenant: tenant, routing: routing, figures: figures, now: clock()))
        }
        tenants.get("campaigns/:campaign/attainments") { _, context -> Attainments in
            _ = try context.require(.readFigures)
            let (tenant, routing) = try self.routing.tenant(context)
            let plan = try Self.plan(context, routing)
            return Attainments(items: try await store.attainments(campaign: plan.code, tenant: tenant))
        }
        tenants.post("campaigns/:campaign/targets/:target/compounds") { request, context -> Response in
            let principal = try context.require(.recordAttainment)
            let (tenant, routing) = try self.routing.tenant(context)
            let (plan, target) = try Self.target(context, routing)
            let body = try await RequestBody.decode(AttainRequest.self, request, context)
            let compound = try Self.compound(body.compound, routing)
            let attainment = try await Self.mapping {
                try await store.attain(
                    campaign: plan.code, target: target.code, compound: compound, note: body.note ?? "", actor: principal.actor, now: clock(), tenant: tenant)
            }
            var response = try context.responseEncoder.encode(Attainments(items: [attainment]), from: request, context: context)
            response.status = .created
            return response
        }
        tenants.post("campaigns/:campaign/targets/:target/compounds/:compound/withdraw") { request, context -> Attainments in
            let principal = try context.require(.recordAttainment)
            let (tenant, routing) = try self.routing.tenant(context)
            let (plan, target) = try Self.target(context, routing)
            let body = try await RequestBody.decode(AttainRequest.self, request, context)
            guard let reason = body.reason?.trimmingCharacters(in: .whitespacesAndNewlines), !reason.isEmpty else {
                throw Problem.unprocessable("reason", "撤销须说明原因")
            }
            let compound = try Self.compound(context.parameters.get("compound"), routing)
            let attainment = try await Self.mapping {
                try await store.withdraw(
                    campaign: plan.code, target: target.code, compound: compound, reason: reason, actor: principal.actor, now: clock(), tenant: tenant)
            }
            return Attainments(items: [attainment])
        }
        tenants.get("campaigns/:campaign/reports") { _, context -> Reports in
            _ = try context.require(.readFigures)
            let (tenant, routing) = try self.routing.tenant(context)
            let plan = try Self.plan(context, routing)
            let reports = try await MonthlyReporter.reports(campaign: plan.code, tenant: tenant, database: store.database)
            return Reports(
                items: reports.map {
                    Report(
                        month: $0.month, generatedAt: ISOMoment.format($0.generatedAt, in: routing.timeZone), text: $0.text,
                        report: try? JSONDecoder().decode(MonthlyReport.self, from: Data($0.body.utf8)))
                })
        }
    }

    static func plan(_ context: WhistleRequestContext, _ routing: TenantRouting.Tenant) throws -> CampaignPlan {
        let code = context.parameters.get("campaign") ?? ""
        guard let plan = routing.campaigns.first(where: { $0.code == code }) else {
            let known = routing.campaigns.map(\.code)
            throw Problem.notFound("没有代码为“\(code)”的专项行动；\(known.isEmpty ? "campaigns.yaml 未配置专项行动" : "可选：\(known.joined(separator: "、"))")")
        }
        return plan
    }

    static func target(_ context: WhistleRequestContext, _ routing: TenantRouting.Tenant) throws -> (CampaignPlan, CampaignPlan.Target) {
        let plan = try plan(context, routing)
        let code = context.parameters.get("target") ?? ""
        guard let target = plan.targets.first(where: { $0.code == code }) else {
            throw Problem.notFound("专项行动“\(plan.name)”没有代码为“\(code)”的目标")
        }
        guard case .compounds = target.measure else {
            throw Problem.unprocessable("target", "目标“\(target.name)”按比率计算，不按小区记录达标")
        }
        return (plan, target)
    }

    static func compound(_ code: String?, _ routing: TenantRouting.Tenant) throws -> String {
        guard let code, !code.isEmpty else { throw Problem.unprocessable("compound", "须指定小区代码") }
        guard routing.directory.compounds.contains(where: { $0.compound.code == code }) else {
            throw Problem.unprocessable("compound", "没有代码为 '\(code)' 的小区")
        }
        return code
    }

    static func mapping<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as CampaignStore.CampaignError {
            switch error {
            case .alreadyAttained(let target, let compound):
                throw Problem(.conflict, type: Problem.base + "already-attained", title: "已记录达标", detail: "小区 \(compound) 已记录为达到目标 \(target)。")
            case .notAttained(let target, let compound):
                throw Problem.notFound("小区 \(compound) 没有达到目标 \(target) 的有效记录。")
            }
        }
    }
}
