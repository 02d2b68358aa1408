import Foundation
import Testing
@testable import WhistleCore

@Suite("Spreadsheets: CSV and encodings")
struct SpreadsheetTextTests {
    @Test("quoted cells keep commas, quotes and line breaks; rows are numbered as a spreadsheet shows them")
    func csv() throws {
        let rows = try CSV.parse("a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"line1\nline2\"\n\nlast,,\n")
        #expect(rows.map(\.number) == [1, 2, 4])
        #expect(rows[1].cells == ["x, y", "say \"hi\"", "line1\nline2"])
        #expect(rows[2].cells == ["last", "", ""])
        #expect(rows[2][7] == "")
        #expect(CSV.columnName(0) == "A")
        #expect(CSV.columnName(27) == "AB")
        #expect(throws: CSV.Error(row: 2, reason: "a quoted cell in column B is never closed")) { try CSV.parse("a,b\nx,\"open\n") }
        #expect(throws: CSV.Error(row: 1, reason: "text after a closing quote in column A")) { try CSV.parse("\"a\"b,c\n") }
    }

    @Test("UTF-8 with and without BOM, and GB18030 as a Chinese Excel saves it, read the same")
    func encodings() throws {
        let text = "问题事项,牵头部门\n垃圾分类,县住建局\n"
        #expect(try SpreadsheetText.decode(Data(text.utf8)) == (text, .utf8))
        #expect(try SpreadsheetText.decode(Data([0xEF, 0xBB, 0xBF] + Array(text.utf8))).text == text)
        let gb = try #require(SpreadsheetText.encodeGB18030(text))
        #expect(gb.count < text.utf8.count)  // two bytes per character instead of three
        #expect(String(data: gb, encoding: .utf8) == nil)
        #expect(try SpreadsheetText.decode(gb) == (text, .gb18030))
        #expect(try SpreadsheetText.decode(gb, encoding: .gb18030).text == text)
        #expect(throws: SpreadsheetText.DecodingError.undecodable(.utf8, offset: 3)) {
            try SpreadsheetText.decode(Data([0x61, 0x62, 0x63, 0xFF]), encoding: .utf8)
        }
        #expect(throws: SpreadsheetText.DecodingError.self) { try SpreadsheetText.decode(Data([0x61, 0xFF, 0xFF]), encoding: .gb18030) }
    }
}

@Suite("Spreadsheets: importing a liability list")
struct ListSpreadsheetTests {
    let header = ListSpreadsheet.Header(version: "2026-03", effective: CivilDate(2026, 3, 1), title: "示例清单", source: "测试表格")

    func convert(_ csv: String) throws(ListSpreadsheet.Problems) -> ListSpreadsheet.Result {
        let rows = try! CSV.parse(csv)
        return try ListSpreadsheet(directory: ListFixture.directory, file: "list.csv").convert(rows, header: header)
    }

    @Test("the seeds' columns become a list version whose YAML reads back the same")
    func converts() throws {
        let csv = """
            示例县责任清单,,,,,
            序号,问题大类,问题事项,牵头部门,责任部门,整改时限
            1,环境秩序类,车辆乱停乱放,"縣消防救援大隊、公安局",县住建局，各乡镇（街道）,5个工作日
            2,安全隐患类,飞线充电,,"县住建局（牵头单位）
            县综合执法局",一周
            3,安全隐患类,楼道堆物,同上,,3
            4,其他,红色物业建设,县住建局,,2026年6月底前
            """
        let result = try convert(csv)
        let (list, yaml) = (result.list, result.yaml)
        #expect(result.warnings.map(\.description) == ["list.csv: row 5, column D (牵头部门): no departments: took those of row 4 (merged cells or 同上)"])
        #expect(list.types.map(\.code) == ["t-1", "t-2", "t-3", "t-4"])
        let parking = list.types[0]
        #expect(parking.problemClass == .environment)
        #expect(parking.assignments.map(\.target) == [.department("xf"), .department("gaj"), .department("zjj"), .territorial])
        #expect(parking.assignments.map(\.column) == [.lead, .lead, .responsible, .responsible])
        #expect(parking.limits.rectifyWorkingDays == 5)
        let wiring = list.types[1]
        #expect(wiring.assignments.map(\.column) == [.lead, .responsible])
        #expect(wiring.assignments.first?.written == "县住建局")
        #expect(wiring.limits.rectifyWorkingDays == 5)
        #expect(list.types[2].assignments == wiring.assignments)  // 同上, as merged cells export
        #expect(list.types[2].limits.rectifyWorkingDays == 3)
        #expect(list.types[2].note == "表格第5行；部门同第4行")
        #expect(list.types[3].note == "表格第6行；完成时限：2026年6月底前")
        #expect(list.types[3].limits.rectifyWorkingDays == nil)
        let reread = try LiabilityList.parse(yaml, file: "2026-03.yaml", version: "2026-03", directory: ListFixture.directory)
        #expect(reread.types.map(\.assignments) == list.types.map(\.assignments))
        #expect(reread.types.map(\.name) == list.types.map(\.name))
        #expect(reread.types.map(\.limits) == list.types.map(\.limits))
        #expect(reread.types.map(\.note) == list.types.map(\.note))
    }

    @Test("every name that does not resolve is reported with its row and column, and nothing is produced")
    func unresolved() {
        let csv = """
            问题事项,牵头部门,责任部门,整改时限
            垃圾分类,县教育局,县住建局,5
            私搭乱建,县综合执法局,"县住建局、县卫健委",十天
            ,县住建局,,
            遛狗,,县住建局,
            """
        let error = #expect(throws: ListSpreadsheet.Problems.self) { try convert(csv) }
        let lines = error?.problems.map(\.description) ?? []
        #expect(lines == [
            "list.csv: row 2, column B (牵头部门): unknown department '县教育局': add it, or an alias, to the directory",
            "list.csv: row 3, column C (责任部门): unknown department '县卫健委': add it, or an alias, to the directory",
            "list.csv: row 3, column D (整改时限): '十天' is not a limit: write working days (5, 5个工作日, 1周, 1个月) or a completion date",
            "list.csv: row 4, column A (问题事项): the row has no 问题事项",
            "list.csv: row 5, column B (牵头部门): no lead department (牵头部门): name one, or mark one in 责任部门 with （牵头单位）",
        ])
    }

    @Test("a sheet without the seeds' columns, duplicate codes and unknown classes are refused")
    func refusals() {
        let noHeader = #expect(throws: ListSpreadsheet.Problems.self) { try convert("名称,部门\n垃圾,住建局\n") }
        #expect(noHeader?.problems.first?.reason.contains("no header row") == true)
        let duplicate = #expect(throws: ListSpreadsheet.Problems.self) {
            try convert("编码,问题大类,问题事项,牵头部门\nzz-1,环境秩序类,垃圾,住建局\nzz-1,卫生类,垃圾二,住建局\n")
        }
        #expect(duplicate?.problems.map(\.reason) == [
            "duplicate code 'zz-1' (first in row 2)",
            "'卫生类' is not a problem class (设施设备类, 安全隐患类, 违法违规类, 环境秩序类, 物业服务类, 其他)",
        ])
    }

    @Test("limits in the words offices use")
    func limits() {
        #expect(ListSpreadsheet.workingDays("5") == 5)
        #expect(ListSpreadsheet.workingDays("5个工作日") == 5)
        #expect(ListSpreadsheet.workingDays("十五个工作日") == 15)
        #expect(ListSpreadsheet.workingDays("一周") == 5)
        #expect(ListSpreadsheet.workingDays("1个月") == 22)
        #expect(ListSpreadsheet.workingDays("十天") == nil)
        #expect(ListSpreadsheet.hours("24小时") == 24)
        #expect(ListSpreadsheet.hours("2天") == 48)
        #expect(ListSpreadsheet.number("二十") == 20)
        #expect(ListSpreadsheet.number("十") == 10)
    }
}

@Suite("Liability lists: diff")
struct ListDiffTests {
    @Test("added, removed and changed entries, field by field")
    func diff() throws {
        let old = try ListFixture.list()
        let new = try ListFixture.list(
            ListFixture.listText
                .replacingOccurrences(of: "lead: [住建局]", with: "lead: [县综合执法局, 住建局]")
                .replacingOccurrences(of: "deadline: {acknowledgeHours: 24, rectifyWorkingDays: 3}", with: "deadline: {acknowledgeHours: 24, rectifyWorkingDays: 5}")
                .replacingOccurrences(of: "  - code: parking", with: "  - code: parking-2")
                .replacingOccurrences(of: "lead: [縣消防救援大隊, 公安局, 綜合執法局]", with: "lead: [县消防救援大队, 县公安局, 县综合执法局]"),
            version: "v2")
        let diff = ListDiff(from: old, to: new)
        #expect(diff.changes.contains(.added(code: "parking-2", name: "车辆乱停乱放、占用消防车道")))
        #expect(diff.changes.contains(.removed(code: "parking", name: "车辆乱停乱放、占用消防车道")))
        #expect(diff.changes.contains(.changed(code: "fees", name: "捆绑催缴物业费", fields: [ListDiff.Field(name: "lead", old: "zjj", new: "zhifa、zjj")])))
        #expect(diff.changes.contains(.changed(code: "dogs", name: "遛狗不拴绳", fields: [ListDiff.Field(name: "rectifyWorkingDays", old: "3", new: "5")])))
        #expect(diff.changes.count == 4)
        #expect(diff.text.contains("    lead: zjj → zhifa、zjj"))
        // The same departments in other words are no change.
        #expect(ListDiff(from: old, to: try ListFixture.list(ListFixture.listText.replacingOccurrences(of: "lead: [住建局]", with: "lead: [示例县住房和城乡建设局]"))).isEmpty)
    }
}
