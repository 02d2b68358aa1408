import Foundation
import Hummingbird
import WhistleCore
import WhistleStore

/// The figures leaders are judged on (`figures`, `figures.csv`) and the rankings (`rankings`).
struct FigureRoutes: Sendable {
    let routing: TenantRouting
    let store: FigureStore
    let clock: @Sendable () -> Date

    struct Definition: Codable {
        var rate: String
        var title: String
        var definition: String
    }

    struct Group: Codable {
        var key: String
        var name: String
        var counts: FigureCounts
        var rates: [FigureRate]
    }

    struct Figures: ResponseEncodable {
        var by: String
        var from: String
        var to: String
        var definitions: [Definition]
        var total: Group
        var groups: [Group]
    }

    struct Ranking: ResponseEncodable {
        var of: String
        var rate: String
        var title: String
        var definition: String
        var from: String
        var to: String
        var ranked: [FigureRanking.Entry]
        /// Groups with nothing counted for the rate.
        var unranked: [String]
    }

    static let definitions = FigureRate.Kind.allCases.map { Definition(rate: $0.rawValue, title: $0.title, definition: $0.definition) }

    func add(to tenants: RouterGroup<WhistleRequestContext>) {
        tenants.get("figures") { request, context -> Figures in
            _ = try context.require(.readFigures)
            let (tenant, routing) = try self.routing.tenant(context)
            let (dimension, from, to) = try Self.query(request, routing: routing, now: clock())
            let table = try await store.table(by: dimension, tenant: tenant, routing: routing, from: from, to: to, now: clock())
            let (groups, total) = (table.groups, table.total)
            return Figures(
                by: dimension.rawValue, from: ISOMoment.format(from, in: routing.timeZone), to: ISOMoment.format(to, in: routing.timeZone),
                definitions: Self.definitions, total: Group(key: "", name: "合计", counts: total, rates: total.rates),
                groups: groups.map { Group(key: $0.key, name: $0.name, counts: $0.counts, rates: $0.counts.rates) })
        }
        tenants.get("figures.csv") { request, context -> Response in
            _ = try context.require(.readFigures)
            let (tenant, routing) = try self.routing.tenant(context)
            let (dimension, from, to) = try Self.query(request, routing: routing, now: clock())
            let table = try await store.table(by: dimension, tenant: tenant, routing: routing, from: from, to: to, now: clock())
            let text = Self.csv(dimension, groups: table.groups + [FigureGroup(key: "", name: "合计", counts: table.total)])
            return Response(
                status: .ok,
                headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"figures-\(dimension.rawValue).csv\""],
                body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        tenants.get("rankings") { request, context -> Ranking in
            _ = try context.require(.readFigures)
            let (tenant, routing) = try self.routing.tenant(context)
            let query = request.uri.queryParameters
            let of = query["of"].map(String.init) ?? "territory"
            guard let dimension = FigureStore.Dimension(rawValue: of), [.department, .territory, .community, .compound].contains(dimension) else {
                throw Problem.invalidParameter("of", "可选：department、territory、community、compound")
            }
            let fallback: FigureRate.Kind = dimension == .department ? .taskRectification : .rectification
            let rateName = query["rate"].map(String.init) ?? fallback.rawValue
            guard let kind = FigureRate.Kind(rawValue: rateName) else {
                throw Problem.invalidParameter("rate", "可选：\(FigureRate.Kind.allCases.map(\.rawValue).joined(separator: "、"))")
            }
            let (from, to) = try Self.period(Self.fields(request), zone: routing.timeZone, now: clock())
            let groups = try await store.figures(by: dimension, tenant: tenant, routing: routing, from: from, to: to, now: clock())
            let ranking = FigureRanking.rank(groups, by: kind)
            return Ranking(
                of: dimension.rawValue, rate: kind.rawValue, title: kind.title, definition: kind.definition,
                from: ISOMoment.format(from, in: routing.timeZone), to: ISOMoment.format(to, in: routing.timeZone), ranked: ranking.ranked,
                unranked: ranking.unranked)
        }
    }

    /// `by`, and the period: `month=YYYY-MM`, or `from`/`to` (dates or moments); by default the
    /// year so far.
    static func query(_ request: Request, routing: TenantRouting.Tenant, now: Date) throws -> (FigureStore.Dimension, Date, Date) {
        let query = request.uri.queryParameters
        let by = query["by"].map(String.init) ?? "department"
        guard let dimension = FigureStore.Dimension(rawValue: by) else {
            throw Problem.invalidParameter("by", "可选：\(FigureStore.Dimension.allCases.map(\.rawValue).joined(separator: "、"))")
        }
        let (from, to) = try period(fields(request), zone: routing.timeZone, now: now)
        return (dimension, from, to)
    }

    /// The query's parameters as plain strings.
    static func fields(_ request: Request) -> [String: String] {
        Dictionary(request.uri.queryParameters.map { (String($0.key), String($0.value)) }, uniquingKeysWith: { first, _ in first })
    }

    static func period(_ query: [String: String], zone: TimeZone, now: Date) throws -> (Date, Date) {
        if let month = query["month"] {
            guard let first = CivilDate(month: month) else { throw Problem.invalidParameter("month", "月份格式为 YYYY-MM，例如 2026-11") }
            return (first.start(in: zone), first.nextMonth.start(in: zone))
        }
        func moment(_ field: String) throws -> Date? {
            guard let text = query[field] else { return nil }
            guard let moment = ISOMoment.parse(text, in: zone, dayEnds: field == "to") else {
                throw Problem.invalidParameter(field, "'\(text)' 不是日期（YYYY-MM-DD，含当日）或 ISO 8601 时间")
            }
            return moment
        }
        let today = CivilDate(now, in: zone)
        let from = try moment("from") ?? CivilDate(today.year, 1, 1).start(in: zone)
        let to = try moment("to") ?? now
        guard to > from else { throw Problem.invalidParameter("to", "须晚于 from") }
        return (from, to)
    }

    /// The figures as a spreadsheet: UTF-8 with a BOM, one row per group, counts then rates.
    static func csv(_ dimension: FigureStore.Dimension, groups: [FigureGroup]) -> String {
        let rates = FigureRate.Kind.allCases
        var text = "\u{FEFF}"
        text += CSV.line(
            ["代码", dimension.title, "受理问题", "已整改问题", "已销号问题", "已回访", "满意及基本满意", "派发任务", "签收时限已到", "按时签收", "已整改任务", "按期整改任务", "已验收任务",
             "已销号任务", "当前逾期任务", "督办次数", "扣分"] + rates.map(\.title))
        for group in groups {
            let c = group.counts
            let counts = [
                c.received, c.issuesRectified, c.issuesClosed, c.returnVisits, c.satisfied, c.tasks, c.acknowledgeDecided, c.acknowledgedInTime, c.tasksRectified,
                c.rectifiedInTime, c.tasksVerified, c.tasksClosed, c.overdueNow, c.escalations.values.reduce(0, +),
            ].map(String.init)
            let points = c.deductions == c.deductions.rounded() ? String(Int(c.deductions)) : String(c.deductions)
            text += CSV.line([group.key, group.name] + counts + [points] + rates.map { c.rate($0).percent })
        }
        return text
    }
}

