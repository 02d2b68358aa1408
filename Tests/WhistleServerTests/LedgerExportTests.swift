import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import WhistleCore
import WhistleStore
import WhistleTestSupport

/// Seed 000's 附件2 as exported (issue 7, first layout): the .xlsx re-opens in openpyxl with the
/// title, heading line, headers, merged group cells and rows; the CSV starts with a BOM.
@Suite("Ledger export: 000 附件2")
struct LedgerExportTests {
    let base = "/v1/tenants/wenchanghu"

    func post(_ client: some TestClientProtocol, token: String, _ body: String) async throws {
        try await client.execute(
            uri: "\(base)/issues", method: .post, headers: [.authorization: "Bearer \(token)"], body: ByteBuffer(string: body)
        ) { response in #expect(response.status == .created, "\(String(buffer: response.body))") }
    }

    /// The sheet as openpyxl reads it: rows of cell values, merged ranges and column widths.
    static func openpyxl(_ data: Data) throws -> [String: Any] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("whistle-ledger-\(UUID().uuidString).xlsx")
        try data.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let script = """
            import sys, json, openpyxl
            wb = openpyxl.load_workbook(sys.argv[1])
            ws = wb.active
            rows = [[("" if c is None else str(c)) for c in row] for row in ws.iter_rows(values_only=True)]
            merged = sorted(str(r) for r in ws.merged_cells.ranges)
            widths = {k: v.width for k, v in ws.column_dimensions.items()}
            print(json.dumps({"title": ws.title, "rows": rows, "merged": merged, "widthC": widths.get("C")}, ensure_ascii=False))
            """
        let (status, data, problem) = try Python.run(script, arguments: [file.path])
        try #require(status == 0, "openpyxl could not read the ledger (run scripts/ensure-python-libs): \(problem)")
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("grouped by the four classes with merged 问题类型 cells, numbered per group; CSV with a BOM; other classes left out")
    func inspectionLedger() async throws {
        let db = try await TestPostgres.migratedDatabase("ledger_inspection")
        try await db.loadSampleConfiguration()
        let routing = TenantRouting(try ConfigDirectory.read(TestPostgres.configDirectory))
        let office = try await db.token("wenchanghu", .office)
        let zone = TimeZone(identifier: "Asia/Shanghai")!
        let app = try testApplication(db, routing: routing, clock: { ISOMoment.parse("2026-03-10T09:00:00+08:00", in: zone)! })
        try await app.test(.router) { client in
            let reports: [(String, String, String)] = [
                ("sb-1", "2026-02-03T09:00:00+08:00", "水泵房漏水"),
                ("hj-1", "2026-02-04T09:00:00+08:00", "楼顶浮尘"),
                ("sb-2", "2026-02-05T09:00:00+08:00", "电梯困人"),
                ("wy-1", "2026-02-06T09:00:00+08:00", "保洁不到位"),  // 物业服务类: not in 附件2
            ]
            for (type, at, text) in reports {
                try await post(
                    client, token: office,
                    #"{"channel": "inspection", "compound": "sample-town-1-c1-a", "type": "\#(type)", "reportedAt": "\#(at)", "description": "\#(text)"}"#)
            }
            let xlsx = try await client.execute(
                uri: "\(base)/ledgers/inspection.xlsx?from=2026-02-01T00:00:00%2B08:00&to=2026-03-01T00:00:00%2B08:00&contact=张三&phone=0533-1234567",
                method: .get, headers: [.authorization: "Bearer \(office)"]
            ) { response -> Data in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                return Data(buffer: response.body)
            }
            let sheet = try Self.openpyxl(xlsx)
            let rows = sheet["rows"] as? [[String]] ?? []
            #expect(rows.first?.first == "小区物业管理问题排查整治台账")
            #expect(rows[1].first?.contains("联系人：张三") == true && rows[1].first?.contains("联系电话：0533-1234567") == true)
            #expect(rows[2] == ["问题类型", "序号", "问题描述", "排查时间（年月日）", "问题照片", "整改措施", "整改时限", "整改情况", "责任人"])
            // 环境秩序类 first, then 设施设备类 (two, numbered 1 and 2, the type cell merged down).
            #expect(rows.dropFirst(3).map { $0[2] } == ["楼顶浮尘", "水泵房漏水", "电梯困人"])
            #expect(rows[3][0] == "环境秩序类" && rows[4][0] == "设施设备类" && rows[5][0] == "")
            #expect(rows.dropFirst(3).map { $0[1] } == ["1", "1", "2"])
            #expect(rows[4][3] == "2026年2月3日" && rows[4][7] == "待签收" && rows[4][8].contains("示例镇一"))
            #expect((sheet["merged"] as? [String]) == ["A1:I1", "A2:I2", "A4:A4", "A5:A6"].filter { $0 != "A4:A4" })
            #expect((sheet["widthC"] as? NSNumber)?.doubleValue == 40)

            let csv = try await client.execute(
                uri: "\(base)/ledgers/inspection.csv?from=2026-02-01T00:00:00%2B08:00&to=2026-03-01T00:00:00%2B08:00", method: .get,
                headers: [.authorization: "Bearer \(office)"]
            ) { String(buffer: $0.body) }
            #expect(csv.hasPrefix("\u{FEFF}小区物业管理问题排查整治台账\r\n"))
            #expect(csv.components(separatedBy: "\r\n").filter { !$0.isEmpty }.count == 6)

            // `whistle ledger export` writes the same ledger (its heading dated today), and the same .xlsx rows.
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("whistle-ledger-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let common = ["--config", TestPostgres.configDirectory.path, "--database-url", db.settings.url]
            let period = ["--tenant", "wenchanghu", "--from", "2026-02-01", "--to", "2026-02-28"]
            let csvFile = folder.appendingPathComponent("台账.csv")
            let exported = try WhistleCommand.run(["ledger", "export"] + common + period + ["--layout", "inspection", "--out", csvFile.path])
            #expect(exported.status == 0, "\(exported.output)")
            #expect(exported.output.contains("排查整治台账: 3 rows"))
            let lines = { (text: String) in text.components(separatedBy: "\r\n").enumerated().filter { $0.offset != 1 }.map(\.element) }
            let cliCSV = String(decoding: try Data(contentsOf: csvFile), as: UTF8.self)  // with its BOM
            #expect(lines(cliCSV) == lines(csv), "\(cliCSV)\n---\n\(csv)")
            let xlsxFile = folder.appendingPathComponent("ledger.xlsx")
            let written = try WhistleCommand.run(
                ["ledger", "export"] + common + period + ["--layout", "inspection", "--contact", "张三", "--phone", "0533-1234567", "--out", xlsxFile.path])
            #expect(written.status == 0, "\(written.output)")
            let cliRows = try Self.openpyxl(try Data(contentsOf: xlsxFile))["rows"] as? [[String]] ?? []
            #expect(cliRows.count == rows.count && Array(cliRows.dropFirst(2)) == Array(rows.dropFirst(2)))
            // Mistakes are one line naming the option, and leave no file behind.
            let wrong = try WhistleCommand.run(["ledger", "export"] + common + period + ["--layout", "annual", "--out", folder.appendingPathComponent("x.csv").path])
            #expect(wrong.status == 1 && wrong.output.contains("--layout") && wrong.output.contains("inspection"))
            let town = try WhistleCommand.run(
                ["ledger", "export"] + common + period + ["--layout", "visits", "--territory", "atlantis", "--out", folder.appendingPathComponent("y.xlsx").path])
            #expect(town.status == 1 && town.output.contains("--territory"))
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["ledger.xlsx", "台账.csv"])
            // A layout or a format there is not: 404, naming those there are.
            for unknown in ["annual.xlsx", "inspection.pdf"] {
                try await client.execute(uri: "\(base)/ledgers/\(unknown)", method: .get, headers: [.authorization: "Bearer \(office)"]) { response in
                    #expect(response.status == .notFound)
                    #expect(String(buffer: response.body).contains("visits.xlsx"))
                }
            }
        }
    }

    @Test("the writer streams: many rows, each group merged, the archive valid for openpyxl")
    func manyRows() throws {
        var writer = LedgerWriter(layout: .inspection, format: .xlsx, district: "测试区", contact: "", phone: "", date: "2026年3月1日")
        var bytes = writer.start()
        for n in 0..<3000 {
            let cls = LedgerLayout.inspection.groups[n / 750].rawValue
            bytes += writer.add(
                LedgerRow(
                    issue: Int64(n), problemClass: cls, cells: ["问题 <\(n)> & \"引号\"", "2026年2月1日", "", "", "", "待签收", "示例镇"]))
        }
        bytes += writer.finish()
        let sheet = try Self.openpyxl(Data(bytes))
        let rows = sheet["rows"] as? [[String]] ?? []
        #expect(rows.count == 3003)
        #expect(rows[3][2] == "问题 <0> & \"引号\"")
        #expect((sheet["merged"] as? [String] ?? []).contains("A754:A1503"))
    }

    @Test("000 附件3: visit problems in six classes with masked owners, the visitor, return-visit satisfaction, and the platform line at the foot")
    func visitLedger() async throws {
        let db = try await TestPostgres.migratedDatabase("ledger_visits")
        try await db.loadSampleConfiguration()
        let routing = TenantRouting(try ConfigDirectory.read(TestPostgres.configDirectory))
        let office = try await db.token("wenchanghu", .office)
        let leader = try await db.token("wenchanghu", .leader)
        let zone = TimeZone(identifier: "Asia/Shanghai")!
        let app = try testApplication(db, routing: routing, clock: { ISOMoment.parse("2026-03-10T09:00:00+08:00", in: zone)! })
        try await app.test(.router) { client in
            for (household, type, text, registered) in [("101", "wy-1", "保洁不到位", "true"), ("102", "sb-1", "水压不足", "false"), ("103", "qt-1", "建议增设充电桩", "true")] {
                try await client.execute(
                    uri: "\(base)/visits", method: .post, headers: [.authorization: "Bearer \(office)"],
                    body: ByteBuffer(
                        string: #"{"compound": "sample-town-1-c1-a", "building": "b1", "household": "\#(household)", "visitor": "张网格", "visitedAt": "2026-02-03T10:00:00+08:00", "ownerName": "李四", "platformRegistered": \#(registered), "problems": [{"type": "\#(type)", "description": "\#(text)"}]}"#)
                ) { #expect($0.status == .created) }
            }
            // An inspection issue is not a visit's: left out of 附件3.
            try await post(client, token: office, #"{"channel": "inspection", "compound": "sample-town-1-c1-a", "type": "sb-1", "reportedAt": "2026-02-04T09:00:00+08:00", "description": "排查发现"}"#)
            func ledger(_ token: String) async throws -> [[String]] {
                let data = try await client.execute(
                    uri: "\(base)/ledgers/visits.xlsx?compound=sample-town-1-c1-a&to=2026-03-01T00:00:00%2B08:00", method: .get,
                    headers: [.authorization: "Bearer \(token)"]
                ) { response -> Data in
                    #expect(response.status == .ok)
                    return Data(buffer: response.body)
                }
                return try Self.openpyxl(data)["rows"] as? [[String]] ?? []
            }
            let rows = try await ledger(office)
            #expect(rows.first?.first == "小区物业管理问题走访台账")
            #expect(rows[2] == ["问题类型", "序号", "楼号户号", "业主姓名", "问题描述", "整改时限", "走访人（责任人）", "回访是否满意"])
            #expect(rows.dropFirst(3).dropLast().map { $0[0] } == ["物业服务类", "设施设备类", "其他类型"])
            #expect(rows[3][2] == "1号楼101" && rows[3][3] == "李四" && rows[3][6] == "张网格")
            #expect(rows.last?.first == "智慧物业综合信息平台注册户数（小区共 320 户，已注册 2 户）")
            // A leader sees the owner masked.
            #expect(try await ledger(leader)[3][3] == "李*")
        }
    }

    @Test("003 附件2: one ledger per 攻坚行动, one numbered project per compound with its cells merged down its problems, each problem numbered within it")
    func campaignLedger() async throws {
        let db = try await TestPostgres.migratedDatabase("ledger_campaign")
        try await db.loadSampleConfiguration()
        let routing = TenantRouting(try ConfigDirectory.read(TestPostgres.configDirectory))
        let office = try await db.token("zaozhuang", .office)
        let zone = TimeZone(identifier: "Asia/Shanghai")!
        let app = try testApplication(db, routing: routing, clock: { ISOMoment.parse("2020-05-10T09:00:00+08:00", in: zone)! })
        let zz = "/v1/tenants/zaozhuang"
        try await app.test(.router) { client in
            for (compound, type, at, text) in [
                ("sample-street-1-c1-b", "tc-1", "2020-04-02T09:00:00+08:00", "消防通道停车"), ("sample-street-1-c1-a", "tc-1", "2020-04-03T09:00:00+08:00", "占用绿地停车"),
                ("sample-street-1-c1-a", "tc-2", "2020-04-04T09:00:00+08:00", "非机动车乱停"), ("sample-street-1-c1-a", "hw-1", "2020-04-05T09:00:00+08:00", "垃圾未清运"),
            ] {
                try await client.execute(
                    uri: "\(zz)/issues", method: .post, headers: [.authorization: "Bearer \(office)"],
                    body: ByteBuffer(string: #"{"channel": "inspection", "compound": "\#(compound)", "type": "\#(type)", "reportedAt": "\#(at)", "description": "\#(text)"}"#)
                ) { #expect($0.status == .created, "\(String(buffer: $0.body))") }
            }
            let data = try await client.execute(
                uri: "\(zz)/ledgers/campaign.xlsx?campaign=%E8%BD%A6%E8%BE%86%E5%81%9C%E6%94%BE", method: .get, headers: [.authorization: "Bearer \(office)"]
            ) { response -> Data in
                #expect(response.status == .ok)
                return Data(buffer: response.body)
            }
            let sheet = try Self.openpyxl(data)
            let rows = sheet["rows"] as? [[String]] ?? []
            #expect(rows.first?.first == "车辆停放攻坚行动整治工作台账")
            #expect(rows[1].first?.hasPrefix("属地：枣庄市") == true)
            #expect(rows[2] == ["序号", "项目名称", "物业服务企业", "服务标准", "存在问题", "整治措施", "完成时限", "责任人", "进展情况", "社区", "街道", "备注"])
            // The directory's order of projects: 小区A (two problems) before 小区B; 垃圾未清运 is another campaign's.
            #expect(rows.dropFirst(3).map { $0[4] } == ["1. 占用绿地停车", "2. 非机动车乱停", "1. 消防通道停车"])
            #expect(rows[3][0] == "1" && rows[4][0] == "" && rows[5][0] == "2")
            #expect(rows[3][1].hasPrefix("示例小区A") && rows[3][9] == "示例社区一" && rows[3][10] == "示例街道一")
            let merged = Set(sheet["merged"] as? [String] ?? [])
            #expect(merged.isSuperset(of: ["A4:A5", "B4:B5", "C4:C5", "J4:J5", "K4:K5"]))
            try await client.execute(uri: "\(zz)/ledgers/campaign.xlsx", method: .get, headers: [.authorization: "Bearer \(office)"]) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("环境卫生"))
            }
        }
    }

    @Test("002 附件3: the compound rectification ledger, titled by the campaign, one numbered project per compound with its problems, their category and units")
    func compoundLedger() async throws {
        let db = try await TestPostgres.migratedDatabase("ledger_compounds")
        try await db.loadSampleConfiguration()
        let routing = TenantRouting(try ConfigDirectory.read(TestPostgres.configDirectory))
        let office = try await db.token("yongning", .office)
        let zone = TimeZone(identifier: "Asia/Shanghai")!
        let app = try testApplication(db, routing: routing, clock: { ISOMoment.parse("2026-06-10T09:00:00+08:00", in: zone)! })
        let yn = "/v1/tenants/yongning"
        try await app.test(.router) { client in
            for (compound, type, at, text) in [
                ("yanghe-c1-b", "zz-1", "2026-06-02T09:00:00+08:00", "垃圾转运车辆不密闭"), ("yanghe-c1-a", "zl-1", "2026-06-03T09:00:00+08:00", "停水催缴物业费"),
                ("yanghe-c1-a", "zz-1", "2026-06-04T09:00:00+08:00", "未开展垃圾分类"), ("yanghe-c1-a", nil, "2026-06-05T09:00:00+08:00", "楼道灯不亮"),
            ] as [(String, String?, String, String)] {
                let typeField = type.map { #""type": "\#($0)", "# } ?? ""
                try await client.execute(
                    uri: "\(yn)/issues", method: .post, headers: [.authorization: "Bearer \(office)"],
                    body: ByteBuffer(string: #"{"channel": "inspection", "compound": "\#(compound)", \#(typeField)"reportedAt": "\#(at)", "description": "\#(text)"}"#)
                ) { #expect($0.status == .created, "\(String(buffer: $0.body))") }
            }
            let data = try await client.execute(
                uri: "\(yn)/ledgers/compounds.xlsx?from=2026-06-01T00:00:00%2B08:00", method: .get, headers: [.authorization: "Bearer \(office)"]
            ) { response -> Data in
                #expect(response.status == .ok)
                return Data(buffer: response.body)
            }
            let sheet = try Self.openpyxl(data)
            let rows = sheet["rows"] as? [[String]] ?? []
            #expect(rows.first?.first == "永宁县2023年物业提升“123”专项行动住宅小区项目整治台账")
            #expect(rows[1].first?.hasPrefix("属地：永宁县") == true)
            #expect(rows[2] == ["序号", "乡镇（街道）", "社区", "小区名称", "物业服务企业", "问题类别", "存在问题", "整治措施", "责任单位", "完成时限", "整治进展", "备注"])
            // 小区A first (the directory's order) with its three problems, then 小区B; the untyped one awaits triage.
            #expect(rows.dropFirst(3).map { $0[6] } == ["1. 停水催缴物业费", "2. 未开展垃圾分类", "3. 楼道灯不亮", "1. 垃圾转运车辆不密闭"])
            #expect(rows.dropFirst(3).map { $0[5] } == ["治乱", "治脏", "", "治脏"])
            #expect(rows.dropFirst(3).map { $0[0] } == ["1", "", "", "2"])
            #expect(rows[3][1] == "杨和镇" && rows[3][3].hasPrefix("示例小区A") && rows[6][3].hasPrefix("示例小区B"))
            // Reported after the list came into force (2023-05-19): routed, with their units and deadlines; the untyped one waits.
            #expect(rows[5][11] == "待分派" && rows[5][10] == "待分派" && rows[3][8].contains("住房和城乡建设局"), "\(rows[3])")
            #expect(rows[3][9] == "2026年6月17日" && rows[3][10] == "整治中", "\(rows[3])")
            let merged = Set(sheet["merged"] as? [String] ?? [])
            #expect(merged.isSuperset(of: ["A4:A6", "B4:B6", "C4:C6", "D4:D6", "E4:E6"]))
            // Excel's sheet names stop at 31 characters: the title's end is kept.
            let title = sheet["title"] as? String ?? ""
            #expect(title.hasSuffix("住宅小区项目整治台账") && title.count <= 31)
        }
    }
}
