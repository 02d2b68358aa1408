import Foundation
import Testing
@testable import WhistleCore

@Suite("Joint operations: clashes and notices")
struct JointOperationCoreTests {
    let zone = TimeZone(identifier: "Asia/Shanghai")!

    func at(_ text: String) -> Date { ISOMoment.parse(text, in: zone)! }

    var booked: [OperationBooking] {
        [
            OperationBooking(operation: 1, title: "上午整治", department: "squad", start: at("2026-10-12T09:00:00+08:00"), end: at("2026-10-12T12:00:00+08:00")),
            OperationBooking(operation: 1, title: "上午整治", department: "fire", start: at("2026-10-12T09:00:00+08:00"), end: at("2026-10-12T12:00:00+08:00")),
            OperationBooking(operation: 2, title: "下午整治", department: "squad", start: at("2026-10-12T14:00:00+08:00"), end: at("2026-10-12T16:00:00+08:00")),
        ]
    }

    @Test("a team in an overlapping operation clashes; a department only overlaps; touching ends do not clash")
    func clashes() {
        let found = OperationClashes.find(
            start: at("2026-10-12T11:00:00+08:00"), end: at("2026-10-12T15:00:00+08:00"), participants: ["squad", "fire", "market"],
            teams: ["squad"], booked: booked)
        #expect(found.teams.map(\.operation) == [1, 2])
        #expect(found.departments.map(\.department) == ["fire"])
        let touching = OperationClashes.find(
            start: at("2026-10-12T12:00:00+08:00"), end: at("2026-10-12T14:00:00+08:00"), participants: ["squad", "fire"], teams: ["squad"],
            booked: booked)
        #expect(touching.teams.isEmpty && touching.departments.isEmpty)
        let elsewhere = OperationClashes.find(
            start: at("2026-10-12T09:00:00+08:00"), end: at("2026-10-12T12:00:00+08:00"), participants: ["market"], teams: [], booked: booked)
        #expect(elsewhere.teams.isEmpty && elsewhere.departments.isEmpty)
        let text = OperationClashes.describe(booked[0], name: "执法五队", zone: zone)
        #expect(text.contains("执法五队") && text.contains("#1") && text.contains("上午整治"))
    }

    @Test("the summons names time, place, lead, participants and the confirmation deadline; the reminder names the deduction")
    func notices() {
        let facts = OperationFacts(
            id: 3, title: "3栋联合整治", purpose: "清理消防通道", place: "一号小区", compounds: ["一号小区"], lead: "某镇", participants: ["某镇", "执法五队"],
            start: at("2026-10-12T09:00:00+08:00"), end: at("2026-10-12T12:00:00+08:00"), confirmDue: at("2026-09-29T17:30:00+08:00"), timeZone: zone)
        let summons = OperationNotice.summons(facts).text()
        for part in ["#3", "一号小区", "清理消防通道", "某镇", "执法五队", "报到确认"] { #expect(summons.contains(part), "\(part)") }
        #expect(summons.contains("牵头单位：某镇；参加单位：执法五队。"))
        let urge = EscalationRung(code: "urge", action: .urge, anchor: .acknowledgeDue, targets: [.deputyInCharge], deduction: 0.5)
        let pressed = OperationNotice.unconfirmed(facts, department: "市场监管局", rung: urge, people: ["分管负责人"])
        #expect(pressed.title == "联合整治报到催办")
        #expect(pressed.text().contains("扣 0.5 分"))
        #expect(OperationOutcome.followUp.needsDepartment && !OperationOutcome.rectifiedOnSpot.needsDepartment)
    }
}
