import Foundation
import Hummingbird
import WhistleCore
import WhistleStore

extension WebRoutes {
    /// The leader's page (`/web/{t}/leader`): drafted public notices (通报批评) to approve or reject,
    /// the month's rankings of towns and departments, the rates month by month as a chart, and
    /// the campaigns' progress against their targets.
    func addLeader(to pages: RouterGroup<WhistleRequestContext>) {
        pages.get("leader") { request, context -> Response in
            let principal = try context.caller()
            guard AccessPolicy.allows(principal, .decideNotice) || AccessPolicy.allows(principal, .readEscalations(department: nil)) else {
                throw Problem.forbidden("角色“\(principal.role.chineseName)”无权查看领导页面。")
            }
            let (tenant, routing) = try self.routing.tenant(context)
            let csrf = WebSession.csrf(request)
            let t = HTML.urlComponent(tenant)
            let drafts = try await escalations.list(EscalationStore.Filter(state: "draft"), tenant: tenant, zone: routing.timeZone, limit: 100)
            let canDecide = AccessPolicy.allows(principal, .decideNotice)
            var body = Self.notice(request)
            body += #"<section id="notices"><h2>待审批的通报批评(\#(drafts.count))</h2>"#
            if drafts.isEmpty { body += "<p>没有待审批的通报。</p>" }
            for record in drafts {
                body += #"<div class="card" id="notice-\#(record.id)"><div><strong>\#(HTML.escape(record.document?.number ?? record.actionName))</strong> · "#
                body += HTML.escape(routing.departmentNames[record.department] ?? record.department)
                body += record.issue.map { #" · <a href="/web/\#(t)/issues/\#($0)">问题 #\#($0)</a>"# } ?? ""
                body += "</div>"
                for field in record.document?.fields ?? [] {
                    body += #"<div><span class="muted">\#(HTML.escape(field.label))</span> \#(HTML.escape(field.value))</div>"#
                }
                if canDecide {
                    let action = "/web/\(t)/escalations/\(record.id)"
                    body += """
                        <form method="post" action="\(action)/approve" class="action">\(HTML.csrfField(csrf))<input type="hidden" name="rowVersion" value="\(record.rowVersion)">\
                        <button type="submit" id="approve-\(record.id)">同意通报</button></form>
                        <form method="post" action="\(action)/reject" class="action">\(HTML.csrfField(csrf))<input type="hidden" name="rowVersion" value="\(record.rowVersion)">\
                        <input type="text" name="reason" placeholder="不同意的理由" required><button type="submit" id="reject-\(record.id)">不同意</button></form>
                        """
                }
                body += "</div>"
            }
            body += "</section>"
            body += try await rankings(request, tenant: tenant, routing: routing)
            return try page("领导工作台", request, context, body)
        }
        for (path, approve) in [("approve", true), ("reject", false)] {
            pages.post("escalations/:id/\(path)") { request, context -> Response in
                let principal = try context.require(.decideNotice)
                let (tenant, routing) = try self.routing.tenant(context)
                let id = try EscalationRoutes.id(context)
                let form = try await form(request)
                let record = try await EscalationRoutes.mapping {
                    try await escalations.decideNotice(
                        id, approve: approve, reason: form.text("reason"), expectedVersion: form.text("rowVersion").flatMap(Int.init), tenant: tenant,
                        routing: routing, now: clock(), actor: principal.actor)
                }
                let notice = "\(record.document?.number ?? "通报 #\(id)"):" + (approve ? "已同意" : "已不同意")
                return HTML.redirect(Self.withNotice("/web/\(HTML.urlComponent(tenant))/leader", notice))
            }
        }
    }

    /// The rankings of the month (`?month=YYYY-MM`, this month by default), the twelve months' rates
    /// as a chart, and each campaign's progress.
    func rankings(_ request: Request, tenant: String, routing: TenantRouting.Tenant) async throws -> String {
        let zone = routing.timeZone
        let now = clock()
        let today = CivilDate(now, in: zone)
        let first = request.uri.queryParameters["month"].flatMap { CivilDate(month: String($0)) } ?? CivilDate(today.year, today.month, 1)
        let next = first.nextMonth
        let towns = try await figures.figures(by: .territory, tenant: tenant, routing: routing, from: first.start(in: zone), to: next.start(in: zone), now: now)
        let departments = try await figures.figures(
            by: .department, tenant: tenant, routing: routing, from: first.start(in: zone), to: next.start(in: zone), now: now)
        let label = "\(first.year)年\(first.month)月"
        var body = #"<section id="rankings"><h2>统计排名（\#(label)，按问题上报时间）</h2>"#
        for (title, groups, kind, id) in [
            ("镇街", towns, FigureRate.Kind.rectification, "territories"), ("部门", departments, FigureRate.Kind.taskRectification, "departments"),
        ] {
            let (ranked, unranked) = FigureRanking.rank(groups, by: kind)
            body += #"<h3>\#(title)\#(kind.title)排名</h3><p class="muted">\#(HTML.escape(kind.definition))</p>"#
            if ranked.isEmpty {
                body += "<p>本月尚无可排名的数据。</p>"
                continue
            }
            body += #"<table id="ranking-\#(id)"><tr><th>名次</th><th>\#(title)</th><th>\#(kind.title)</th><th>响应率</th><th>按期整改率</th><th>当前逾期</th></tr>"#
            let byKey = Dictionary(groups.map { ($0.key, $0.counts) }, uniquingKeysWith: { first, _ in first })
            for entry in ranked {
                let counts = byKey[entry.key] ?? FigureCounts()
                body += "<tr><td>\(entry.rank)</td><td>\(HTML.escape(entry.name))</td>"
                body += "<td>\(entry.rate.percent)（\(entry.rate.numerator)/\(entry.rate.denominator)）</td>"
                body += "<td>\(counts.rate(.response).percent)</td><td>\(counts.rate(.onTimeRectification).percent)</td><td>\(counts.overdueNow)</td></tr>"
            }
            body += "</table>"
            if !unranked.isEmpty { body += #"<p class="muted">无数据未排名：\#(unranked.count) 个</p>"# }
        }
        // The twelve months up to this one, rates month by month.
        let start = CivilDate(first.year - 1, first.month, 1).nextMonth
        let trend = try await figures.figures(by: .month, tenant: tenant, routing: routing, from: start.start(in: zone), to: next.start(in: zone), now: now)
        body += #"<h3>近十二个月比率趋势</h3>"#
        body += trend.isEmpty ? "<p>近十二个月没有上报的问题。</p>" : RateChart.svg(trend, kinds: [.rectification, .response, .onTimeRectification, .satisfaction])
        body += "</section>"
        if !routing.campaigns.isEmpty {
            body += #"<section id="campaigns"><h2>专项行动进展</h2>"#
            for plan in routing.campaigns {
                let progress = try await campaigns.progress(plan, tenant: tenant, routing: routing, figures: figures, now: now)
                body += #"<div class="card"><strong>\#(HTML.escape(plan.name))</strong> <span class="muted">\#(plan.from) 至 \#(plan.to)</span>"#
                if let phase = progress.phase { body += #"<div>当前阶段：\#(HTML.escape(phase.name))（\#(phase.from) 至 \#(phase.to)）</div>"# }
                for target in progress.targets {
                    body += #"<div>\#(HTML.escape(target.name))：\#(HTML.escape(target.summary)) <span class="state">\#(target.status.title)</span> <span class="muted">时限 \#(target.by)</span></div>"#
                }
                body += "</div>"
            }
            body += "</section>"
        }
        return body
    }
}
