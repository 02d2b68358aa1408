import Foundation
import Hummingbird
import WhistleCore
import WhistleStore

/// Liability lists and routing under `/v1/tenants/{tenant}`: read the lists, explain a routing,
/// suggest a type. Nothing here writes.
struct LiabilityRoutes: Sendable {
    let routing: TenantRouting
    let store: LiabilityStore

    struct ExplainRequest: Decodable {
        var type: String?
        var compound: String?
        var reportedAt: String?
    }

    struct SuggestRequest: Decodable {
        var description: String?
        var limit: Int?
        var reportedAt: String?
    }

    struct SuggestResponse: ResponseEncodable {
        var listVersion: String?
        var suggestions: [TypeSuggester.Suggestion]
    }

    struct VersionSummary: Codable, Sendable {
        var version: String
        var effective: String
        var until: String?
        var title: String
        var source: String
        var types: Int
        var inForce: Bool
    }

    struct Versions: ResponseEncodable {
        var versions: [VersionSummary]
        /// Every text ever loaded, newest first: a version edited in place shows twice.
        var loaded: [LiabilityStore.StoredList]
    }

    struct EntryRecord: Codable, Sendable {
        struct Reference: Codable, Sendable {
            var written: String
            /// The department's code, or nil for the territorial placeholder.
            var department: String?
            var territorial: Bool
        }

        var code: String
        var name: String
        var `class`: String
        var className: String
        var tags: [String]
        var aliases: [String]
        var keywords: [String]
        var lead: [Reference]
        var responsible: [Reference]
        var supporting: [Reference]
        var acknowledgeHours: Int?
        var rectifyWorkingDays: Int?
        var note: String?
    }

    struct VersionDetail: ResponseEncodable {
        var version: VersionSummary
        var items: [EntryRecord]
    }

    func add(to tenants: RouterGroup<WhistleRequestContext>) {
        tenants.get("liability") { _, context -> Versions in
            let (code, tenant) = try self.routing.tenant(context)
            let today = CivilDate(Date(), in: tenant.timeZone)
            let inForce = tenant.router.catalog.version(on: today)?.version
            return Versions(
                versions: tenant.router.catalog.versions.map { Self.summary($0, inForce: $0.version == inForce) },
                loaded: try await store.history(code))
        }
        tenants.get("liability/:version") { _, context -> VersionDetail in
            let (_, tenant) = try self.routing.tenant(context)
            let name = context.parameters.get("version") ?? ""
            guard let list = tenant.router.catalog.version(named: name) else {
                throw Problem.notFound("没有版本为 '\(name)' 的责任清单。")
            }
            let inForce = tenant.router.catalog.version(on: CivilDate(Date(), in: tenant.timeZone))?.version == list.version
            return VersionDetail(version: Self.summary(list, inForce: inForce), items: list.types.map(Self.entry))
        }
        tenants.post("route/explain") { request, context -> Response in
            let (_, tenant) = try self.routing.tenant(context)
            let body = try await RequestBody.decode(ExplainRequest.self, request, context)
            guard let compound = body.compound, !compound.isEmpty else { throw Problem.unprocessable("compound", "必须填写小区代码") }
            let reportedAt = try RequestBody.moment(body.reportedAt, field: "reportedAt", zone: tenant.timeZone) ?? Date()
            let decision: RoutingDecision
            do throws(RoutingError) {
                decision = try tenant.router.route(type: body.type, compound: compound, reportedAt: reportedAt)
            } catch {
                switch error {
                case .unknownCompound: throw Problem.unprocessable("compound", "没有代码为 '\(compound)' 的小区")
                default: throw Problem.unprocessable("compound", error.description)
                }
            }
            let explanation: RouteExplanation
            do throws(DeadlineError) {
                explanation = try RouteExplanation(
                    decision, router: tenant.router, compound: compound, reportedAt: reportedAt, policy: tenant.policy, dispatchedAt: reportedAt)
            } catch {
                throw Problem.unprocessable("reportedAt", "无法计算期限:\(error.description)")
            }
            return Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: explanation.json())))
        }
        tenants.post("route/suggest") { request, context -> SuggestResponse in
            let (_, tenant) = try self.routing.tenant(context)
            let body = try await RequestBody.decode(SuggestRequest.self, request, context)
            guard let description = body.description?.trimmingCharacters(in: .whitespacesAndNewlines), !description.isEmpty else {
                throw Problem.unprocessable("description", "必须填写问题描述")
            }
            let limit = body.limit ?? 5
            guard (1...20).contains(limit) else { throw Problem.unprocessable("limit", "取值范围为 1–20") }
            let reportedAt = try RequestBody.moment(body.reportedAt, field: "reportedAt", zone: tenant.timeZone) ?? Date()
            guard let list = tenant.router.catalog.version(on: CivilDate(reportedAt, in: tenant.timeZone)),
                let suggester = tenant.suggesters[list.version]
            else {
                return SuggestResponse(listVersion: nil, suggestions: [])
            }
            return SuggestResponse(listVersion: list.version, suggestions: suggester.suggest(description, limit: limit))
        }
    }

    static func summary(_ list: LiabilityList, inForce: Bool) -> VersionSummary {
        VersionSummary(
            version: list.version, effective: list.effective.description, until: list.until?.description, title: list.title,
            source: list.source, types: list.types.count, inForce: inForce)
    }

    static func entry(_ type: IssueType) -> EntryRecord {
        func references(_ column: Assignment.Column) -> [EntryRecord.Reference] {
            type.assignments.filter { $0.column == column }.map {
                switch $0.target {
                case .department(let code): return EntryRecord.Reference(written: $0.written, department: code, territorial: false)
                case .territorial: return EntryRecord.Reference(written: $0.written, department: nil, territorial: true)
                }
            }
        }
        return EntryRecord(
            code: type.code, name: type.name, class: type.problemClass.rawValue, className: type.problemClass.chineseName, tags: type.tags,
            aliases: type.aliases, keywords: type.keywords, lead: references(.lead), responsible: references(.responsible),
            supporting: references(.supporting), acknowledgeHours: type.limits.acknowledgeHours,
            rectifyWorkingDays: type.limits.rectifyWorkingDays, note: type.note)
    }
}
