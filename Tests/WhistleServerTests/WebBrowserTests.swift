import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing
import WhistleCore
import WhistleStore
import WhistleTestSupport
@testable import WhistleServer

/// The web pages in a real headless browser (Debian's chromium through selenium): a department's
/// day (sign in, report in, upload a photo, mark rectified), then the office's overview and the
/// leader's page, each saved as a screenshot under `.build/screenshots/`.
@Suite("Web pages in a headless browser")
struct WebBrowserTests {
    let db: TestDatabase
    let routing: TenantRouting
    let admin: HTTPFields
    static let zone = TimeZone(identifier: "Asia/Shanghai")!
    static let now = ISOMoment.parse("2026-11-02T09:00:00+08:00", in: zone)!

    init() async throws {
        db = try await TestPostgres.migratedDatabase("web_browser")
        try await db.loadSampleConfiguration()
        routing = TenantRouting(try ConfigDirectory.read(TestPostgres.configDirectory))
        admin = [.authorization: "Bearer \(try await db.token("yongning", .admin))"]
    }

    func intake(_ client: some TestClientProtocol, _ fields: [String: Any]) async throws -> [String: Any] {
        let body = try JSONSerialization.data(withJSONObject: fields)
        return try await client.execute(uri: "/v1/tenants/yongning/issues", method: .post, headers: admin, body: ByteBuffer(bytes: body)) { response in
            #expect(response.status == .created)
            return try responseJSON(response.body)
        }
    }

    @Test("a department's day and the office's overview, clicked through in chromium; the database agrees")
    func departmentDay() async throws {
        // Fails (does not skip) without the browser: scripts/test installs it.
        try Browser.requireInstalled()
        let handler = try await db.token("yongning", .handler, department: "zhifa", name: "执法队员小李")
        let office = try await db.token("yongning", .office, name: "专班小王")
        let leader = try await db.token("yongning", .leader, name: "组长老张")
        let app = try testApplication(db, routing: routing, clock: { Self.now })
        let acted = try await app.test(.live) { client -> Int in
            let port = try #require(client.port)
            let issue = try await intake(client, [
                "channel": "whistle", "compound": "yanghe-c1-a", "type": "zl-2", "description": "物业擅自签订服务合同<b>加粗</b>",
                "reporter": ["name": "张三丰", "phone": "13812345678"],
            ])
            let issueID = try #require(issue["id"] as? Int)
            let tasks = issue["tasks"] as? [[String: Any]] ?? []
            let taskID = try #require(tasks.first { $0["department"] as? String == "zhifa" }?["id"] as? Int)
            let triage = try await intake(client, ["channel": "hotline", "compound": "yanghe-c1-a", "description": "楼顶不明设施待分拨"])
            let triageID = try #require(triage["id"] as? Int)
            #expect(triage["state"] as? String == "triage")

            let (status, output, errors) = try await Browser.run(
                Self.script,
                arguments: ["http://localhost:\(port)", handler, office, leader, String(taskID), String(issueID), String(triageID)])
            try #require(status == 0, "the browser's day failed:\n\(errors)\n\(String(decoding: output, as: UTF8.self))")
            let seen = try #require(JSONSerialization.jsonObject(with: output) as? [String: Any], "\(String(decoding: output, as: UTF8.self))")
            #expect(seen["afterSignIn"] as? String == "/web/yongning/inbox")
            #expect(seen["stateAfterAcknowledge"] as? String == "已签收")
            #expect(seen["stateAfterRectify"] as? String == "已整改待验收")
            #expect((seen["photoWidth"] as? Int ?? 0) == 4)
            #expect((seen["officeLadderRow"] as? String)?.contains("已整改待验收") == true)
            #expect((seen["officeTriage"] as? String)?.contains("楼顶不明设施待分拨") == true)
            #expect(seen["stateAfterVerify"] as? String == "已验收")
            #expect(seen["triagedState"] as? String == "办理中")
            #expect(try await db.scalar("SELECT state FROM issues WHERE issue_id = \(triageID)", as: String.self) == "open")
            #expect(seen["rankings"] as? String == "统计排名（2026年11月，按问题上报时间）")
            // 执法队员小李 rectified one of 综合执法局's two tasks (the office's typing of the triaged
            // issue gave it the second): first of the departments at 1 of 2, the others at 0.
            #expect(seen["topDepartment"] as? String == "1 永宁县综合执法局 50.0%（1/2） — 100.0% 0")
            #expect((seen["chartPoints"] as? Int ?? 0) >= 2)
            for page in ["signin", "inbox", "issue", "office", "leader"] {
                let file = Browser.screenshots.appendingPathComponent("\(page).png")
                let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0
                #expect(size > 1000, "screenshot \(file.path)")
            }
            return taskID
        }
        // What the clicks did, as the database has it.
        #expect(try await db.scalar("SELECT state FROM tasks WHERE task_id = \(acted)", as: String.self) == "verified")
        #expect(try await db.scalar("SELECT measures FROM tasks WHERE task_id = \(acted)", as: String.self) == "已拆除违规公示牌并重新公示合同")
        #expect(try await db.scalar("SELECT count(*)::int FROM tasks WHERE state NOT IN ('dispatched', 'withdrawn') AND task_id <> \(acted)", as: Int.self) == 0)
        #expect(try await db.scalar("SELECT count(*)::int FROM evidence WHERE kind = 'after'", as: Int.self) == 1)
        for kind in ["task.acknowledge", "task.rectify", "photo.added", "task.verify"] {
            #expect(try await db.scalar("SELECT count(*)::int FROM events WHERE kind = \(kind) AND actor LIKE '%(%'", as: Int.self) == 1, "\(kind)")
        }
        #expect(try await db.scalar("SELECT actor FROM events WHERE kind = 'task.acknowledge'", as: String.self)?.contains("执法队员小李") == true)
        #expect(try await db.scalar("SELECT actor FROM events WHERE kind = 'task.verify'", as: String.self)?.contains("专班小王") == true)
    }

    /// The browser's side: argv = chromium, chromedriver, screenshot folder, base URL, the handler's,
    /// the office's and the leader's tokens, the task, its issue, the triage issue. Prints what it
    /// saw as JSON; any assertion that fails exits non-zero with the page's text.
    static let script = #"""
        import json, struct, sys, tempfile, zlib, os
        from selenium import webdriver
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.ui import WebDriverWait

        chromium, chromedriver, shots, base, handler, office, leader, task, issue, triage = sys.argv[1:11]
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=412,1400", "--lang=zh-CN"]:
            options.add_argument(argument)
        driver = webdriver.Chrome(service=Service(chromedriver), options=options)
        driver.set_page_load_timeout(30)
        seen = {}

        def png(width, height):
            """A real PNG (red pixels), so the browser can decode the uploaded photo."""
            def chunk(kind, data):
                return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
            rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
            return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                    + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))

        def check(condition, what):
            if not condition:
                sys.stderr.write("FAILED: " + what + "\nat " + driver.current_url + "\n" + driver.find_element(By.TAG_NAME, "body").text + "\n")
                driver.save_screenshot(os.path.join(shots, "failure.png"))
                driver.quit()
                sys.exit(1)

        def path():
            return driver.current_url[len(base):].split("?")[0]

        def text(id):
            return driver.find_element(By.ID, id).text

        def click(by, value):
            """Clicks what submits a form or follows a link, and waits for the next page."""
            old = driver.find_element(By.TAG_NAME, "html")
            driver.find_element(by, value).click()
            # The old page is gone once asking about its root fails; during the navigation chromium may
            # answer with another error than a stale reference, which means the same.
            def gone(_):
                try:
                    old.is_enabled()
                    return False
                except WebDriverException:
                    return True
            WebDriverWait(driver, 20).until(gone)

        def sign_in(token):
            driver.find_element(By.ID, "token").send_keys(token)
            click(By.ID, "signin")

        def shot(name):
            driver.save_screenshot(os.path.join(shots, name + ".png"))

        try:
            # A department's handler opens its inbox: no session yet, so the sign-in page comes first.
            driver.get(base + "/web/yongning/inbox")
            check(path() == "/web/signin", "redirected to sign-in, not " + path())
            check(driver.execute_script("return document.querySelector('meta[name=viewport]') !== null"), "viewport meta")
            shot("signin")
            sign_in("wh_wrong")
            check("令牌无效或已吊销" in text("error"), "a wrong token is refused on the sign-in page")
            sign_in(handler)
            seen["afterSignIn"] = path()
            check("执法队员小李" in driver.find_element(By.TAG_NAME, "header").text, "the header names the handler")
            check(text("state-" + task) == "已派单", "the task waits to be acknowledged")
            check("物业擅自签订服务合同<b>加粗</b>" in text("task-" + task), "the description shows as text, markup escaped")
            shot("inbox")

            # Report in (签收).
            click(By.ID, "acknowledge-" + task)
            seen["stateAfterAcknowledge"] = text("state-" + task)
            check("已签收" in text("notice"), "the inbox says the task was acknowledged")

            # Upload an after-photo.
            photo = os.path.join(tempfile.mkdtemp(), "after.png")
            with open(photo, "wb") as f:
                f.write(png(4, 3))
            driver.find_element(By.ID, "photo-" + task).send_keys(photo)
            click(By.ID, "upload-" + task)
            check("已上传 1 张整改照片" in text("notice"), "the upload is confirmed")

            # Mark rectified, with the measures taken.
            form = driver.find_element(By.ID, "rectify-" + task).find_element(By.XPATH, "./ancestor::form")
            form.find_element(By.NAME, "measures").send_keys("已拆除违规公示牌并重新公示合同")
            click(By.ID, "rectify-" + task)
            seen["stateAfterRectify"] = text("state-" + task)
            check(len(driver.find_elements(By.ID, "acknowledge-" + task)) == 0, "no acknowledge button once rectified")

            # The issue's page: the photo (decoded by the browser), the measures, the timeline.
            click(By.CSS_SELECTOR, "#task-" + task + " a")
            check(path() == "/web/yongning/issues/" + issue, "the issue's page, not " + path())
            timeline = text("timeline")
            for step in ["受理", "派单", "签收", "上传照片", "整改完成"]:
                check(step in timeline, "the timeline lists " + step)
            check("已拆除违规公示牌并重新公示合同" in text("task-" + task), "the measures show on the issue's page")
            check("138****5678" in text("reporter"), "the reporter's phone is masked for a department")
            image = driver.find_element(By.CSS_SELECTOR, "#photos img.photo")
            seen["photoWidth"] = driver.execute_script("return arguments[0].naturalWidth", image)
            shot("issue")

            # Sign out; the inbox asks for a sign-in again.
            click(By.CSS_SELECTOR, "header form button")
            check(path() == "/web/signin", "signed out")
            driver.get(base + "/web/yongning/inbox")
            check(path() == "/web/signin", "the session is over")

            # The office: its overview shows the task on the ladder and the triage queue.
            sign_in(office)
            check(path() == "/web/yongning/inbox", "back to the page asked for, not " + path())
            driver.get(base + "/web/yongning/office")
            seen["officeLadderRow"] = text("ladder-" + task)
            seen["officeTriage"] = text("triage")
            check("县综合执法局" in text("by-department") or "zhifa" in text("by-department"), "the department is counted")
            check("待分拨(1)" in seen["officeTriage"], "one issue waits for triage")
            shot("office")
            # The triage queue: the office gives the hotline's report its type.
            click(By.CSS_SELECTOR, "#triage a")
            check(path() == "/web/yongning/issues/" + triage, "the triaged issue's page, not " + path())
            driver.find_element(By.ID, "type").send_keys("zl-2")
            click(By.ID, "classify")
            check("已分拨" in text("notice"), "the issue is dispatched")
            seen["triagedState"] = text("issue-state")
            # The office verifies the rectification from the issue's page.
            driver.get(base + "/web/yongning/issues/" + issue)
            check("13812345678" in text("reporter"), "the office sees the reporter's phone")
            click(By.ID, "verify-" + task)
            seen["stateAfterVerify"] = text("state-" + task)
            click(By.CSS_SELECTOR, "header form button")

            # The leader's page: the month's rankings and the chart of rates.
            driver.get(base + "/web/yongning/leader")
            sign_in(leader)
            check(path() == "/web/yongning/leader", "the leader's page, not " + path())
            seen["rankings"] = driver.find_element(By.CSS_SELECTOR, "section#rankings h2").text
            seen["topDepartment"] = driver.find_elements(By.CSS_SELECTOR, "table#ranking-departments tr")[1].text
            seen["chartPoints"] = len(driver.find_elements(By.CSS_SELECTOR, "section#rankings svg.chart circle"))
            check("待审批的通报批评" in text("notices"), "the notices section")
            shot("leader")
        finally:
            driver.quit()
        print(json.dumps(seen, ensure_ascii=False))
        """#
}
