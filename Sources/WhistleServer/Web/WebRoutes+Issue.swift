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
                <tr><th>小区</th><td>\(HTML.escape(issue.compound))\(issue.building.map { " · " + HTML.escape($0) } ?? "")\(issue.household.map { " · " + HTML.escape($0) } ?? "")</td></tr>
                <tr><th>渠道</th><td>\(HTML.escape(issue.channel))</td></tr>
                <tr><th>上报时间</th><td>\(HTML.moment(issue.reportedAt))</td></tr>
                <tr><th>上报人</th><td id="reporter">\(HTML.escape(issue.reporter.name ?? "—")) \(HTML.escape(issue.reporter.phone ?? ""))</td></tr>
                \(issue.triage.map { "<tr><th>待分拨</th><td>\(HTML.escape($0.message))</td></tr>" } ?? "")
                </table></section>
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
        pages.get("photos/:sha256") { _, context -> Response in
            let principal = try context.caller()
            let (tenant, routing) = try self.routing.tenant(context)
            let sha = context.parameters.get("sha256") ?? ""
            guard sha.count == 64, sha.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
                throw Problem.invalidParameter("sha256", "须为 64 位小写十六进制")
            }
            guard let photo = try await issues.photo(sha, tenant: tenant) else { throw Problem.notFound("没有这张照片。") }
            var allowed = false
            for issueID in photo.issues where !allowed {
                if let issue = try await issues.issue(issueID, tenant: tenant, zone: routing.timeZone) {
                    allowed = AccessPolicy.allows(principal, issue.readAccess)
                }
            }
            guard allowed else { throw Problem.forbidden("无权查看这张照片。") }
            return Response(
                status: .ok, headers: [.contentType: photo.contentType, .cacheControl: "private, max-age=31536000, immutable"],
                body: .init(byteBuffer: photo.bytes))
        }
    }

    /// Events by their Chinese names; unknown kinds as they are.
    static func eventName(_ kind: String) -> String {
        if kind.hasPrefix("task."), let action = TaskAction(rawValue: String(kind.dropFirst(5))) { return action.chineseName }
        let names = [
            "issue.received": "受理", "issue.triaged": "进入待分拨", "task.dispatched": "派单", "issue.closed": "问题办结", "photo.added": "上传照片",
            "issue.reclassified": "重新分类", "issue.merged": "合并", "task.escalated": "督办升级", "issue.reopened": "重新打开",
            "issue.returnVisit": "回访", "task.handedOff": "交接班", "issue.possibleDuplicate": "疑似重复",
        ]
        return names[kind] ?? kind
    }
}
