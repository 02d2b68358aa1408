import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing
import WhistleCore
import WhistleStore
import WhistleTestSupport
@testable import WhistleServer

/// The web pages over plain HTTP (no browser): sign-in, the session cookie, CSRF, access rules
/// and escaping.
@Suite("Web pages: sessions, CSRF and access over HTTP")
struct WebPagesTests {
    let db: TestDatabase
    let routing: TenantRouting
    let admin: HTTPFields
    static let zone = TimeZone(identifier: "Asia/Shanghai")!
    static let now = ISOMoment.parse("2026-11-02T09:00:00+08:00", in: zone)!

    init() async throws {
        db = try await TestPostgres.migratedDatabase("web_pages")
        try await db.loadSampleConfiguration()
        routing = TenantRouting(try ConfigDirectory.read(TestPostgres.configDirectory))
        admin = [.authorization: "Bearer \(try await db.token("yongning", .admin))"]
    }

    func app() throws -> some ApplicationProtocol {
        try testApplication(db, routing: routing, clock: { Self.now })
    }

    /// A yongning 治乱 issue (zl-2: 县住建局 leads, 县综合执法局 and the town are responsible) through the API.
    func newIssue(_ client: some TestClientProtocol, description: String = "物业擅自签订服务合同") async throws -> [String: Any] {
        let body = try JSONSerialization.data(withJSONObject: [
            "channel": "whistle", "compound": "yanghe-c1-a", "type": "zl-2", "description": description,
            "reporter": ["name": "张三丰", "phone": "13812345678"],
        ])
        return try await client.execute(uri: "/v1/tenants/yongning/issues", method: .post, headers: admin, body: ByteBuffer(bytes: body)) { response in
            #expect(response.status == .created)
            return try responseJSON(response.body)
        }
    }

    func task(_ issue: [String: Any], of department: String) throws -> Int {
        let tasks = issue["tasks"] as? [[String: Any]] ?? []
        return try #require(tasks.first { $0["department"] as? String == department }?["id"] as? Int)
    }

    func taskState(_ id: Int) async throws -> String? {
        try await db.scalar("SELECT state FROM tasks WHERE task_id = \(id)", as: String.self)
    }

    static func cookieValue(_ setCookie: [String], _ name: String) -> String? {
        for header in setCookie where header.hasPrefix(name + "=") {
            let value = header.dropFirst(name.count + 1).prefix { $0 != ";" }
            return String(value)
        }
        return nil
    }

    static func csrf(in page: String) -> String? {
        guard let range = page.range(of: #"name="csrf" value="([0-9a-f]{64})""#, options: .regularExpression) else { return nil }
        return String(page[range].dropFirst(#"name="csrf" value=""#.count).dropLast())
    }

    static func form(_ fields: [String: String]) -> ByteBuffer {
        ByteBuffer(string: fields.map { "\($0.key)=\(HTML.urlComponent($0.value))" }.joined(separator: "&"))
    }

    static let formType: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    /// Signs in with `token` as a browser would: the form's double-submit value, then the POST.
    /// Returns the session cookie (`whistle_session=…`) and the sign-in answer's Set-Cookie headers.
    func signIn(_ client: some TestClientProtocol, _ token: String, extra: HTTPFields = [:]) async throws -> (cookie: String, setCookie: [String]) {
        let (signInValue, pageCSRF) = try await client.execute(uri: "/web/signin", method: .get, headers: extra) { response in
            #expect(response.status == .ok)
            return (Self.cookieValue(response.headers[values: .setCookie], WebSession.signInCookieName), Self.csrf(in: String(buffer: response.body)))
        }
        let value = try #require(signInValue)
        #expect(pageCSRF == value)
        var headers = Self.formType
        headers[.cookie] = "\(WebSession.signInCookieName)=\(value)"
        for field in extra { headers.append(field) }
        return try await client.execute(
            uri: "/web/signin", method: .post, headers: headers, body: Self.form(["csrf": value, "token": token])
        ) { response in
            #expect(response.status == .seeOther, "\(String(buffer: response.body))")
            let setCookie = response.headers[values: .setCookie]
            let session = try #require(Self.cookieValue(setCookie, WebSession.cookieName))
            return ("\(WebSession.cookieName)=\(session)", setCookie)
        }
    }

    /// GETs a page with a session cookie: status, body and Location.
    func get(_ client: some TestClientProtocol, _ uri: String, cookie: String?) async throws -> (status: HTTPResponse.Status, body: String, location: String?) {
        var headers = HTTPFields()
        if let cookie { headers[.cookie] = cookie }
        return try await client.execute(uri: uri, method: .get, headers: headers) { ($0.status, String(buffer: $0.body), $0.headers[.location]) }
    }

    func post(_ client: some TestClientProtocol, _ uri: String, cookie: String?, _ fields: [String: String]) async throws -> (status: HTTPResponse.Status, body: String, location: String?) {
        var headers = Self.formType
        if let cookie { headers[.cookie] = cookie }
        return try await client.execute(uri: uri, method: .post, headers: headers, body: Self.form(fields)) {
            ($0.status, String(buffer: $0.body), $0.headers[.location])
        }
    }

    @Test("HTML escaping turns markup into text")
    func escaping() {
        #expect(HTML.escape(#"<script>alert("x")</script> & 'y'"#) == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;")
        #expect(HTML.escape("吹哨报到") == "吹哨报到")
        #expect(WebForm.urlEncoded("a=1&b=%E4%B8%AD+x&c=&a=2") == ["a": "1", "b": "中 x", "c": ""])
        // Where a form may send the browser back to: our own pages only, nothing that splits a header.
        #expect(WebRoutes.isLocalPage("/web/yongning/inbox?done=x"))
        #expect(!WebRoutes.isLocalPage("https://evil.example/web/"))
        #expect(!WebRoutes.isLocalPage("/web//evil.example"))
        #expect(!WebRoutes.isLocalPage("/web/yongning/inbox\r\nSet-Cookie: a=b"))
        #expect(HTML.moment("2026-11-09T09:00:00+08:00") == "2026-11-09 09:00")
        #expect(HTML.actor("credential:12 张三(部门经办人)") == "张三(部门经办人)")
    }

    @Test("without a session every page redirects to sign-in; a wrong token is an error on the sign-in page")
    func signInRequired() async throws {
        try await app().test(.router) { client in
            for path in ["/web/yongning/inbox", "/web/yongning/office", "/web/yongning/leader", "/web/yongning/issues/1", "/web/yongning"] {
                let page = try await get(client, path, cookie: nil)
                #expect(page.status == .seeOther, "\(path)")
                #expect(page.location == "/web/signin?next=" + HTML.urlComponent(path), "\(path)")
            }
            #expect(try await get(client, "/web", cookie: nil).location == "/web/signin")
            // A cookie that names no session is no session.
            let forged = try await get(client, "/web/yongning/inbox", cookie: "\(WebSession.cookieName)=ws_forged")
            #expect(forged.status == .seeOther)

            let signInPage = try await get(client, "/web/signin", cookie: nil)
            #expect(signInPage.body.contains(#"<meta name="viewport""#))
            #expect(signInPage.body.contains("访问令牌"))
            let value = try #require(Self.csrf(in: signInPage.body))
            let wrong = try await post(
                client, "/web/signin", cookie: "\(WebSession.signInCookieName)=\(value)", ["csrf": value, "token": "wh_not-a-real-token"])
            #expect(wrong.status == .unauthorized)
            #expect(wrong.body.contains("令牌无效或已吊销"))
            #expect(wrong.body.contains(#"id="token""#))
            // The sign-in form itself must come from our page (login CSRF).
            let token = try await db.token("yongning", .office)
            let noCookie = try await post(client, "/web/signin", cookie: nil, ["csrf": value, "token": token])
            #expect(noCookie.status == .forbidden)
            #expect(try await db.scalar("SELECT count(*)::int FROM web_sessions", as: Int.self) == 0)
        }
    }

    @Test("the session cookie is HttpOnly, SameSite=Strict, Secure over TLS; only its SHA-256 is stored; sign-out ends it")
    func cookieAttributes() async throws {
        let token = try await db.token("yongning", .office, name: "专班小王")
        try await app().test(.router) { client in
            let plain = try await signIn(client, token)
            let plainCookie = try #require(plain.setCookie.first { $0.hasPrefix(WebSession.cookieName + "=") })
            #expect(plainCookie.contains("HttpOnly"))
            #expect(plainCookie.contains("SameSite=Strict"))
            #expect(plainCookie.contains("Path=/web"))
            #expect(!plainCookie.contains("Secure"))

            let tls = try await signIn(client, token, extra: [HTTPFields.Element.Name("X-Forwarded-Proto")!: "https"])
            let tlsCookie = try #require(tls.setCookie.first { $0.hasPrefix(WebSession.cookieName + "=") })
            #expect(tlsCookie.contains("; Secure"))
            #expect(tlsCookie.contains("HttpOnly"))
            #expect(tlsCookie.contains("SameSite=Strict"))

            let id = String(plain.cookie.dropFirst(WebSession.cookieName.count + 1))
            #expect(try await db.scalar("SELECT count(*)::int FROM web_sessions WHERE session_hash = encode(sha256(convert_to(\(id), 'UTF8')), 'hex')", as: Int.self) == 1)
            #expect(try await db.scalar("SELECT count(*)::int FROM web_sessions WHERE session_hash = \(id)", as: Int.self) == 0)

            let office = try await get(client, "/web/yongning/office", cookie: plain.cookie)
            #expect(office.status == .ok)
            #expect(office.body.contains("专班小王"))
            let csrf = try #require(Self.csrf(in: office.body))
            // Sign-out without the CSRF token changes nothing.
            #expect(try await post(client, "/web/signout", cookie: plain.cookie, [:]).status == .forbidden)
            #expect(try await get(client, "/web/yongning/office", cookie: plain.cookie).status == .ok)
            let out = try await post(client, "/web/signout", cookie: plain.cookie, ["csrf": csrf])
            #expect(out.status == .seeOther)
            #expect(out.location?.hasPrefix("/web/signin") == true)
            #expect(try await get(client, "/web/yongning/office", cookie: plain.cookie).status == .seeOther)
            #expect(try await db.scalar("SELECT count(*)::int FROM web_sessions WHERE session_hash = encode(sha256(convert_to(\(id), 'UTF8')), 'hex')", as: Int.self) == 0)
            // The other session (over TLS) is still open.
            #expect(try await get(client, "/web/yongning/office", cookie: tls.cookie).status == .ok)
        }
    }

    @Test("a session survives a restart of the daemon (a new application on the same database), and ends with its revoked credential")
    func survivesRestart() async throws {
        let token = try await db.token("yongning", .handler, department: "zhifa", name: "执法小李")
        let cookie = try await app().test(.router) { client in
            try await signIn(client, token).cookie
        }
        let second = try await TestDatabase.sameDatabase(as: db)
        let restarted = try testApplication(second, routing: routing, clock: { Self.now })
        try await restarted.test(.router) { client in
            let inbox = try await get(client, "/web/yongning/inbox", cookie: cookie)
            #expect(inbox.status == .ok)
            #expect(inbox.body.contains("执法小李"))
            let id = try #require(try await db.scalar("SELECT credential_id FROM credentials WHERE name = '执法小李'", as: Int64.self))
            #expect(try await CredentialStore(database: db.database).revoke(id))
            #expect(try await get(client, "/web/yongning/inbox", cookie: cookie).status == .seeOther)
        }
    }

    @Test("a POST without the CSRF token, or with a wrong one, is a 403 page and changes nothing; with it the action is done")
    func csrfChecked() async throws {
        let token = try await db.token("yongning", .handler, department: "zhifa")
        try await app().test(.router) { client in
            let issue = try await newIssue(client)
            let id = try task(issue, of: "zhifa")
            let session = try await signIn(client, token)
            let inbox = try await get(client, "/web/yongning/inbox", cookie: session.cookie)
            #expect(inbox.body.contains(#"id="state-\#(id)">已派单"#))
            let csrf = try #require(Self.csrf(in: inbox.body))

            let missing = try await post(client, "/web/yongning/tasks/\(id)/acknowledge", cookie: session.cookie, [:])
            #expect(missing.status == .forbidden)
            #expect(missing.body.contains("CSRF"))
            let wrong = try await post(client, "/web/yongning/tasks/\(id)/acknowledge", cookie: session.cookie, ["csrf": String(repeating: "0", count: 64)])
            #expect(wrong.status == .forbidden)
            // Another session's token is wrong for this one.
            let other = try await signIn(client, token)
            let otherCSRF = try #require(Self.csrf(in: try await get(client, "/web/yongning/inbox", cookie: other.cookie).body))
            #expect(otherCSRF != csrf)
            #expect(try await post(client, "/web/yongning/tasks/\(id)/acknowledge", cookie: session.cookie, ["csrf": otherCSRF]).status == .forbidden)
            // A multipart photo upload without the token writes no photo.
            let boundary = "web-test"
            var body = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n".utf8)
            body += PhotoAPITests.png + Array("\r\n--\(boundary)--\r\n".utf8)
            let upload = try await client.execute(
                uri: "/web/yongning/tasks/\(id)/photos", method: .post,
                headers: [.cookie: session.cookie, .contentType: "multipart/form-data; boundary=\(boundary)"], body: ByteBuffer(bytes: body)
            ) { $0.status }
            #expect(upload == .forbidden)
            #expect(try await taskState(id) == "dispatched")
            #expect(try await db.scalar("SELECT count(*)::int FROM events WHERE kind = 'task.acknowledge'", as: Int.self) == 0)
            #expect(try await db.scalar("SELECT count(*)::int FROM evidence", as: Int.self) == 0)

            let done = try await post(
                client, "/web/yongning/tasks/\(id)/acknowledge", cookie: session.cookie, ["csrf": csrf, "back": "/web/yongning/inbox"])
            #expect(done.status == .seeOther)
            #expect(done.location?.hasPrefix("/web/yongning/inbox?done=") == true)
            #expect(try await taskState(id) == "acknowledged")
            let after = try await get(client, try #require(done.location), cookie: session.cookie)
            #expect(after.body.contains(#"id="state-\#(id)">已签收"#))
            #expect(after.body.contains(#"id="notice""#))
        }
    }

    @Test("a handler of another department cannot see the task's issue page, its photos, nor act on it; the tenant of the path must be the session's")
    func otherDepartment() async throws {
        let police = try await db.token("yongning", .handler, department: "gaj")
        let zhifa = try await db.token("yongning", .handler, department: "zhifa")
        try await app().test(.router) { client in
            let issue = try await newIssue(client)
            let issueID = try #require(issue["id"] as? Int)
            let id = try task(issue, of: "zhifa")
            let session = try await signIn(client, police)
            let page = try await get(client, "/web/yongning/issues/\(issueID)", cookie: session.cookie)
            #expect(page.status == .forbidden)
            #expect(!page.body.contains("物业擅自签订服务合同"))
            let inbox = try await get(client, "/web/yongning/inbox", cookie: session.cookie)
            #expect(inbox.status == .ok)
            #expect(!inbox.body.contains("task-\(id)"))
            // Another department's inbox, the office's overview: refused as by the API.
            #expect(try await get(client, "/web/yongning/inbox?department=zhifa", cookie: session.cookie).status == .forbidden)
            #expect(try await get(client, "/web/yongning/office", cookie: session.cookie).status == .forbidden)
            #expect(try await get(client, "/web/yongning/leader", cookie: session.cookie).status == .forbidden)
            let csrf = try #require(Self.csrf(in: inbox.body))
            let refused = try await post(client, "/web/yongning/tasks/\(id)/acknowledge", cookie: session.cookie, ["csrf": csrf])
            #expect(refused.status == .forbidden)
            #expect(try await taskState(id) == "dispatched")
            // Another tenant in the path.
            #expect(try await get(client, "/web/wenchanghu/inbox", cookie: session.cookie).status == .forbidden)
            #expect(try await get(client, "/web/nowhere/inbox", cookie: session.cookie).status == .notFound)

            // The task's own department sees it, with the reporter masked as in the API.
            let own = try await signIn(client, zhifa)
            let ownPage = try await get(client, "/web/yongning/issues/\(issueID)", cookie: own.cookie)
            #expect(ownPage.status == .ok)
            #expect(ownPage.body.contains("张*"))
            #expect(ownPage.body.contains("138****5678"))
            #expect(!ownPage.body.contains("13812345678"))
            #expect(ownPage.body.contains(#"id="acknowledge-\#(id)""#))
        }
    }

    @Test("descriptions are escaped on every page; the office sees personal data; the leader's page ranks towns and departments, charts the rates and shows the campaigns")
    func escapedAndRoles() async throws {
        let office = try await db.token("yongning", .office)
        let leader = try await db.token("yongning", .leader)
        try await app().test(.router) { client in
            let issue = try await newIssue(client, description: #"<script>alert("x")</script>楼道堆物"#)
            let issueID = try #require(issue["id"] as? Int)
            let session = try await signIn(client, office)
            for path in ["/web/yongning/issues/\(issueID)", "/web/yongning/office", "/web/yongning/inbox"] {
                let page = try await get(client, path, cookie: session.cookie)
                #expect(page.status == .ok, "\(path)")
                // The overview shortens descriptions; the escaped markup shows wherever the text does.
                #expect(page.body.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;楼道堆"), "\(path)")
                #expect(!page.body.contains("<script"), "\(path)")
            }
            let issuePage = try await get(client, "/web/yongning/issues/\(issueID)", cookie: session.cookie)
            #expect(issuePage.body.contains("13812345678"))
            #expect(issuePage.body.contains("受理"))

            let leaderSession = try await signIn(client, leader)
            let leaderPage = try await get(client, "/web/yongning/leader", cookie: leaderSession.cookie)
            #expect(leaderPage.status == .ok)
            // One issue in 杨和镇 with three tasks, none rectified yet: every one ranked at 0 of 1.
            #expect(leaderPage.body.contains(#"<section id="rankings"><h2>统计排名（2026年11月，按问题上报时间）</h2>"#))
            #expect(leaderPage.body.contains(#"<table id="ranking-territories">"#) && leaderPage.body.contains(#"<table id="ranking-departments">"#))
            #expect(leaderPage.body.contains("<tr><td>1</td><td>杨和镇</td><td>0.0%（0/1）</td>"))
            #expect(leaderPage.body.components(separatedBy: "<td>0.0%（0/1）</td>").count - 1 == 4)  // the town and three departments
            #expect(leaderPage.body.contains(#"<svg class="chart""#))
            #expect(leaderPage.body.contains("永宁县2023年物业提升“123”专项行动") && leaderPage.body.contains("已达标 0 / 目标 6 个小区"))
            #expect(leaderPage.body.contains("未达成"))
            #expect(leaderPage.body.contains("待审批的通报批评"))
            let leaderIssue = try await get(client, "/web/yongning/issues/\(issueID)", cookie: leaderSession.cookie)
            #expect(leaderIssue.status == .ok)
            #expect(!leaderIssue.body.contains("13812345678"))
            #expect(!leaderIssue.body.contains(#"id="acknowledge-"#))
        }
    }
    @Test("a department disputes and asks for an extension from its inbox; the office rules on both from its overview")
    func disputeAndExtension() async throws {
        let zhifa = try await db.token("yongning", .handler, department: "zhifa")
        let zjj = try await db.token("yongning", .departmentLeader, department: "zjj")
        let office = try await db.token("yongning", .office)
        try await app().test(.router) { client in
            let issue = try await newIssue(client)
            let disputed = try task(issue, of: "zhifa")
            let extended = try task(issue, of: "zjj")

            let handler = try await signIn(client, zhifa)
            let handlerCSRF = try #require(Self.csrf(in: try await get(client, "/web/yongning/inbox", cookie: handler.cookie).body))
            // A dispute without a reason is refused with the lifecycle's answer, and nothing changes.
            let bare = try await post(client, "/web/yongning/tasks/\(disputed)/dispute", cookie: handler.cookie, ["csrf": handlerCSRF])
            #expect(bare.status == .unprocessableContent)
            #expect(bare.body.contains("reason"))
            #expect(try await taskState(disputed) == "dispatched")
            let dispute = try await post(
                client, "/web/yongning/tasks/\(disputed)/dispute", cookie: handler.cookie, ["csrf": handlerCSRF, "reason": "合同备案不属执法局职责"])
            #expect(dispute.status == .seeOther)
            #expect(try await taskState(disputed) == "disputed")

            let lead = try await signIn(client, zjj)
            let leadCSRF = try #require(Self.csrf(in: try await get(client, "/web/yongning/inbox", cookie: lead.cookie).body))
            #expect(try await post(client, "/web/yongning/tasks/\(extended)/acknowledge", cookie: lead.cookie, ["csrf": leadCSRF]).status == .seeOther)
            let asked = try await post(
                client, "/web/yongning/tasks/\(extended)/request-extension", cookie: lead.cookie,
                ["csrf": leadCSRF, "reason": "需业主大会表决", "until": "2026-11-20"])
            #expect(asked.status == .seeOther, "\(asked.body)")
            let pending = try await db.scalar("SELECT pending_extension_until FROM tasks WHERE task_id = \(extended)", as: Date.self)
            #expect(pending == ISOMoment.parse("2026-11-20T17:30:00+08:00", in: Self.zone))

            let session = try await signIn(client, office)
            let overview = try await get(client, "/web/yongning/office", cookie: session.cookie)
            #expect(overview.body.contains("退单待裁定(1)"))
            #expect(overview.body.contains("延期待审批(1)"))
            #expect(overview.body.contains("需业主大会表决"))
            #expect(overview.body.contains("申请延期至 2026-11-20 17:30"))
            #expect(overview.body.contains(#"id="reject-dispute-\#(disputed)""#))
            #expect(overview.body.contains(#"id="approve-extension-\#(extended)""#))
            let csrf = try #require(Self.csrf(in: overview.body))
            let ruled = try await post(
                client, "/web/yongning/tasks/\(disputed)/reject-dispute", cookie: session.cookie,
                ["csrf": csrf, "reason": "清单明确执法局为责任部门", "back": "/web/yongning/office"])
            #expect(ruled.location?.hasPrefix("/web/yongning/office?done=") == true)
            #expect(try await taskState(disputed) == "dispatched")
            #expect(try await post(client, "/web/yongning/tasks/\(extended)/approve-extension", cookie: session.cookie, ["csrf": csrf]).status == .seeOther)
            let due = try await db.scalar("SELECT rectify_due FROM tasks WHERE task_id = \(extended)", as: Date.self)
            #expect(due == ISOMoment.parse("2026-11-20T17:30:00+08:00", in: Self.zone))
            let after = try await get(client, "/web/yongning/office", cookie: session.cookie)
            #expect(after.body.contains("退单待裁定(0)"))
            #expect(after.body.contains("延期待审批(0)"))
        }
    }

    @Test("the leader approves a drafted public notice from the leader's page; the office may not, and a rejection needs a reason")
    func leaderDecides() async throws {
        let leader = try await db.token("yongning", .leader, name: "组长老张")
        let office = try await db.token("yongning", .office)
        try await app().test(.router) { client in
            let issue = try await newIssue(client)
            let issueID = try #require(issue["id"] as? Int)
            let taskID = try task(issue, of: "zhifa")
            // A draft as the ladder's 通报批评 rung leaves it (the ladder itself is EscalationEndToEndTests' business).
            let draft = try #require(try await db.scalar(
                """
                INSERT INTO escalations (tenant_id, task_id, issue_id, department_code, track, rung, action, due_at, fired_at, targets, state)
                VALUES ('yongning', \(taskID), \(issueID), 'zhifa', 'rectify', 'notice', 'publicNotice', now(), now(), '{}', 'draft')
                RETURNING escalation_id
                """, as: Int64.self))
            let officeSession = try await signIn(client, office)
            let officeCSRF = try #require(Self.csrf(in: try await get(client, "/web/yongning/office", cookie: officeSession.cookie).body))
            #expect(try await get(client, "/web/yongning/office", cookie: officeSession.cookie).body.contains("通报待领导审批"))
            let refused = try await post(client, "/web/yongning/escalations/\(draft)/approve", cookie: officeSession.cookie, ["csrf": officeCSRF])
            #expect(refused.status == .forbidden)
            #expect(try await db.scalar("SELECT state FROM escalations WHERE escalation_id = \(draft)", as: String.self) == "draft")

            let session = try await signIn(client, leader)
            let page = try await get(client, "/web/yongning/leader", cookie: session.cookie)
            #expect(page.body.contains("待审批的通报批评(1)"))
            #expect(page.body.contains(#"id="approve-\#(draft)""#))
            let csrf = try #require(Self.csrf(in: page.body))
            let noReason = try await post(client, "/web/yongning/escalations/\(draft)/reject", cookie: session.cookie, ["csrf": csrf])
            #expect(noReason.status == .unprocessableContent)
            #expect(noReason.body.contains("不同意通报须说明理由"))
            let approved = try await post(client, "/web/yongning/escalations/\(draft)/approve", cookie: session.cookie, ["csrf": csrf, "rowVersion": "1"])
            #expect(approved.status == .seeOther, "\(approved.body)")
            #expect(try await db.scalar("SELECT state FROM escalations WHERE escalation_id = \(draft)", as: String.self) == "approved")
            #expect(try await db.scalar("SELECT decided_by FROM escalations WHERE escalation_id = \(draft)", as: String.self)?.contains("组长老张") == true)
            let after = try await get(client, try #require(approved.location), cookie: session.cookie)
            #expect(after.body.contains("待审批的通报批评(0)"))
            #expect(after.body.contains("已同意"))
            // Deciding again is refused by the store's rules.
            #expect(try await post(client, "/web/yongning/escalations/\(draft)/approve", cookie: session.cookie, ["csrf": csrf]).status == .conflict)
        }
    }
    @Test("the office types a triaged issue from its page and it leaves the triage queue; a department may not")
    func triage() async throws {
        let office = try await db.token("yongning", .office)
        let zhifa = try await db.token("yongning", .handler, department: "zhifa")
        try await app().test(.router) { client in
            let body = ByteBuffer(string: #"{"channel": "hotline", "compound": "yanghe-c1-a", "description": "楼顶不明设施"}"#)
            let issueID = try await client.execute(uri: "/v1/tenants/yongning/issues", method: .post, headers: admin, body: body) { response in
                try #require(try responseJSON(response.body)["id"] as? Int)
            }
            let session = try await signIn(client, office)
            let overview = try await get(client, "/web/yongning/office", cookie: session.cookie)
            #expect(overview.body.contains("待分拨(1)"))
            #expect(overview.body.contains("楼顶不明设施"))
            let page = try await get(client, "/web/yongning/issues/\(issueID)", cookie: session.cookie)
            #expect(page.body.contains(#"id="classify""#))
            #expect(page.body.contains("待分拨"))
            let csrf = try #require(Self.csrf(in: page.body))

            let handler = try await signIn(client, zhifa)
            let handlerCSRF = try #require(Self.csrf(in: try await get(client, "/web/yongning/inbox", cookie: handler.cookie).body))
            let refused = try await post(client, "/web/yongning/issues/\(issueID)/classify", cookie: handler.cookie, ["csrf": handlerCSRF, "type": "zl-2"])
            #expect(refused.status == .forbidden)
            #expect(try await db.scalar("SELECT state FROM issues WHERE issue_id = \(issueID)", as: String.self) == "triage")

            let unknown = try await post(client, "/web/yongning/issues/\(issueID)/classify", cookie: session.cookie, ["csrf": csrf, "type": "no-such-type"])
            #expect(unknown.status.code >= 400)
            let typed = try await post(client, "/web/yongning/issues/\(issueID)/classify", cookie: session.cookie, ["csrf": csrf, "type": "zl-2", "rowVersion": "1"])
            #expect(typed.status == .seeOther, "\(typed.body)")
            #expect(try await db.scalar("SELECT state FROM issues WHERE issue_id = \(issueID)", as: String.self) == "open")
            #expect(try await db.scalar("SELECT count(*)::int FROM tasks WHERE issue_id = \(issueID)", as: Int.self) == 3)
            let after = try await get(client, try #require(typed.location), cookie: session.cookie)
            #expect(after.body.contains("已分拨:3 个部门"))
            #expect(try await get(client, "/web/yongning/office", cookie: session.cookie).body.contains("待分拨(0)"))
        }
    }
}
