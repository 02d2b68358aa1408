import Foundation
import Testing
@testable import WhistleCore

/// A small county: two functional departments, one with a Traditional alias, two towns with their governments.
enum ListFixture {
    static let directoryText = """
        tenant: {code: demo, name: 示例县, kind: county, source: test}
        territories:
          - code: town-a
            name: 甲镇
            kind: town
            communities:
              - code: c1
                name: 一社区
                compounds:
                  - {code: ka, name: 甲小区}
          - code: town-b
            name: 乙镇
            kind: town
            communities:
              - code: c2
                name: 二社区
                compounds:
                  - {code: kb, name: 乙小区}
        departments:
          - {code: office, name: 示例县专班办公室, kind: office}
          - {code: zjj, name: 示例县住房和城乡建设局, kind: functional, aliases: [县住建局, 住建局]}
          - {code: zhifa, name: 示例县综合执法局, kind: functional, aliases: [县综合执法局]}
          - {code: gaj, name: 示例县公安局, kind: functional, aliases: [县公安局]}
          - {code: xf, name: 示例县消防救援大队, kind: functional, aliases: [县消防救援大队, 消防大队]}
          - {code: town-a-gov, name: 甲镇人民政府, kind: territorial, territory: town-a, aliases: [甲镇]}
          - {code: town-b-gov, name: 乙镇人民政府, kind: territorial, territory: town-b, aliases: [乙镇]}
        """

    static var directory: Directory { try! Directory.parse(directoryText, file: "directory.yaml") }

    static let listText = """
        effective: 2026-01-01
        title: 示例责任清单
        source: 测试
        types:
          - code: parking
            name: 车辆乱停乱放、占用消防车道
            class: environment
            tags: [治脏]
            keywords: [乱停, 消防车道]
            lead: [縣消防救援大隊, 公安局, 綜合執法局]
            responsible: [县住建局, 各鄉鎮（街道）]
          - code: dogs
            name: 遛狗不拴绳
            class: 环境秩序类
            aliases: [遛狗]
            keywords: [狗, 拴绳]
            lead: 县综合执法局
            responsible: [县住建局, 县综合执法局, 各乡镇(街道)]
            supporting: [县公安局]
            deadline: {acknowledgeHours: 24, rectifyWorkingDays: 3}
          - code: fees
            name: 捆绑催缴物业费
            class: propertyService
            keywords: [停水, 停电, 物业费]
            lead: [住建局]
            responsible: [属地]
        """

    static func list(_ text: String = listText, version: String = "v1", deadlines: TenantDeadlines = .standard) throws(ConfigErrors) -> LiabilityList {
        try LiabilityList.parse(text, file: "liability/\(version).yaml", version: version, directory: directory, deadlines: deadlines)
    }

    /// `listText` with `old` replaced by `new`, for broken variants.
    static func broken(_ old: String, _ new: String) -> String {
        precondition(listText.contains(old), "fixture lacks \(old)")
        return listText.replacingOccurrences(of: old, with: new)
    }
}

@Suite("Liability lists: parsing and validation")
struct LiabilityListTests {
    @Test("a list parses with its references resolved, in either script")
    func parses() throws {
        let list = try ListFixture.list()
        #expect(list.effective == CivilDate(2026, 1, 1))
        #expect(list.types.map(\.code) == ["parking", "dogs", "fees"])
        let parking = try #require(list.type("parking"))
        #expect(parking.problemClass == .environment)
        #expect(parking.assignments.map(\.target) == [.department("xf"), .department("gaj"), .department("zhifa"), .department("zjj"), .territorial])
        #expect(parking.assignments.map(\.written).first == "縣消防救援大隊")
        #expect(try #require(list.type("dogs")).problemClass == .environment)
        #expect(try #require(list.type("dogs")).limits == DeadlineLimits(acknowledgeHours: 24, rectifyWorkingDays: 3))
        #expect(try #require(list.type("fees")).assignments.last?.target == .territorial)
    }

    @Test("department names resolve through aliases, script, width and the jurisdiction's prefix")
    func resolver() {
        let resolver = DepartmentResolver(directory: ListFixture.directory, placeholders: ["镇（园区）"])
        #expect(resolver.resolve("县住建局") == .department("zjj"))
        #expect(resolver.resolve("縣住建局") == .department("zjj"))
        #expect(resolver.resolve(" 示例县住房和城乡建设局 ") == .department("zjj"))
        #expect(resolver.resolve("zjj") == .department("zjj"))
        #expect(resolver.resolve("公安局") == .department("gaj"))  // 县 put on
        #expect(resolver.resolve("县消防大队") == .department("xf"))  // 县 taken off
        #expect(resolver.resolve("各乡镇（街道）") == .territorial)
        #expect(resolver.resolve("各鄉鎮(街道)") == .territorial)
        #expect(resolver.resolve("镇(园区)") == .territorial)
        #expect(resolver.resolve("县教育局") == .unknown)
    }

    @Test("a name two departments answer to is ambiguous")
    func ambiguous() {
        var directory = ListFixture.directory
        directory.departments.append(Department(code: "zjj2", name: "住建局", kind: .functional))
        let resolver = DepartmentResolver(directory: directory)
        #expect(resolver.resolve("住建局") == .ambiguous(["zjj", "zjj2"]))
    }

    func problems(_ text: String, deadlines: TenantDeadlines = .standard) -> [ConfigError] {
        do {
            _ = try ListFixture.list(text, deadlines: deadlines)
            return []
        } catch {
            return error.errors
        }
    }

    @Test("an unknown department is reported with its line and column, and every one is reported")
    func unknownDepartment() {
        let errors = problems(ListFixture.broken("responsible: [县住建局, 各鄉鎮（街道）]", "responsible: [县教育局, 县卫健委]"))
        #expect(errors.count == 2)
        #expect(errors.first?.line == 11)
        #expect(errors.first?.column == 19)
        #expect(errors.first?.reason.contains("unknown department '县教育局'") == true)
        #expect(errors.first?.description.hasPrefix("liability/v1.yaml:11:19: ") == true)
    }

    @Test("a duplicate code names the line of the first")
    func duplicateCode() {
        let errors = problems(ListFixture.broken("code: dogs", "code: parking"))
        #expect(errors.map(\.reason) == ["types[2].code: duplicate code 'parking' (first used on line 5)"])
        #expect(errors.first?.line == 12)
    }

    @Test("an issue type without a lead is an error")
    func noLead() {
        let errors = problems(ListFixture.broken("    lead: [住建局]\n", ""))
        #expect(errors.count == 1)
        #expect(errors.first?.reason.contains("'fees' has no lead department") == true)
        #expect(errors.first?.line == 21)
    }

    @Test("an unknown class names the classes there are")
    func unknownClass() {
        let errors = problems(ListFixture.broken("class: propertyService", "class: 卫生类"))
        #expect(errors.count == 1)
        #expect(errors.first?.reason.contains("'卫生类' is not a problem class") == true)
        #expect(errors.first?.reason.contains("safety (安全隐患类)") == true)
    }

    @Test("a deadline outside the tenant's allowed range is an error")
    func deadlineOutOfRange() {
        let tight = TenantDeadlines(allowedAcknowledgeHours: 1...12, allowedRectifyWorkingDays: 1...10)
        let errors = problems(ListFixture.listText, deadlines: tight)
        #expect(errors.count == 1)
        #expect(errors.first?.reason.contains("24 hours is outside the tenant's allowed range 1–12") == true)
        let long = problems(ListFixture.broken("rectifyWorkingDays: 3", "rectifyWorkingDays: 30"))
        #expect(long.first?.reason.contains("30 working days is outside the tenant's allowed range 1–22") == true)
    }

    @Test("structural mistakes stop at the first, with its place")
    func structural() {
        #expect(problems("effective: 2026-13-01\ntitle: t\nsource: s\ntypes: []\n").first?.reason.contains("not a date") == true)
        #expect(problems(ListFixture.broken("keywords: [乱停, 消防车道]", "keyword: [乱停]")).first?.reason.contains("unknown key 'keyword'") == true)
        #expect(problems("effective: 2026-01-01\ntitle: t\nsource: s\n").first?.reason.contains("at least one issue type") == true)
        #expect(problems("version: v2\n" + ListFixture.listText).first?.reason.contains("differs from the file name's 'v1'") == true)
    }

    @Test("tenant deadline settings parse, with class defaults and ranges")
    func tenantDeadlines() throws {
        let settings = try TenantDeadlines.parse(
            "defaults: {acknowledgeHours: 24}\nclasses:\n  安全隐患类: {acknowledgeHours: 2, rectifyWorkingDays: 3}\nallowed:\n  acknowledgeHours: {min: 1, max: 48}\n",
            file: "deadlines.yaml")
        #expect(settings.classes[.safety] == DeadlineLimits(acknowledgeHours: 2, rectifyWorkingDays: 3))
        #expect(settings.allowedAcknowledgeHours == 1...48)
        let bad = #expect(throws: ConfigErrors.self) {
            try TenantDeadlines.parse("defaults: {rectifyWorkingDays: 40}\n", file: "deadlines.yaml")
        }
        #expect(bad?.errors.first?.line == 1)
        #expect(bad?.errors.first?.reason.contains("outside the tenant's allowed range 1–22") == true)
    }
}

@Suite("Liability lists: versions")
struct LiabilityCatalogTests {
    func list(_ version: String, _ effective: CivilDate, until: CivilDate? = nil) -> LiabilityList {
        LiabilityList(version: version, effective: effective, until: until, title: version, source: "t", types: [], file: "\(version).yaml")
    }

    @Test("the version in force is the latest to take effect, until it runs out")
    func inForce() throws {
        let catalog = try LiabilityCatalog([
            list("2024", CivilDate(2024, 1, 1)), list("2023", CivilDate(2023, 5, 19), until: CivilDate(2023, 12, 31)),
        ])
        #expect(catalog.versions.map(\.version) == ["2023", "2024"])
        #expect(catalog.version(on: CivilDate(2023, 5, 18)) == nil)
        #expect(catalog.version(on: CivilDate(2023, 5, 19))?.version == "2023")
        #expect(catalog.version(on: CivilDate(2023, 12, 31))?.version == "2023")
        #expect(catalog.version(on: CivilDate(2024, 1, 1))?.version == "2024")
        let gap = try LiabilityCatalog([list("a", CivilDate(2023, 1, 1), until: CivilDate(2023, 6, 30)), list("b", CivilDate(2023, 8, 1))])
        #expect(gap.version(on: CivilDate(2023, 7, 15)) == nil)
    }

    @Test("overlapping effective dates are an error naming both versions")
    func overlaps() {
        let same = #expect(throws: ConfigErrors.self) {
            try LiabilityCatalog([list("a", CivilDate(2023, 1, 1)), list("b", CivilDate(2023, 1, 1))])
        }
        #expect(same?.errors.first?.reason.contains("versions 'a' and 'b' both take effect on 2023-01-01") == true)
        let running = #expect(throws: ConfigErrors.self) {
            try LiabilityCatalog([list("a", CivilDate(2023, 1, 1), until: CivilDate(2023, 12, 31)), list("b", CivilDate(2023, 7, 1))])
        }
        #expect(running?.errors.first?.reason.contains("'a' runs until 2023-12-31, but 'b' takes effect on 2023-07-01") == true)
        #expect(running?.errors.first?.file == "a.yaml")
    }
}
