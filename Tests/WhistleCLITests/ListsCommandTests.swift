import Foundation
import Testing
import WhistleCore
import WhistleTestSupport

/// `whistle lists …` and `whistle route …` as an operator runs them.
@Suite("The lists and route commands")
struct ListsCommandTests {
    let config = TestPostgres.configDirectory.path

    func whistle(_ arguments: String...) throws -> WhistleCommand.Result {
        try #require(FileManager.default.isExecutableFile(atPath: DaemonProcess.executable.path), "build the daemon first: swift build")
        return try WhistleCommand.run(arguments)
    }

    /// A scratch folder holding a copy of one sample tenant (its directory and lists).
    func scratchTenant(_ tenant: String = "yongning") throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("whistle-lists-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("tenants"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: TestPostgres.configDirectory.appendingPathComponent("tenants/\(tenant)"), to: root.appendingPathComponent("tenants/\(tenant)"))
        return root
    }

    @Test("lists check accepts every sample list")
    func checkSamples() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: config + "/tenants").sorted().flatMap { tenant in
            try FileManager.default.contentsOfDirectory(atPath: "\(config)/tenants/\(tenant)/liability").map { "\(config)/tenants/\(tenant)/liability/\($0)" }
        }
        #expect(files.count == 5)
        let result = try WhistleCommand.run(["lists", "check"] + files)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.components(separatedBy: "\n").filter { $0.hasPrefix("ok  ") }.count == 5)
        #expect(result.output.contains("永宁县 version 2023-05, effective 2023-05-19, 12 issue types"))
    }

    @Test("lists check names file, line, column and reason of every problem, and exit 1")
    func checkBroken() throws {
        let root = try scratchTenant()
        defer { try? FileManager.default.removeItem(at: root) }
        let file = root.appendingPathComponent("tenants/yongning/liability/2023-05.yaml")
        var text = try String(contentsOf: file, encoding: .utf8)
        text = text.replacingOccurrences(of: "lead: [县委组织部]", with: "lead: [县教育局]")
        text = text.replacingOccurrences(of: "code: zz-2", with: "code: zz-1")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let result = try whistle("lists", "check", file.path)
        #expect(result.status == 1)
        let lines = result.output.components(separatedBy: "\n")
        #expect(lines.contains { $0.contains("2023-05.yaml:") && $0.contains("unknown department '县教育局'") })
        #expect(lines.contains { $0.contains("2023-05.yaml:") && $0.contains("duplicate code 'zz-1'") })
        #expect(result.output.contains("has 2 problem(s); nothing would be loaded from it"))
        // A second version taking effect the same day overlaps.
        try String(contentsOf: TestPostgres.configDirectory.appendingPathComponent("tenants/yongning/liability/2023-05.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "version: 2023-05\n", with: "")
            .write(to: root.appendingPathComponent("tenants/yongning/liability/2023-05b.yaml"), atomically: true, encoding: .utf8)
        try String(contentsOf: TestPostgres.configDirectory.appendingPathComponent("tenants/yongning/liability/2023-05.yaml"), encoding: .utf8)
            .write(to: file, atomically: true, encoding: .utf8)
        let overlap = try whistle("lists", "check", file.path)
        #expect(overlap.status == 1)
        #expect(overlap.output.contains("overlapping effective dates: versions '2023-05' and '2023-05b' both take effect on 2023-05-19"))
        #expect(overlap.output.contains("2023-05b.yaml:10:1: overlapping effective dates"))
    }

    @Test("the daemon's configuration check refuses a folder whose list has an error, naming file and line")
    func configCheckRefusesBrokenList() throws {
        let root = try scratchTenant()
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.copyItem(
            at: TestPostgres.configDirectory.appendingPathComponent("calendars"), to: root.appendingPathComponent("calendars"))
        let file = root.appendingPathComponent("tenants/yongning/liability/2023-05.yaml")
        try String(contentsOf: file, encoding: .utf8).replacingOccurrences(of: "class: violation", with: "class: 卫生类")
            .write(to: file, atomically: true, encoding: .utf8)
        let result = try whistle("config", "check", root.path)
        #expect(result.status == 1)
        #expect(result.output.contains("2023-05.yaml:"))
        #expect(result.output.contains("'卫生类' is not a problem class"))
        #expect(result.output.contains("nothing was loaded"))
    }

    @Test("lists import reads a GB18030 spreadsheet, resolves departments by alias and writes a list that checks")
    func importGB18030() throws {
        let root = try scratchTenant()
        defer { try? FileManager.default.removeItem(at: root) }
        let csv = "序号,问题大类,问题事项,牵头部门,责任部门,整改时限\r\n1,环境秩序类,垃圾转运车辆不密闭,县城乡公共事业服务中心,\"县住建局、综合执法局，各乡镇(街道)\",5个工作日\r\n2,安全隐患类,居民飞线充电,\"住建局、應急管理局\",\"县公安局、消防大队\",3\r\n"
        let input = root.appendingPathComponent("清单.csv")
        try #require(SpreadsheetText.encodeGB18030(csv)).write(to: input)
        let output = root.appendingPathComponent("tenants/yongning/liability/2026-12.yaml")
        let result = try whistle(
            "lists", "import", input.path, "--config", root.path, "--tenant", "yongning", "--version", "2026-12", "--effective", "2026-12-01",
            "--title", "永宁县责任清单（2026年修订）", "--source", "测试")
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("2 issue types (3 rows read, gb18030)"))
        let yaml = try String(contentsOf: output, encoding: .utf8)
        #expect(yaml.contains("lead: [住建局, 應急管理局]"))
        let check = try whistle("lists", "check", output.path)
        #expect(check.status == 0, "\(check.output)")
        let diff = try whistle("lists", "diff", root.appendingPathComponent("tenants/yongning/liability/2023-05.yaml").path, output.path)
        #expect(diff.status == 0)
        #expect(diff.output.contains("+ t-1 垃圾转运车辆不密闭"))
        #expect(diff.output.contains("- zz-1 "))
        let again = try whistle(
            "lists", "import", input.path, "--config", root.path, "--tenant", "yongning", "--version", "2026-12", "--effective", "2026-12-01",
            "--title", "t", "--source", "s")
        #expect(again.status == 1)
        #expect(again.output.contains("exists; choose another --version or pass --force"))
    }

    @Test("lists import reports every unknown name with row and column and writes nothing")
    func importUnresolved() throws {
        let root = try scratchTenant()
        defer { try? FileManager.default.removeItem(at: root) }
        let input = root.appendingPathComponent("list.csv")
        try Data(([0xEF, 0xBB, 0xBF] as [UInt8]) + Array("问题事项,牵头部门,责任部门\n垃圾分类,县教育局,县住建局\n私搭乱建,综合执法局,县文旅局\n".utf8)).write(to: input)
        let result = try whistle(
            "lists", "import", input.path, "--config", root.path, "--tenant", "yongning", "--version", "2026-12", "--effective", "2026-12-01",
            "--title", "t", "--source", "s")
        #expect(result.status == 1)
        #expect(result.output.contains("list.csv: row 2, column B (牵头部门): unknown department '县教育局'"))
        #expect(result.output.contains("list.csv: row 3, column C (责任部门): unknown department '县文旅局'"))
        #expect(result.output.contains("has 2 problem(s); nothing was written"))
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("tenants/yongning/liability/2026-12.yaml").path))
    }

    @Test("route explain prints each department with its rule and deadlines; a wrong compound is one line, exit 1")
    func explain() throws {
        let result = try whistle(
            "route", "explain", "--config", config, "--tenant", "yongning", "--type", "zz-6", "--compound", "wangyuan-c1-a", "--at",
            "2026-09-30T17:30:00+08:00")
        #expect(result.status == 0, "\(result.output)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        let tasks = try #require(json["tasks"] as? [[String: Any]])
        let departments = tasks.compactMap { ($0["department"] as? [String: Any])?["code"] as? String }
        #expect(departments == ["zjj", "yjj", "gaj", "zhifa", "xfdd", "wangyuan-gov"])
        #expect(tasks.compactMap { $0["role"] as? String } == ["lead", "coLead", "responsible", "responsible", "responsible", "responsible"])
        #expect((tasks.last?["rule"] as? String)?.contains("属地，即小区所在的望远镇") == true)
        #expect(((tasks.first?["deadlines"] as? [String: Any])?["rectifyDue"] as? String) == "2026-10-13T17:30:00+08:00")
        let triage = try whistle("route", "explain", "--config", config, "--tenant", "yongning", "--compound", "wangyuan-c1-a")
        #expect(triage.output.contains("\"decision\" : \"triage\""))
        let wrong = try whistle("route", "explain", "--config", config, "--tenant", "yongning", "--type", "zz-6", "--compound", "nowhere")
        #expect(wrong.status == 1)
        #expect(wrong.output.contains("unknown compound 'nowhere'"))
    }

    @Test("route suggest ranks types by a description in either script")
    func suggest() throws {
        let result = try whistle("route", "suggest", "--config", config, "--tenant", "yongning", "樓下鄰居遛狗不拴繩，還養了烈性犬")
        #expect(result.status == 0)
        #expect(result.output.components(separatedBy: "\n").first?.contains("zz-5") == true)
    }
}
