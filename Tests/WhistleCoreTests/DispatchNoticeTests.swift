import Foundation
import Testing
import WhistleCore

@Suite("The whistle to a department: what a dispatched task's department is told")
struct DispatchNoticeTests {
    let zone = TimeZone(identifier: "Asia/Shanghai")!

    func at(_ text: String) -> Date { ISOMoment.parse(text, in: zone)! }

    func facts(acknowledge: Date?, rectify: Date?, unset: Bool = false, onDuty: String? = nil) -> DispatchNotice.Facts {
        DispatchNotice.Facts(
            department: "县住建局", compound: "幸福小区", place: "3栋 1-302", issueType: "物业服务合同不规范", description: "小区无物业服务",
            role: .lead, rule: "责任清单 2023-05 第“rw-01”项牵头部门第1位“县住建局”", acknowledgeDue: acknowledge, rectifyDue: rectify,
            rectifyUnset: unset, onDuty: onDuty, timeZone: zone)
    }

    @Test("names the place, the type, the role, both deadlines and the rule, with stand-ins for the numbers")
    func deadlines() {
        let message = DispatchNotice.message(facts(acknowledge: at("2026-09-21T11:00"), rectify: at("2026-09-29T09:00")))
        #expect(message.title == "吹哨派单")
        #expect(
            message.lines == [
                "县住建局：幸福小区 3栋 1-302 · 物业服务合同不规范（问题 #{issue}，任务 #{task}）派给您单位，作为牵头部门办理。"
                    + "请于2026年9月21日 11:00前报到（签收）；整改期限为2026年9月29日 09:00。",
                "小区无物业服务",
                "派单依据：责任清单 2023-05 第“rw-01”项牵头部门第1位“县住建局”",
            ])
        #expect(message.text().hasPrefix("【吹哨派单】\n县住建局："))
    }

    @Test("without an acknowledge limit, with a deadline the calendar could not count, and for a team's officer on duty")
    func variants() {
        let open = DispatchNotice.message(facts(acknowledge: nil, rectify: nil, unset: true))
        #expect(open.lines[0].hasSuffix("作为牵头部门办理。请及时报到（签收）；整改期限待工作日历更新后补定。"))
        let noLimit = DispatchNotice.message(facts(acknowledge: nil, rectify: nil))
        #expect(noLimit.lines[0].hasSuffix("办理。请及时报到（签收）。"))
        let team = DispatchNotice.message(facts(acknowledge: at("2026-09-21T11:00"), rectify: nil, onDuty: "张警官"))
        #expect(team.lines[0].hasPrefix("县住建局（当班：张警官）：幸福小区"))
        let numbered = DispatchNotice.message(
            DispatchNotice.Facts(
                department: "县住建局", compound: "幸福小区", issueType: nil, description: "", role: .responsible, rule: "r", acknowledgeDue: nil,
                rectifyDue: nil, issue: "#12", task: "#34", timeZone: zone))
        #expect(numbered.lines == ["县住建局：幸福小区（问题 #12，任务 #34）派给您单位，作为责任部门办理。请及时报到（签收）。", "派单依据：r"])
    }
}
