import Foundation
import Hummingbird
import WhistleCore
import WhistleStore

extension WebRoutes {
    /// The office's overview (`/web/{t}/office`): live and overdue tasks by department and territory,
    /// where each live task stands on the escalation ladder, the triage queue, disputes and
    /// extensions waiting for a ruling, and escalations that need someone (talks, notices).
    func addOffice(to pages: RouterGroup<WhistleRequestContext>) {
        pages.get("office") { request, context -> Response in
            let principal = try context.require(.readInbox(department: nil))
            let (tenant, routing) = try self.routing.tenant(context)
            let now = clock()
            let zone = routing.timeZone
            let csrf = WebSession.csrf(request)
            let t = HTML.urlComponent(tenant)
            let back = "/web/\(t)/office"
            let overview = try await issues.overview(tenant: tenant, zone: zone, now: now)
            let (live, _) = try await issues.inbox(IssueStore.InboxQuery(limit: 100), tenant: tenant, zone: zone, now: now)
            let (disputes, _) = try await issues.inbox(IssueStore.InboxQuery(state: .disputed, limit: 50), tenant: tenant, zone: zone, now: now)
            let ladder = try await escalations.list(EscalationStore.Filter(), tenant: tenant, zone: zone, limit: 200)
            let attention = try await escalations.list(EscalationStore.Filter(attention: true), tenant: tenant, zone: zone, limit: 50)
            let territoryNames = Dictionary(routing.directory.territories.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
            func department(_ code: String) -> String { HTML.escape(routing.departmentNames[code] ?? code) }

            var body = Self.notice(request)
            // Counts per department and per territory.
            var byDepartment: [String: (open: Int, overdue: Int)] = [:]
            var byTerritory: [String: (open: Int, overdue: Int)] = [:]
            for count in overview.counts {
                byDepartment[count.department, default: (0, 0)].open += count.open
                byDepartment[count.department, default: (0, 0)].overdue += count.overdue
                byTerritory[count.territory, default: (0, 0)].open += count.open
                byTerritory[count.territory, default: (0, 0)].overdue += count.overdue
            }
            body += #"<section id="by-department"><h2>各部门在办与超期</h2><table><tr><th>部门</th><th>在办</th><th>超期</th></tr>"#
            for (code, c) in byDepartment.sorted(by: { ($0.value.overdue, $0.value.open, $1.key) > ($1.value.overdue, $1.value.open, $0.key) }) {
                body += #"<tr><td><a href="/web/\#(t)/inbox?department=\#(HTML.urlComponent(code))">\#(department(code))</a></td><td>\#(c.open)</td><td>\#(c.overdue)</td></tr>"#
            }
            body += #"</table></section><section id="by-territory"><h2>各镇街在办与超期</h2><table><tr><th>镇/街道</th><th>在办</th><th>超期</th></tr>"#
            for (code, c) in byTerritory.sorted(by: { $0.key < $1.key }) {
                body += "<tr><td>\(HTML.escape(territoryNames[code] ?? code))</td><td>\(c.open)</td><td>\(c.overdue)</td></tr>"
            }
            body += "</table></section>"

            // Each live task and the highest rung of its ladder that fired.
            var rung: [Int64: EscalationRecord] = [:]
            for record in ladder.reversed() {
                if let task = record.task { rung[task] = record }  // oldest first, so the newest wins
            }
            body += #"<section id="ladder"><h2>任务督办进度</h2><table><tr><th>任务</th><th>部门</th><th>状态</th><th>整改时限</th><th>督办</th></tr>"#
            for item in live {
                let state = TaskState(rawValue: item.state)?.chineseName ?? item.state
                let step = rung[item.task].map { HTML.escape($0.actionName) } ?? "未升级"
                body += """
                    <tr id="ladder-\(item.task)"><td><a href="/web/\(t)/issues/\(item.issue)">#\(item.task) \(HTML.escape(String(item.description.prefix(30))))</a></td>\
                    <td>\(department(item.department))</td><td>\(HTML.escape(state))\(item.overdue ? #" <span class="overdue">超期</span>"# : "")</td>\
                    <td>\(HTML.moment(item.rectifyDue))</td><td>\(step)</td></tr>
                    """
            }
            body += "</table></section>"

            body += #"<section id="triage"><h2>待分拨(\#(overview.triage.count))</h2>"#
            if overview.triage.isEmpty { body += "<p>没有待分拨的问题。</p>" }
            for item in overview.triage {
                body += """
                    <div class="card"><a href="/web/\(t)/issues/\(item.issue)">问题 #\(item.issue)</a> · \(Self.compoundName(item.compound, routing)) · \
                    <span class="muted">\(HTML.moment(item.receivedAt))</span><div>\(HTML.escape(item.description))</div></div>
                    """
            }
            body += #"</section><section id="disputes"><h2>退单待裁定(\#(disputes.count))</h2>"#
            if disputes.isEmpty { body += "<p>没有待裁定的退单。</p>" }
            for item in disputes { body += taskCard(item, principal: principal, csrf: csrf, routing: routing, back: back) }
            body += #"</section><section id="extensions"><h2>延期待审批(\#(overview.extensions.count))</h2>"#
            if overview.extensions.isEmpty { body += "<p>没有待审批的延期申请。</p>" }
            for item in overview.extensions {
                body += """
                    <div class="card"><a href="/web/\(t)/issues/\(item.issue)">问题 #\(item.issue)</a> · 任务 #\(item.task) · \(department(item.department)) · \
                    申请延期至 \(HTML.moment(item.until))<div>\(HTML.escape(item.reason ?? ""))</div>
                    \(actionForms(task: item.task, department: item.department, state: "acknowledged", rowVersion: nil, principal: principal, csrf: csrf, tenant: tenant, back: back, only: [.approveExtension, .denyExtension]))
                    </div>
                    """
            }
            body += #"</section><section id="attention"><h2>待处理的督办(\#(attention.count))</h2>"#
            if attention.isEmpty { body += "<p>没有待安排的约谈或待审批的通报。</p>" }
            for record in attention {
                let what = record.state == "draft" ? "通报待领导审批" : record.state == "awaitingSchedule" ? "约谈待安排" : "无人接收通知"
                body += """
                    <div class="card">\(HTML.escape(record.actionName)) · \(department(record.department)) · \(HTML.escape(what))\
                    \(record.issue.map { #" · <a href="/web/\#(t)/issues/\#($0)">问题 #\#($0)</a>"# } ?? "")</div>
                    """
            }
            body += "</section>"
            return try page("专班总览", request, context, body)
        }
    }
}
