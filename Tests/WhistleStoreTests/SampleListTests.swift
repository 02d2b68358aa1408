import Foundation
import Testing
import WhistleCore
import WhistleTestSupport
@testable import WhistleStore

/// The repository's sample lists, checked entry by entry against `Tests/Fixtures/routing/<tenant>.yaml`,
/// whose expectations were written from the seeds' own words.
@Suite("Sample liability lists route as the seeds say")
struct SampleListTests {
    static let tenants = ["yongning", "wenchanghu", "suixi", "zaozhuang", "chongqing-demo"]

    static let config: Result<ConfigDirectory, ConfigErrors> = Result { () throws(ConfigErrors) in
        try ConfigDirectory.read(TestPaths.config)
    }

    static var fixtures: URL {
        TestPaths.config.deletingLastPathComponent().appendingPathComponent("Tests/Fixtures/routing")
    }

    struct Expectation {
        var type: String
        var seed: String
        var line: Int
        var lead: String
        var coLead: [String]
        var responsible: [String]
        var supporting: [String]
    }

    @Test("the configuration folder with every sample list loads without a problem")
    func loads() throws {
        let config = try Self.config.get()
        for tenant in Self.tenants {
            let files = try #require(config.tenant(tenant))
            #expect(!files.lists.versions.isEmpty, "\(tenant) has no liability list")
        }
    }

    @Test("every entry routes to exactly the departments the seed names", arguments: tenants)
    func routesAsTheSeedSays(tenant: String) throws {
        let config = try Self.config.get()
        let file = Self.fixtures.appendingPathComponent("\(tenant).yaml")
        let root = try ConfigNode.parse(try String(contentsOf: file, encoding: .utf8), file: file.path)
        let version = try root.string("version")
        let compound = try root.string("compound")
        let expectations = try root.list("entries").map { node in
            Expectation(
                type: try node.string("type"), seed: try node.string("seed"), line: node.line, lead: try node.string("lead"),
                coLead: try node.strings("coLead"), responsible: try node.strings("responsible"), supporting: try node.strings("supporting"))
        }
        let files = try #require(config.tenant(tenant))
        let list = try #require(files.lists.version(named: version), "\(tenant) has no list version \(version)")
        let router = try #require(config.router(for: tenant))
        let zone = TimeZone(identifier: files.directory.tenant.timeZone)!
        let reportedAt = list.effective.start(in: zone).addingTimeInterval(10 * 3600)

        #expect(Set(expectations.map(\.type)) == Set(list.types.map(\.code)), "the fixture must cover every entry of \(tenant) \(version), and only those")
        #expect(expectations.count == list.types.count, "each entry is expected once")
        for expected in expectations {
            let decision = try router.route(type: expected.type, compound: compound, reportedAt: reportedAt)
            guard case .routed(let plan) = decision else {
                Issue.record("\(tenant) \(expected.type) went to triage: \(decision)")
                continue
            }
            let place = "\(tenant) \(expected.type) (fixture line \(expected.line), seed: \(expected.seed))"
            #expect(plan.listVersion == version, "\(place)")
            #expect(plan.tasks.filter { $0.role == .lead }.map(\.department) == [expected.lead], "\(place)")
            #expect(plan.tasks.filter { $0.role == .coLead }.map(\.department) == expected.coLead, "\(place)")
            #expect(plan.tasks.filter { $0.role == .responsible }.map(\.department).sorted() == expected.responsible.sorted(), "\(place)")
            #expect(plan.tasks.filter { $0.role == .supporting }.map(\.department).sorted() == expected.supporting.sorted(), "\(place)")
            #expect(Set(plan.departments).count == plan.departments.count, "\(place): a department twice")
        }
    }
}

/// Descriptions as residents and inspectors write them, not the lists' own words; the right type
/// must be among the first three suggestions a person confirms from.
@Suite("Type suggestion on the sample lists")
struct SampleSuggestionTests {
    static let cases: [(tenant: String, description: String, type: String)] = [
        ("wenchanghu", "3号楼电梯又坏了，老人被困在里面半个小时", "aq-10"),
        ("wenchanghu", "有人从五楼窗户拉电线下来给电瓶车充电", "aq-1"),
        ("wenchanghu", "小区东门的路灯已经一个月不亮了", "sb-9"),
        ("wenchanghu", "楼下饭店油烟直排，呛得没法开窗", "hj-4"),
        ("wenchanghu", "一楼住户把公共绿地圈起来当自家院子", "wf-5"),
        ("wenchanghu", "单元楼道里堆满了纸箱和旧家具", "aq-7"),
        ("wenchanghu", "小区里一辆车停了两年没人动，轮胎都瘪了", "hj-8"),
        ("wenchanghu", "楼上装修把承重墙砸了", "wf-3"),
        ("yongning", "物业说不交物业费就不给办门禁卡", "zl-1"),
        ("yongning", "小区里有人遛大型犬不牵绳，孩子都不敢下楼", "zz-5"),
        ("yongning", "地下车库里堆着好几桶汽油", "zz-6"),
        ("yongning", "小区垃圾没有分类，垃圾车还一路撒漏", "zz-1"),
        ("yongning", "有业主在楼下空地私自搭了个彩钢房", "zz-4"),
        ("yongning", "物业把业主的电话和住址卖给了装修公司", "zl-4"),
    ]

    @Test("the right type is among the first three for everyday descriptions", arguments: cases)
    func suggests(tenant: String, description: String, type: String) throws {
        let config = try SampleListTests.config.get()
        let list = try #require(config.tenant(tenant)?.lists.versions.last)
        let suggestions = TypeSuggester(list: list).suggest(description, limit: 3)
        #expect(suggestions.map(\.code).contains(type), "\(description) → \(suggestions.map { "\($0.code) \($0.name) \($0.score)" })")
    }
}
