import Testing
@testable import WhistleCore

@Suite("Directory parsing and validation")
struct DirectoryParsingTests {
    static let valid = """
        tenant:
          code: demo
          name: 示例县
          kind: county
          source: test
        territories:
          - code: town-a
            name: 甲镇
            kind: town
            communities:
              - code: c1
                name: 一社区
                compounds:
                  - code: k1
                    name: 一小区
                    propertyCompany: pc
                    households: 10
                    buildings:
                      - code: b1
                        name: 1号楼
                        households: 10
        propertyCompanies:
          - code: pc
            name: 示例物业
        departments:
          - code: zjj
            name: 示例县住房和城乡建设局
            kind: functional
            aliases: [县住建局, 住建局]
            people:
              - role: principal
                title: 局长
          - code: town-a
            name: 甲镇人民政府
            kind: territorial
            territory: town-a

        """

    @Test("a valid directory parses into the model")
    func valid() throws {
        let directory = try Directory.parse(Self.valid, file: "directory.yaml")
        #expect(directory.tenant.code == "demo")
        #expect(directory.tenant.timeZone == "Asia/Shanghai")
        #expect(directory.compounds.count == 1)
        #expect(directory.compounds.first?.territory == "town-a")
        #expect(directory.departments.map(\.code) == ["zjj", "town-a"])
        #expect(directory.departments.first?.people.first?.role == .principal)
    }

    func problems(_ text: String) -> [ConfigError] {
        do {
            _ = try Directory.parse(text, file: "directory.yaml")
            return []
        } catch {
            return error.errors
        }
    }

    @Test("reference problems are all collected, each with its line")
    func referenceProblems() {
        var text = Self.valid.replacingOccurrences(of: "propertyCompany: pc", with: "propertyCompany: nobody")
        text = text.replacingOccurrences(of: "territory: town-a\n", with: "territory: town-z\n")
        text += "  - code: zjj\n    name: 又一个住建局\n    kind: functional\n"
        text += "  - code: cgj\n    name: 示例县城市管理局\n    kind: functional\n    aliases: [住建局]\n"
        let found = problems(text)
        #expect(found.count == 4)
        #expect(found.contains { $0.reason.contains("property company 'nobody'") })
        #expect(found.contains { $0.reason.contains("territory 'town-z'") })
        #expect(found.contains { $0.reason.contains("duplicate department code 'zjj'") })
        #expect(found.contains { $0.reason.contains("the name '住建局' means both") })
        #expect(found.allSatisfy { $0.line > 0 && $0.file == "directory.yaml" })
    }

    @Test("a territorial department needs a territory; others must not have one")
    func territorialRule() {
        let missing = Self.valid.replacingOccurrences(of: "    territory: town-a\n", with: "")
        #expect(problems(missing).contains { $0.reason.contains("is territorial and needs 'territory'") })
        let extra = Self.valid.replacingOccurrences(
            of: "    kind: functional\n", with: "    kind: functional\n    territory: town-a\n")
        #expect(problems(extra).contains { $0.reason.contains("only territorial departments have a territory") })
    }

    @Test("bad codes, unknown kinds and negative counts are refused")
    func badValues() {
        #expect(problems(Self.valid.replacingOccurrences(of: "code: demo", with: "code: Demo_1")).first?.reason.contains("not a valid code") == true)
        #expect(problems(Self.valid.replacingOccurrences(of: "kind: county", with: "kind: village")).first?.line == 4)
        #expect(problems(Self.valid.replacingOccurrences(of: "households: 10\n            buildings", with: "households: -1\n            buildings")).first?.reason.contains("must not be negative") == true)
        #expect(problems(Self.valid.replacingOccurrences(of: "role: principal", with: "role: boss")).first?.reason.contains("deputyInCharge") == true)
    }

    @Test("a building's household numbers: a list, or floors by units per floor; a count that disagrees is refused")
    func units() throws {
        let listed = Self.valid.replacingOccurrences(
            of: "                households: 10\n", with: "                units: {floors: 2, perFloor: 5}\n")
        let building = try #require(try Directory.parse(listed, file: "directory.yaml").compounds.first?.compound.buildings.first)
        #expect(building.units == ["101", "102", "103", "104", "105", "201", "202", "203", "204", "205"] && building.households == 10)
        let list = Self.valid.replacingOccurrences(
            of: "                households: 10\n", with: "                units: [\"1-101\", \"1-102\"]\n")
        #expect(try Directory.parse(list, file: "directory.yaml").compounds.first?.compound.buildings.first?.households == 2)
        let disagree = Self.valid.replacingOccurrences(
            of: "                households: 10\n", with: "                households: 10\n                units: [a, b]\n")
        #expect(problems(disagree).first?.reason.contains("2 units are listed") == true)
        let twice = Self.valid.replacingOccurrences(of: "                households: 10\n", with: "                units: [a, a]\n")
        #expect(problems(twice).first?.reason.contains("listed twice") == true)
    }

    @Test("reporterChannels: channels by intake channel; an unknown intake channel is refused with its line")
    func reporterChannels() throws {
        let text = Self.valid + "reporterChannels:\n  hotline: [{kind: log}]\n"
        #expect(try Directory.parse(text, file: "directory.yaml").reporterChannels["hotline"]?.first?.kind == .log)
        let wrong = problems(Self.valid + "reporterChannels:\n  fax: [{kind: log}]\n")
        #expect(wrong.first?.reason.contains("not an intake channel") == true)
    }

    @Test("codes: lowercase letters, digits and hyphens")
    func codes() {
        #expect(Directory.isValidCode("chongqing-demo"))
        #expect(Directory.isValidCode("b1"))
        #expect(!Directory.isValidCode(""))
        #expect(!Directory.isValidCode("-a"))
        #expect(!Directory.isValidCode("a b"))
        #expect(!Directory.isValidCode("住建局"))
        #expect(!Directory.isValidCode(String(repeating: "a", count: 65)))
    }
}
