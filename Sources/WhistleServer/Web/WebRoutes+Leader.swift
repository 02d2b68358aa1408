import Foundation
import Hummingbird
import WhistleCore
import WhistleStore

extension WebRoutes {
    /// The leader's page (`/web/{t}/leader`): drafted public notices (通报批评) to approve or reject;
    /// and the place where rankings and charts of rates will go.
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
            // Rankings and charts of rates are added later (issue 7, second part): keep this section empty.
            body += #"<section id="rankings"><h2>统计排名</h2></section>"#
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
}
