import Foundation
import Testing
@testable import WhistleCore

@Suite("Routing")
struct RouterTests {
    let zone = TimeZone(identifier: "Asia/Shanghai")!

    func router(deadlines: TenantDeadlines = .standard, lists: [LiabilityList]? = nil) throws -> IssueRouter {
        let catalog = try LiabilityCatalog(lists ?? [try ListFixture.list()])
        return IssueRouter(directory: ListFixture.directory, catalog: catalog, deadlines: deadlines)
    }

    func moment(_ text: String) -> Date { ISOMoment.parse(text, in: zone)! }

    func plan(_ decision: RoutingDecision) throws -> RoutePlan {
        guard case .routed(let plan) = decision else { throw RoutingTestFailure.notRouted("\(decision)") }
        return plan
    }

    enum RoutingTestFailure: Error { case notRouted(String) }

    @Test("leads in order, then responsible departments; the placeholder is the compound's town")
    func roles() throws {
        let plan = try plan(try router().route(type: "parking", compound: "ka", reportedAt: moment("2026-03-02T09:00:00+08:00")))
        #expect(plan.listVersion == "v1")
        #expect(plan.territory == "town-a")
        #expect(plan.tasks.map(\.department) == ["xf", "gaj", "zhifa", "zjj", "town-a-gov"])
        #expect(plan.tasks.map(\.role) == [.lead, .coLead, .coLead, .responsible, .responsible])
        #expect(plan.tasks[4].reason.territory == "town-a")
        #expect(plan.tasks[4].reason.reference.written == "各鄉鎮（街道）")
        let other = try self.plan(try router().route(type: "parking", compound: "kb", reportedAt: moment("2026-03-02T09:00:00+08:00")))
        #expect(other.tasks.last?.department == "town-b-gov")
    }

    @Test("a department named twice gets one task, in the stronger role, and the explanation keeps both")
    func leadWins() throws {
        let plan = try plan(try router().route(type: "dogs", compound: "ka", reportedAt: moment("2026-03-02T09:00:00+08:00")))
        #expect(plan.tasks.map(\.department) == ["zhifa", "zjj", "town-a-gov", "gaj"])
        #expect(plan.tasks.map(\.role) == [.lead, .responsible, .responsible, .supporting])
        #expect(plan.tasks[0].reason.alsoNamed.map(\.column) == [.responsible])
        #expect(plan.tasks[0].reason.alsoNamed.first?.position == 2)
    }

    @Test("no type, an unlisted type and a day without a list go to triage, never nowhere")
    func triage() throws {
        let router = try router()
        let at = moment("2026-03-02T09:00:00+08:00")
        #expect(try router.route(type: nil, compound: "ka", reportedAt: at) == .triage(.noType, listVersion: "v1"))
        #expect(try router.route(type: "", compound: "ka", reportedAt: at) == .triage(.noType, listVersion: "v1"))
        #expect(try router.route(type: "ufo", compound: "ka", reportedAt: at) == .triage(.unknownType("ufo"), listVersion: "v1"))
        // The list takes effect at 00:00 on 2026-01-01 in the tenant's zone.
        #expect(
            try router.route(type: "dogs", compound: "ka", reportedAt: moment("2025-12-31T23:59:59+08:00"))
                == .triage(.noListInForce(CivilDate(2025, 12, 31)), listVersion: nil))
        #expect(try router.route(type: "dogs", compound: "ka", reportedAt: moment("2026-01-01T00:00:00+08:00")) != .triage(.noType, listVersion: nil))
        #expect(router.office == "office")
        #expect(throws: RoutingError.unknownCompound("nowhere")) { try router.route(type: "dogs", compound: "nowhere", reportedAt: at) }
    }

    @Test("the version in force at the report's time routes it; a new version does not change the old one's routing")
    func versions() throws {
        let v1 = try ListFixture.list()
        let v2 = try ListFixture.list(
            ListFixture.broken("effective: 2026-01-01", "effective: 2026-06-01").replacingOccurrences(of: "lead: [住建局]", with: "lead: [县综合执法局]"),
            version: "v2")
        let router = try router(lists: [v2, v1])
        let before = try plan(try router.route(type: "fees", compound: "ka", reportedAt: moment("2026-05-31T23:00:00+08:00")))
        let after = try plan(try router.route(type: "fees", compound: "ka", reportedAt: moment("2026-06-01T08:00:00+08:00")))
        #expect(before.listVersion == "v1")
        #expect(before.tasks.first?.department == "zjj")
        #expect(after.listVersion == "v2")
        #expect(after.tasks.first?.department == "zhifa")
    }

    @Test("limits come from the entry, else the class, else the tenant, else seed 001's week")
    func limits() throws {
        let deadlines = TenantDeadlines(
            defaults: DeadlineLimits(acknowledgeHours: 48, rectifyWorkingDays: 10),
            classes: [.environment: DeadlineLimits(rectifyWorkingDays: 7)])
        let at = moment("2026-03-02T09:00:00+08:00")
        let router = try router(deadlines: deadlines)
        let dogs = try plan(try router.route(type: "dogs", compound: "ka", reportedAt: at)).tasks[0]
        #expect(dogs.limits == DeadlineLimits(acknowledgeHours: 24, rectifyWorkingDays: 3))
        #expect(dogs.limitsSource == .entry)
        let parking = try plan(try router.route(type: "parking", compound: "ka", reportedAt: at)).tasks[0]
        #expect(parking.limits == DeadlineLimits(acknowledgeHours: 48, rectifyWorkingDays: 7))
        #expect(parking.limitsSource == .classDefault)
        let fees = try plan(try router.route(type: "fees", compound: "ka", reportedAt: at)).tasks[0]
        #expect(fees.limitsSource == .tenantDefault)
        #expect(fees.limits.rectifyWorkingDays == 10)
        let bare = try plan(try self.router().route(type: "fees", compound: "ka", reportedAt: at)).tasks[0]
        #expect(bare.limitsSource == .seedRule)
        #expect(bare.limits == DeadlineLimits(acknowledgeHours: nil, rectifyWorkingDays: 5))
    }

    @Test("the explanation names version, entry and rule for every department, with deadlines in working days")
    func explanation() throws {
        let router = try router()
        let at = moment("2026-09-30T17:30:00+08:00")
        let decision = try router.route(type: "dogs", compound: "ka", reportedAt: at)
        let calendar = try WorkCalendarTests.repositoryCalendar()
        let explanation = try RouteExplanation(
            decision, router: router, compound: "ka", reportedAt: at, policy: DeadlinePolicy(calendar: calendar), dispatchedAt: at)
        #expect(explanation.decision == "routed")
        #expect(explanation.list?.version == "v1")
        #expect(explanation.issueType?.className == "环境秩序类")
        #expect(explanation.compound.territory.name == "甲镇")
        #expect(explanation.tasks.count == 4)
        #expect(explanation.tasks[0].department.name == "示例县综合执法局")
        #expect(explanation.tasks[0].rule.contains("牵头部门第1位“县综合执法局”"))
        #expect(explanation.tasks[0].rule.contains("另列为责任部门"))
        #expect(explanation.tasks[2].rule.contains("属地，即小区所在的甲镇"))
        // 3 working days from the eve of the National Day holiday (10-01 to 10-07): 10-08, 10-09 and 10-10, an adjusted working Saturday.
        #expect(explanation.tasks[0].deadlines?.rectifyDue == "2026-10-10T17:30:00+08:00")
        #expect(explanation.tasks[0].deadlines?.acknowledgeDue == "2026-10-01T17:30:00+08:00")
        let json = String(decoding: explanation.json(), as: UTF8.self)
        #expect(json.contains("\"roleName\" : \"牵头部门\""))
        let triage = try RouteExplanation(try router.route(type: nil, compound: "ka", reportedAt: at), router: router, compound: "ka", reportedAt: at)
        #expect(triage.decision == "triage")
        #expect(triage.triage?.office?.code == "office")
        #expect(triage.triage?.message.contains("专班办公室") == true)
    }

    @Test("reclassifying keeps the departments that stay, withdraws the others and dispatches the new")
    func reroute() throws {
        let router = try router()
        let at = moment("2026-03-02T09:00:00+08:00")
        let before = try plan(try router.route(type: "parking", compound: "ka", reportedAt: at))
        let after = try plan(try router.route(type: "dogs", compound: "ka", reportedAt: at))
        let reroute = ReroutePlan(current: before.tasks.map { ($0.department, $0.role) }, next: after.tasks)
        #expect(reroute.kept.map(\.department) == ["zhifa", "zjj", "town-a-gov", "gaj"])
        #expect(reroute.kept.last?.previousRole == .coLead)
        #expect(reroute.kept.last?.task.role == .supporting)
        #expect(reroute.kept.first?.previousRole == .coLead)
        #expect(reroute.kept.first?.task.role == .lead)
        #expect(reroute.withdrawn == ["xf"])
        #expect(reroute.dispatched.map(\.department) == [])
        let toTriage = ReroutePlan(current: before.tasks.map { ($0.department, $0.role) }, next: [])
        #expect(toTriage.withdrawn == before.departments)
        let fresh = ReroutePlan(current: [], next: after.tasks)
        #expect(fresh.dispatched.map(\.department) == after.departments)
    }
}

@Suite("Suggesting an issue type from a description")
struct TypeSuggesterTests {
    @Test("the type whose words the description uses ranks first, in either script")
    func ranks() throws {
        let suggester = TypeSuggester(list: try ListFixture.list())
        let parking = suggester.suggest("小区门口车辆乱停，把消防车道都堵住了")
        #expect(parking.first?.code == "parking")
        #expect(parking.first?.matched.contains("消防车道") == true)
        #expect(suggester.suggest("樓下有人遛狗不拴繩").first?.code == "dogs")
        #expect(suggester.suggest("物业说不交物业费就停水").first?.code == "fees")
        #expect(suggester.suggest("天气很好").isEmpty)
        let scores = suggester.suggest("遛狗不拴绳，还乱停车", limit: 3).map(\.score)
        #expect(scores == scores.sorted(by: >))
        #expect(scores.allSatisfy { $0 > 0 && $0 <= 1 })
    }
}
