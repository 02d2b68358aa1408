import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing
import WhistleCore
import WhistleStore
import WhistleTestSupport

/// Campaign field work in 文昌湖区 (issue 9): visits and their coverage, a reproducible spot
/// check with an unlisted finding and a false closure, and a property company moving between grades.
@Suite("Campaign field work")
struct FieldWorkTests {
    let logger = TestPostgres.logger
    let zone = TimeZone(identifier: "Asia/Shanghai")!
    let base = "/v1/tenants/wenchanghu"

    func at(_ text: String) -> Date { ISOMoment.parse(text, in: zone)! }

    func call(
        _ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, token: String, _ body: String? = nil,
        headers extra: HTTPFields = [:], expect status: HTTPResponse.Status = .ok
    ) async throws -> [String: Any] {
        var headers: HTTPFields = [.authorization: "Bearer \(token)"]
        headers.append(contentsOf: extra)
        return try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
            #expect(response.status == status, "\(method) \(uri): \(String(buffer: response.body))")
            return (try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]) ?? [:]
        }
    }

    func row(_ coverage: [String: Any], _ code: String) -> [String: Any] {
        (coverage["items"] as? [[String: Any]] ?? []).first { $0["code"] as? String == code } ?? [:]
    }

    @Test("visits count each household once; a problem found becomes an issue; a retried visit is the same visit; coverage per compound, community and town")
    func visits() async throws {
        let db = try await TestPostgres.migratedDatabase("visits")
        try await db.loadSampleConfiguration()
        let routing = TenantRouting(try ConfigDirectory.read(TestPostgres.configDirectory))
        let grid = try await db.token("wenchanghu", .reporter, name: "网格员")
        let office = try await db.token("wenchanghu", .office)
        let app = try testApplication(db, routing: routing, clock: { self.at("2026-02-10T12:00:00+08:00") })
        try await app.test(.router) { client in
            let visit = "\(base)/visits"
            _ = try await call(
                client, .post, visit, token: grid,
                #"{"compound": "sample-town-1-c1-a", "building": "b1", "household": "101", "visitor": "张网格", "visitedAt": "2026-02-03T10:00:00+08:00", "platformRegistered": true}"#,
                expect: .created)
            let found = #"{"compound": "sample-town-1-c1-a", "building": "b1", "household": "102", "visitor": "张网格", "visitedAt": "2026-02-03T10:20:00+08:00", "ownerName": "李四", "problems": [{"type": "sb-1", "description": "二次供水水压不足"}]}"#
            let first = try await call(client, .post, visit, token: grid, found, headers: [.init("Idempotency-Key")!: "visit-b1-102"], expect: .created)
            let again = try await call(client, .post, visit, token: grid, found, headers: [.init("Idempotency-Key")!: "visit-b1-102"])
            #expect(first["id"] as? NSNumber == again["id"] as? NSNumber)
            let issues = first["issues"] as? [NSNumber] ?? []
            #expect(issues.count == 1 && first["result"] as? String == "problems")
            #expect(try await db.scalar("SELECT count(*)::int FROM issues WHERE channel = 'visit'", as: Int.self) == 1)
            // A second visit of 101 is still one household; an unknown building is refused and writes nothing.
            _ = try await call(
                client, .post, visit, token: grid,
                #"{"compound": "sample-town-1-c1-a", "building": "b1", "household": "101", "visitor": "张网格", "visitedAt": "2026-02-05T10:00:00+08:00"}"#,
                expect: .created)
            let bad = try await call(
                client, .post, visit, token: grid, #"{"compound": "sample-town-1-c1-a", "building": "b9", "household": "101", "visitor": "张网格"}"#,
                expect: .unprocessableContent)
            #expect((bad["errors"] as? [[String: Any]])?.first?["field"] as? String == "building")
            #expect(try await db.scalar("SELECT count(*)::int FROM visits", as: Int.self) == 3)

            let coverage = try await call(client, .get, "\(base)/coverage?from=2026-02-01T00:00:00%2B08:00&to=2026-03-01T00:00:00%2B08:00", token: office)
            let compound = row(coverage, "sample-town-1-c1-a")
            #expect(compound["households"] as? Int == 320 && compound["visited"] as? Int == 2 && compound["registered"] as? Int == 1)
            #expect((compound["coverage"] as? NSNumber)?.doubleValue == 0.0063)
            let community = row(coverage, "sample-town-1-c1")
            #expect(community["households"] as? Int == 464 && community["visited"] as? Int == 2)
            let town = row(coverage, "sample-town-1")
            #expect(town["level"] as? String == "town" && town["visited"] as? Int == 2 && town["households"] as? Int == 524)
            // Before the visit phase nothing was visited.
            let before = try await call(client, .get, "\(base)/coverage?to=2026-02-01T00:00:00%2B08:00", token: office)
            #expect(row(before, "sample-town-1-c1-a")["visited"] as? Int == 0)
            let buildings = try await call(client, .get, "\(base)/compounds/sample-town-1-c1-a/visits", token: office)
            let b1 = (buildings["items"] as? [[String: Any]] ?? []).first { $0["building"] as? String == "b1" } ?? [:]
            #expect(b1["visited"] as? [String] == ["101", "102"] && b1["notVisited"] as? Int == 94)
            _ = try await call(client, .get, "\(base)/coverage", token: grid, expect: .forbidden)

            // Where the directory lists a building's household numbers, those not yet visited are named,
            // and a number it does not list is refused.
            _ = try await call(
                client, .post, visit, token: grid, #"{"compound": "sample-town-1-c2-a", "building": "b1", "household": "305", "visitor": "张网格"}"#,
                expect: .created)
            let wrong = try await call(
                client, .post, visit, token: grid, #"{"compound": "sample-town-1-c2-a", "building": "b1", "household": "706", "visitor": "张网格"}"#,
                expect: .unprocessableContent)
            #expect((wrong["errors"] as? [[String: Any]])?.first?["field"] as? String == "household")
            let numbered = try await call(client, .get, "\(base)/compounds/sample-town-1-c2-a/visits", token: office)
            let c2b1 = (numbered["items"] as? [[String: Any]] ?? []).first { $0["building"] as? String == "b1" } ?? [:]
            let left = c2b1["notVisitedUnits"] as? [String] ?? []
            #expect(left.count == 29 && left.first == "101" && left.last == "605" && !left.contains("305"))
            #expect(c2b1["notVisited"] as? Int == 29)
        }
    }

    @Test("a spot check's draw is reproducible from its seed; an unlisted problem costs the town its deduction; a false closure reopens the issue and costs the department")
    func spotCheck() async throws {
        let db = try await TestPostgres.migratedDatabase("spot_checks")
        try await db.loadSampleConfiguration()
        let routing = TenantRouting(try ConfigDirectory.read(TestPostgres.configDirectory))
        let office = try await db.token("wenchanghu", .office)
        let town = try await db.token("wenchanghu", .handler, department: "sample-town-1-gov")
        let clock = ManualClock(now: at("2026-03-02T09:00:00+08:00"))
        let app = try testApplication(db, routing: routing, clock: { clock.now() })
        try await app.test(.router) { client in
            // A listed issue, worked to its close (销号).
            let listed = try await call(
                client, .post, "\(base)/issues", token: office,
                #"{"channel": "inspection", "compound": "sample-town-1-c1-a", "type": "sb-1", "description": "水泵房漏水"}"#, expect: .created)
            let issue = try #require(listed["id"] as? NSNumber).int64Value
            let task = try #require((listed["tasks"] as? [[String: Any]])?.first?["id"] as? NSNumber).int64Value
            for (action, token, body) in [
                ("acknowledge", town, "{}"), ("start", town, "{}"), ("rectify", town, #"{"measures": "更换水泵密封件"}"#), ("verify", office, "{}"),
                ("close", office, "{}"),
            ] {
                _ = try await call(client, .post, "\(base)/tasks/\(task)/\(action)", token: token, body)
            }

            // The draw: every compound of the town, and its one closed issue; the seed reproduces it.
            let draw = #"{"compounds": 3, "closedIssues": 1, "territory": "sample-town-1", "seed": "2026年3月 四不两直"}"#
            let check = try await call(client, .post, "\(base)/spot-checks", token: office, draw, expect: .created)
            let id = try #require(check["id"] as? NSNumber)
            #expect((check["compounds"] as? [String])?.sorted() == ["sample-town-1-c1-a", "sample-town-1-c1-b", "sample-town-1-c2-a"])
            #expect(check["issues"] as? [NSNumber] == [NSNumber(value: issue)])
            #expect(check["reproduced"] as? Bool == true && check["seed"] as? String == "2026年3月 四不两直")
            let twice = try await call(client, .post, "\(base)/spot-checks", token: office, #"{"compounds": 2, "territory": "sample-town-1", "seed": "same"}"#, expect: .created)
            let thrice = try await call(client, .post, "\(base)/spot-checks", token: office, #"{"compounds": 2, "territory": "sample-town-1", "seed": "same"}"#, expect: .created)
            #expect(twice["compounds"] as? [String] == thrice["compounds"] as? [String])
            _ = try await call(client, .post, "\(base)/spot-checks", token: town, draw, expect: .forbidden)

            // A problem of a type with a listed issue: covered, no deduction.
            let findings = "\(base)/spot-checks/\(id)/findings"
            var result = try await call(
                client, .post, findings, token: office,
                #"{"compound": "sample-town-1-c1-a", "type": "sb-1", "description": "水泵房仍有渗水", "inspector": "王督查"}"#)
            #expect((result["findings"] as? [[String: Any]])?.last?["kind"] as? String == "listed")
            // One nobody listed: a new issue, and the town's deduction.
            result = try await call(
                client, .post, findings, token: office,
                #"{"compound": "sample-town-1-c1-b", "type": "wy-1", "description": "物业未公示收费标准", "inspector": "王督查", "building": "b1"}"#)
            let unlisted = try #require((result["findings"] as? [[String: Any]])?.last)
            #expect(unlisted["kind"] as? String == "unlisted")
            #expect((unlisted["deductions"] as? [String: NSNumber])?["sample-town-1-gov"]?.doubleValue == 1)
            let newIssue = try #require(unlisted["issue"] as? NSNumber)
            #expect(try await db.scalar("SELECT channel FROM issues WHERE issue_id = \(newIssue.int64Value)", as: String.self) == "inspection")
            // The closed issue is not rectified: reopened with a new task, and the department pays.
            result = try await call(
                client, .post, findings, token: office,
                #"{"compound": "sample-town-1-c1-a", "closedIssue": \#(issue), "rectified": false, "description": "水泵房仍漏水，销号不实", "inspector": "王督查"}"#)
            let falseClosure = try #require((result["findings"] as? [[String: Any]])?.last)
            #expect(falseClosure["kind"] as? String == "falseClosure")
            #expect((falseClosure["deductions"] as? [String: NSNumber])?["sample-town-1-gov"]?.doubleValue == 2)
            let reopened = try await call(client, .get, "\(base)/issues/\(issue)", token: office)
            #expect(reopened["state"] as? String == "open")
            #expect((reopened["tasks"] as? [[String: Any]] ?? []).map { $0["state"] as? String ?? "" }.sorted() == ["closed", "dispatched"])
            // A compound outside the draw is refused.
            _ = try await call(
                client, .post, findings, token: office, #"{"compound": "sample-town-2-c1-a", "description": "x", "inspector": "王督查"}"#,
                expect: .unprocessableContent)
            // The month's deductions list both beside the ladder's.
            let deductions = try await call(client, .get, "\(base)/deductions?month=2026-03", token: office)
            let townItems = (deductions["departments"] as? [[String: Any]] ?? []).first { $0["department"] as? String == "sample-town-1-gov" }
            #expect((townItems?["points"] as? NSNumber)?.doubleValue == 3)
            #expect(((townItems?["items"] as? [[String: Any]]) ?? []).map { $0["rung"] as? String ?? "" } == ["unlistedProblem", "falseClosure"])
        }
    }

    @Test("a property company moves from AA to A as its issues count, with the issues named; its compound enters the priority list and leaves it when they age out")
    func credit() async throws {
        let db = try await TestPostgres.migratedDatabase("credit")
        try await db.loadSampleConfiguration()
        let routing = TenantRouting(try ConfigDirectory.read(TestPostgres.configDirectory))
        let office = try await db.token("wenchanghu", .office)
        let clock = ManualClock(now: at("2026-03-02T09:00:00+08:00"))
        let app = try testApplication(db, routing: routing, clock: { clock.now() })
        try await app.test(.router) { client in
            func company(_ code: String) async throws -> [String: Any] {
                let all = try await call(client, .get, "\(base)/companies", token: office)
                return (all["items"] as? [[String: Any]] ?? []).first { $0["company"] as? String == code } ?? [:]
            }
            #expect(try await company("pc-1")["grade"] as? String == "AA")
            var ids: [Int64] = []
            for n in 1...5 {
                let issue = try await call(
                    client, .post, "\(base)/issues", token: office,
                    #"{"channel": "hotline", "compound": "sample-town-1-c1-a", "type": "wy-1", "description": "物业服务投诉 \#(n)"}"#, expect: .created)
                ids.append(try #require(issue["id"] as? NSNumber).int64Value)
            }
            // A facilities issue does not count against the company.
            _ = try await call(
                client, .post, "\(base)/issues", token: office,
                #"{"channel": "hotline", "compound": "sample-town-1-c1-a", "type": "sb-1", "description": "停水"}"#, expect: .created)
            clock.advance(by: 3600)
            let pc1 = try await company("pc-1")
            #expect(pc1["score"] as? NSNumber == 90 && pc1["grade"] as? String == "A" && pc1["stars"] as? Int == 4)
            #expect((pc1["history"] as? [[String: Any]] ?? []).map { $0["grade"] as? String ?? "" } == ["AA", "A"])
            let change = try #require(
                try await db.scalar(
                    "SELECT details::text FROM events WHERE kind = 'company.gradeChanged' AND subject_id = 'pc-1'", as: String.self))
            let details = try #require(try JSONSerialization.jsonObject(with: Data(change.utf8)) as? [String: String])
            #expect(details["from"] == "AA" && details["to"] == "A")
            #expect(details["issues"] == ids.map(String.init).joined(separator: ","))
            #expect(details["because"]?.contains("问题 #\(ids[0]) 计入问题 -2 分") == true)
            // Read again: nothing changed, nothing recorded twice.
            _ = try await company("pc-1")
            #expect(try await db.scalar("SELECT count(*)::int FROM company_grades WHERE company_code = 'pc-1'", as: Int.self) == 2)

            // Five complaints: the compound is on the priority list, with its reason, and in the export.
            let list = try await call(client, .get, "\(base)/priority-compounds", token: office)
            let entry = try #require((list["items"] as? [[String: Any]])?.first)
            #expect(entry["compound"] as? String == "sample-town-1-c1-a" && (entry["reasons"] as? [String]) == ["投诉较多：5 件"])
            let csv = try await client.execute(uri: "\(base)/priority-compounds.csv", method: .get, headers: [.authorization: "Bearer \(office)"]) {
                String(buffer: $0.body)
            }
            #expect(csv.hasPrefix("\u{FEFF}序号,小区代码") && csv.contains("sample-town-1-c1-a,示例小区A,示例物业服务有限公司,投诉较多：5 件"))

            // A year and a day later the complaints have aged out: back to AA, off the list.
            clock.advance(to: at("2027-03-03T10:00:00+08:00"))
            #expect(try await company("pc-1")["grade"] as? String == "AA")
            let later = try await call(client, .get, "\(base)/priority-compounds", token: office)
            #expect(later["count"] as? Int == 0)
            #expect(try await db.scalar("SELECT count(*)::int FROM events WHERE kind = 'compound.priorityLeft'", as: Int.self) == 1)
        }
    }

    @Test("the refresher records a change of grade without anyone reading it, once")
    func refresher() async throws {
        let db = try await TestPostgres.migratedDatabase("credit_refresh")
        try await db.loadSampleConfiguration()
        let routing = TenantRouting(try ConfigDirectory.read(TestPostgres.configDirectory))
        let office = try await db.token("wenchanghu", .office)
        let clock = ManualClock(now: at("2026-03-02T09:00:00+08:00"))
        let refresher = AssessmentRefresher(database: db.database, routing: routing, clock: clock, logger: logger)
        #expect(await refresher.refreshAll() == routing.tenants.values.filter { !$0.directory.propertyCompanies.isEmpty }.count)
        let app = try testApplication(db, routing: routing, clock: { clock.now() })
        try await app.test(.router) { client in
            for n in 1...3 {
                _ = try await call(
                    client, .post, "\(base)/issues", token: office,
                    #"{"channel": "hotline", "compound": "sample-town-1-c1-a", "type": "wy-1", "description": "物业服务投诉 \#(n)"}"#, expect: .created)
            }
        }
        clock.advance(by: 900)
        await refresher.refreshAll()
        await refresher.refreshAll()
        let changes = try await db.scalar(
            "SELECT count(*)::int FROM events WHERE kind = 'company.gradeChanged' AND subject_id = 'pc-1' AND details->>'to' = 'A'", as: Int.self)
        #expect(changes == 1)
    }

    @Test("a type the liability list tags 计入物业信用 counts against the company whatever its class")
    func listMarkedType() async throws {
        let db = try await TestPostgres.migratedDatabase("credit_marked")
        try await db.loadSampleConfiguration()
        var config = try ConfigDirectory.read(TestPostgres.configDirectory)
        let index = try #require(config.tenants.firstIndex { $0.directory.tenant.code == "wenchanghu" })
        var lists = config.tenants[index].lists.versions
        for n in lists.indices {
            for t in lists[n].types.indices where lists[n].types[t].code == "sb-2" { lists[n].types[t].tags.append(TenantRouting.companyTag) }
        }
        config.tenants[index].lists = try LiabilityCatalog(lists)
        let routing = TenantRouting(config)
        #expect(routing.tenants["wenchanghu"]?.companyTypes == ["sb-2"])
        let office = try await db.token("wenchanghu", .office)
        let app = try testApplication(db, routing: routing, clock: { self.at("2026-03-02T09:00:00+08:00") })
        try await app.test(.router) { client in
            let marked = try await call(
                client, .post, "\(base)/issues", token: office,
                #"{"channel": "hotline", "compound": "sample-town-1-c1-a", "type": "sb-2", "description": "电梯故障无人维修"}"#, expect: .created)
            _ = try await call(
                client, .post, "\(base)/issues", token: office,
                #"{"channel": "hotline", "compound": "sample-town-1-c1-a", "type": "sb-1", "description": "停水"}"#, expect: .created)
            let all = try await call(client, .get, "\(base)/companies", token: office)
            let pc1 = (all["items"] as? [[String: Any]] ?? []).first { $0["company"] as? String == "pc-1" } ?? [:]
            #expect((pc1["items"] as? [[String: Any]] ?? []).map { ($0["issue"] as? NSNumber)?.int64Value } == [(marked["id"] as? NSNumber)?.int64Value])
        }
    }
}
