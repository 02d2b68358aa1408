import Foundation
import Hummingbird
import WhistleCore
import WhistleStore

extension WebRoutes {
    /// A department's inbox (`/web/{t}/inbox`; the office and leaders may name `?department=`), and
    /// the forms it posts: a task's actions and its after-photos.
    func addInbox(to pages: RouterGroup<WhistleRequestContext>) {
        pages.get("inbox") { request, context -> Response in
            let principal = try context.caller()
            let (tenant, routing) = try self.routing.tenant(context)
            var query = IssueStore.InboxQuery(limit: 100)
            query.department = try DirectoryRoutes.codeParameter(request, "department") ?? (principal.role.isDepartmentRole ? principal.department : nil)
            _ = try context.require(.readInbox(department: query.department))
            query.overdue = request.uri.queryParameters["overdue"] == "true"
            let (items, _) = try await issues.inbox(query, tenant: tenant, zone: routing.timeZone, now: clock())
            let name = query.department.map { routing.departmentNames[$0] ?? $0 } ?? "全部部门"
            var body = Self.notice(request)
            body += "<section><p>\(HTML.escape(name)):\(items.count) 项在办任务"
            body += query.overdue ? #"(仅超期) · <a href="?">全部</a>"# : #" · <a href="?overdue=true\#(query.department.map { "&department=" + HTML.urlComponent($0) } ?? "")">只看超期</a>"#
            body += "</p></section>"
            if items.isEmpty { body += #"<section><p id="empty">暂无任务。</p></section>"# }
            for item in items {
                body += taskCard(item, principal: principal, csrf: WebSession.csrf(request), routing: routing, back: "/web/\(HTML.urlComponent(tenant))/inbox")
            }
            return try page("任务收件箱", request, context, body)
        }
        pages.post("tasks/:id/photos") { request, context -> Response in
            let principal = try context.caller()
            let (tenant, _) = try self.routing.tenant(context)
            let id = try TaskRoutes.id(context)
            let form = try await form(request)
            let photos = try await photoRoutes.photos(request)
            let (issueID, records) = try await IssueRoutes.mapping {
                try await issues.addPhotos(photos, issue: nil, task: id, tenant: tenant, now: clock(), actor: principal.actor) { department in
                    guard let department, AccessPolicy.allows(principal, .task(.rectify, department: department)) else {
                        throw Problem.forbidden("只有任务所属部门可以上传整改照片。")
                    }
                }
            }
            let fallback = "/web/\(HTML.urlComponent(tenant))/issues/\(issueID)"
            return HTML.redirect(Self.withNotice(Self.back(form, fallback: fallback), "已上传 \(records.count) 张整改照片(任务 \(id))"))
        }
        pages.post("tasks/:id/:action") { request, context -> Response in
            let principal = try context.caller()
            let (tenant, routing) = try self.routing.tenant(context)
            let id = try TaskRoutes.id(context)
            let name = context.parameters.get("action") ?? ""
            guard let action = TaskAction(rawValue: name) else { throw Problem.notFound("没有“\(name)”这个操作。") }
            let form = try await form(request)
            var until: Date?
            if let text = form.text("until") {
                // A date picker gives a day: the extension runs to the end of that working day.
                until = try RequestBody.moment(text.count == 10 ? text + "T17:30:00" : text, field: "until", zone: routing.timeZone)
            }
            let input = IssueStore.ActionInput(
                reason: form.text("reason"), measures: form.text("measures"), until: until, reassignTo: form.text("reassignTo"), note: form.text("note"),
                rowVersion: form.text("rowVersion").flatMap(Int.init))
            let issue = try await IssueRoutes.mapping {
                try await issues.act(
                    action, task: id, input: input, tenant: tenant, routing: routing, now: clock(), actor: principal.actor,
                    unmasked: AccessPolicy.allows(principal, .seePersonalData)
                ) { department in
                    guard AccessPolicy.allows(principal, .task(action, department: department)) else {
                        throw Problem.forbidden("角色“\(principal.role.chineseName)”\(principal.department.map { "(\($0))" } ?? "")不能对部门“\(department)”的任务执行“\(action.chineseName)”。")
                    }
                }
            }
            let fallback = "/web/\(HTML.urlComponent(tenant))/issues/\(issue.id)"
            return HTML.redirect(Self.withNotice(Self.back(form, fallback: fallback), "任务 \(id):已\(action.chineseName)"))
        }
    }

    /// What an action's form asks for besides the button.
    static func fields(_ action: TaskAction) -> String {
        switch action {
        case .rectify: return #"<input type="text" name="measures" placeholder="整改措施" required>"#
        case .dispute: return #"<input type="text" name="reason" placeholder="退单理由" required>"#
        case .reject, .rejectDispute, .denyExtension: return #"<input type="text" name="reason" placeholder="理由" required>"#
        case .requestExtension:
            return #"<input type="text" name="reason" placeholder="延期理由" required><input type="date" name="until" required>"#
        case .upholdDispute: return #"<input type="text" name="reassignTo" placeholder="改派部门代码(可空)">"#
        default: return ""
        }
    }

    /// The forms of the actions `principal` may take on a task in `state` (the lifecycle's rules and the role matrix).
    func actionForms(
        task: Int64, department: String, state: String, rowVersion: Int?, principal: Principal, csrf: String, tenant: String, back: String,
        only: Set<TaskAction>? = nil
    ) -> String {
        let lifecycle = TaskState(rawValue: state).map(TaskLifecycle.allowedActions(in:)) ?? []
        let mine = lifecycle.filter { AccessPolicy.allows(principal, .task($0, department: department)) && (only?.contains($0) ?? true) }
        let t = HTML.urlComponent(tenant)
        var html = ""
        for action in mine {
            html += """
                <form method="post" action="/web/\(t)/tasks/\(task)/\(action.rawValue)" class="action">\(HTML.csrfField(csrf))\
                \(rowVersion.map { #"<input type="hidden" name="rowVersion" value="\#($0)">"# } ?? "")<input type="hidden" name="back" value="\(HTML.escape(back))">\
                \(Self.fields(action))<button type="submit" id="\(action.rawValue)-\(task)">\(HTML.escape(action.chineseName))</button></form>
                """
        }
        // After-photos: whoever may rectify the task, while it is live.
        if only == nil, AccessPolicy.allows(principal, .task(.rectify, department: department)), !["closed", "withdrawn", "verified"].contains(state) {
            html += """
                <form method="post" action="/web/\(t)/tasks/\(task)/photos" enctype="multipart/form-data" class="action">\(HTML.csrfField(csrf))\
                <input type="hidden" name="back" value="\(HTML.escape(back))">\
                <input type="file" name="photo" id="photo-\(task)" accept="image/jpeg,image/png,image/webp" multiple required>\
                <button type="submit" id="upload-\(task)">上传整改照片</button></form>
                """
        }
        return html
    }

    /// One inbox line as a card: the issue, the state, the deadlines and the forms.
    func taskCard(_ item: IssueStore.InboxItem, principal: Principal, csrf: String, routing: TenantRouting.Tenant, back: String) -> String {
        let t = HTML.urlComponent(principal.tenant)
        let state = TaskState(rawValue: item.state)?.chineseName ?? item.state
        return """
            <div class="card" id="task-\(item.task)">
            <div><a href="/web/\(t)/issues/\(item.issue)">问题 #\(item.issue)</a> · 任务 #\(item.task) · \
            <span class="state" id="state-\(item.task)">\(HTML.escape(state))</span>\(item.overdue ? #" <span class="overdue">超期</span>"# : "")</div>
            <div>\(HTML.escape(item.description))</div>
            <div class="muted">\(HTML.escape(routing.departmentNames[item.department] ?? item.department)) · \(HTML.escape(TaskRole(rawValue: item.role)?.chineseName ?? item.role)) · \
            \(Self.compoundName(item.compound, routing)) · 签收时限 \(HTML.moment(item.acknowledgeDue)) · 整改时限 \(HTML.moment(item.rectifyDue))</div>
            \(actionForms(task: item.task, department: item.department, state: item.state, rowVersion: item.rowVersion, principal: principal, csrf: csrf, tenant: principal.tenant, back: back))
            </div>
            """
    }
}
