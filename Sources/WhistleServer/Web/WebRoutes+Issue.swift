import Foundation
import Hummingbird
import WhistleCore
import WhistleStore

extension WebRoutes {
    /// An issue's page (`/web/{t}/issues/{id}`): what was reported (residents' data masked as in the
    /// API), its tasks with the actions the caller may take, its photos and its timeline; and the
    /// photos themselves (`/web/{t}/photos/{sha256}`), to whoever may read one of their issues.
    func addIssue(to pages: RouterGroup<WhistleRequestContext>) {
        pages.get("issues/:id") { request, context -> Response in
            let principal = try context.caller()
            let (tenant, routing) = try self.routing.tenant(context)
            let id = try IssueRoutes.id(context)
            guard let issue = try await issues.issue(id, tenant: tenant, zone: routing.timeZone, unmasked: AccessPolicy.allows(principal, .seePersonalData))
            else { throw Problem.notFound("没有编号为 \(id) 的问题。") }
            _ = try context.require(issue.readAccess)
            let events = try await issues.timeline(id, tenant: tenant, zone: routing.timeZone) ?? []
            let csrf = WebSession.csrf(request)
            let t = HTML.urlComponent(tenant)
            let back = "/web/\(t)/issues/\(id)"
            let states = ["triage": "待分拨", "open": "办理中", "closed": "已办结"]
            var body = Self.notice(request)
            body += """
                <section id="issue"><p id="description">\(HTML.escape(issue.description))</p>
                <table>
                <tr><th>状态</th><td id="issue-state">\(HTML.escape(states[issue.state] ?? issue.state))</td></tr>
                <tr><th>问题事项</th><td>\(HTML.escape(issue.typeName ?? issue.type ?? "未分类"))</td></tr>
                <tr><th>小区</th><td>\(Self.compoundName(issue.compound, routing))\(issue.building.map { " · " + HTML.escape($0) } ?? "")\(issue.household.map { " · " + HTML.escape($0) } ?? "")</td></tr>
                <tr><th>渠道</th><td>\(HTML.escape(issue.channel))</td></tr>
                <tr><th>上报时间</th><td>\(HTML.moment(issue.reportedAt))</td></tr>
                <tr><th>上报人</th><td id="reporter">\(HTML.escape(issue.reporter.name ?? "—")) \(HTML.escape(issue.reporter.phone ?? ""))</td></tr>
                \(issue.triage.map { "<tr><th>待分拨</th><td>\(HTML.escape($0.message))</td></tr>" } ?? "")
                </table>
                \(officeForms(issue, principal: principal, csrf: csrf))</section>
                <section id="tasks"><h2>任务</h2>
                """
            for task in issue.tasks {
                let state = TaskState(rawValue: task.state)?.chineseName ?? task.state
                body += """
                    <div class="card" id="task-\(task.id)"><div>任务 #\(task.id) · \(HTML.escape(task.departmentName)) · \(HTML.escape(task.roleName)) · \
                    <span class="state" id="state-\(task.id)">\(HTML.escape(state))</span></div>
                    <div class="muted">签收时限 \(HTML.moment(task.acknowledgeDue)) · 整改时限 \(HTML.moment(task.rectifyDue))\
                    \(task.pendingExtension.map { " · 申请延期至 " + HTML.moment($0) } ?? "")</div>
                    \(task.measures.map { "<div>整改措施:\(HTML.escape($0))</div>" } ?? "")\
                    \(task.disputeReason.map { "<div>退单理由:\(HTML.escape($0))</div>" } ?? "")\
                    \(task.rejectionReason.map { "<div>验收不通过:\(HTML.escape($0))</div>" } ?? "")
                    \(actionForms(task: task.id, department: task.department, state: task.state, rowVersion: task.rowVersion, principal: principal, csrf: csrf, tenant: tenant, back: back))
                    </div>
                    """
            }
            body += #"</section><section id="photos"><h2>照片</h2>"#
            if issue.photos.isEmpty { body += "<p>暂无照片。</p>" }
            for photo in issue.photos {
                let label = photo.kind == "after" ? "整改后" + (photo.task.map { "(任务 #\($0))" } ?? "") : "整改前"
                body += """
                    <figure><img class="photo" src="/web/\(t)/photos/\(HTML.escape(photo.sha256))" alt="\(HTML.escape(label))">\
                    <figcaption class="muted">\(HTML.escape(label))</figcaption></figure>
                    """
            }
            body += #"</section><section id="timeline"><h2>办理记录</h2><table>"#
            for event in events {
                body += """
                    <tr><td class="muted">\(HTML.moment(event.occurredAt))</td><td>\(HTML.escape(Self.eventName(event.kind)))</td>\
                    <td class="muted">\(HTML.actor(event.actor))</td></tr>
                    """
            }
            body += "</table></section>"
            return try page("问题 #\(id)", request, context, body)
        }
        pages.post("issues/:id/classify") { request, context -> Response in
            let principal = try context.require(.classify)
            let (tenant, routing) = try self.routing.tenant(context)
            let id = try IssueRoutes.id(context)
            let form = try await form(request)
            guard let type = form.text("type") else { throw Problem.unprocessable("type", "必须填写问题类型代码") }
            let issue = try await IssueRoutes.mapping {
                try await issues.classify(
                    id, type: type, expectedVersion: form.text("rowVersion").flatMap(Int.init), tenant: tenant, routing: routing, now: clock(),
                    actor: principal.actor, unmasked: AccessPolicy.allows(principal, .seePersonalData))
            }
            return HTML.redirect(Self.withNotice("/web/\(HTML.urlComponent(tenant))/issues/\(id)", "已分拨:\(issue.tasks.filter { $0.state != "withdrawn" }.count) 个部门"))
        }
        pages.post("issues/:id/return-visit") { request, context -> Response in
            let principal = try context.require(.returnVisit)
            let (tenant, routing) = try self.routing.tenant(context)
            let id = try IssueRoutes.id(context)
            let form = try await form(request)
            guard let given = form.text("satisfaction"), let satisfaction = TaskRoutes.satisfaction[given] else {
                throw Problem.unprocessable("satisfaction", "须为 满意、基本满意 或 不满意")
            }
            _ = try await IssueRoutes.mapping {
                try await issues.returnVisit(
                    id, satisfaction: satisfaction, note: form.text("note"), tenant: tenant, routing: routing, now: clock(), actor: principal.actor,
                    unmasked: AccessPolicy.allows(principal, .seePersonalData))
            }
            return HTML.redirect(Self.withNotice("/web/\(HTML.urlComponent(tenant))/issues/\(id)", "已记录回访:\(given)"))
        }
        pages.get("photos/:sha256") { _, context -> Response in
            try await PhotoRoutes.photo(context, routing: routing, store: issues)
        }
    }

    /// The office's forms on an issue: give a triaged (or wrongly typed) issue its type, and the
    /// return visit (回访) of a closed one.
    func officeForms(_ issue: IssueRecord, principal: Principal, csrf: String) -> String {
        let action = "/web/\(HTML.urlComponent(issue.tenant))/issues/\(issue.id)"
        var html = ""
        if AccessPolicy.allows(principal, .classify), issue.state != "closed" {
            html += """
                <form method="post" action="\(action)/classify" class="action">\(HTML.csrfField(csrf))\
                <input type="hidden" name="rowVersion" value="\(issue.rowVersion)">\
                <input type="text" name="type" id="type" placeholder="问题事项代码" value="\(HTML.escape(issue.type ?? ""))" required>\
                <button type="submit" id="classify">\(issue.type == nil ? "分拨" : "重新分类")</button></form>
                """
        }
        if AccessPolicy.allows(principal, .returnVisit), issue.state == "closed" {
            html += """
                <form method="post" action="\(action)/return-visit" class="action">\(HTML.csrfField(csrf))\
                <select name="satisfaction" id="satisfaction"><option>满意</option><option>基本满意</option><option>不满意</option></select>\
                <input type="text" name="note" placeholder="回访记录"><button type="submit" id="return-visit">记录回访</button></form>
                """
        }
        return html
    }

    /// Events by their Chinese names; unknown kinds as they are.
    static func eventName(_ kind: String) -> String {
        if kind.hasPrefix("task."), let action = TaskAction(rawValue: String(kind.dropFirst(5))) { return action.chineseName }
        let names = [
            "issue.received": "受理", "issue.triaged": "进入待分拨", "task.dispatched": "派单", "issue.closed": "问题办结", "photo.added": "上传照片",
            "issue.reclassified": "重新分类", "issue.merged": "合并", "task.escalated": "督办升级", "issue.reopened": "重新打开",
            "issue.returnVisit": "回访", "task.handedOff": "交接班", "issue.possibleDuplicate": "疑似重复",
            "task.deadlineUnset": "整改期限暂未能计算", "task.unnotified": "派单通知无人可达", "task.deadlineSet": "补定整改期限", "escalation.unscheduled": "督办升级暂停",
            "escalation.rescheduled": "督办升级恢复", "task.handoffFailed": "交接班未成", "task.handoffResumed": "恢复交接班",
        ]
        return names[kind] ?? kind
    }
}
