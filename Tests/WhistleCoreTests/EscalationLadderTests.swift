import Foundation
import Testing
import WhistleCore

@Suite("Escalation ladder: seed 001's rungs, their working-day moments, and escalation.yaml")
struct EscalationLadderTests {
    static let zone = TimeZone(identifier: "Asia/Shanghai")!

    func moment(_ text: String) -> Date { ISOMoment.parse(text, in: Self.zone)! }
    func text(_ moment: Date?) -> String? { moment.map { ISOMoment.format($0, in: Self.zone) } }

    @Test("one working day before a deadline skips the National Day holiday, at the same clock time")
    func subtractAcrossHoliday() throws {
        let calendar = try WorkCalendarTests.repositoryCalendar()
        // 2026: 10-01…10-07 off, 10-08 a working day, 09-30 the last one before.
        #expect(text(try calendar.subtractWorkingDays(from: moment("2026-10-08T09:00:00+08:00"), days: 1)) == "2026-09-30T09:00:00+08:00")
        #expect(text(try calendar.subtractWorkingDays(from: moment("2026-10-13T17:30:00+08:00"), days: 3)) == "2026-10-09T17:30:00+08:00")
        #expect(text(try calendar.subtractWorkingDays(from: moment("2026-10-13T17:30:00+08:00"), days: 0)) == "2026-10-13T17:30:00+08:00")
        // Counting back from a day off: the working days before it.
        #expect(text(try calendar.subtractWorkingDays(from: moment("2026-10-04T10:00:00+08:00"), days: 1)) == "2026-09-30T10:00:00+08:00")
        #expect(throws: WorkCalendarError.self) { try calendar.subtractWorkingDays(from: moment("2026-10-13T17:30:00+08:00"), days: -1) }
    }

    @Test("the standard ladder follows seed 001: every rung at its working-day moment across the holiday")
    func standardMoments() throws {
        let calendar = try WorkCalendarTests.repositoryCalendar()
        let ladder = EscalationLadder.standard
        #expect(ladder.rectify.map(\.action) == [.remind, .urge, .supervisionOrder, .talk, .publicNotice, .accountability])
        #expect(ladder.acknowledge.map(\.action) == [.remind, .urge])
        // Dispatched 2026-09-30 17:30 with 5 working days: due 10-13 17:30 (10-08, 09, 10 (a Saturday worked), 12, 13).
        var anchors: [EscalationAnchor: Date] = [.rectifyDue: moment("2026-10-13T17:30:00+08:00")]
        func at(_ code: String) throws -> String? {
            let rung = try #require(ladder.rectify.first { $0.code == code })
            return text(try ladder.moment(of: rung, anchors: anchors, calendar: calendar, in: Self.zone))
        }
        #expect(try at("remind") == "2026-10-12T17:30:00+08:00")
        #expect(try at("urge") == "2026-10-13T17:30:00+08:00")
        #expect(try at("supervise") == "2026-10-14T17:30:00+08:00")
        // Later rungs wait for the deadlines that earlier ones set.
        #expect(try at("talk") == nil)
        #expect(try at("notice") == nil)
        let order = try #require(ladder.rectify.first { $0.action == .supervisionOrder })
        let supervisionDue = try calendar.addWorkingDays(
            from: moment("2026-10-14T17:30:00+08:00"), days: try #require(order.newDeadlineWorkingDays), in: Self.zone)
        #expect(text(supervisionDue) == "2026-10-21T17:30:00+08:00")
        anchors[.supervisionDue] = supervisionDue
        #expect(try at("talk") == "2026-10-21T17:30:00+08:00")
        anchors[.talkPromise] = moment("2026-10-30T17:30:00+08:00")
        #expect(try at("notice") == "2026-10-30T17:30:00+08:00")
        #expect(try at("accountability") == "2026-11-06T17:30:00+08:00")
        #expect(ladder.rectify.first { $0.action == .publicNotice }?.requiresApproval == true)
        #expect(ladder.rectify.first { $0.action == .talk }?.targets.contains(.deputyInCharge) == true)

        // Not reported in by 10-01 18:00 (a holiday): the reminder then, 催办 a working day later,
        // counted from 00:00 of the next working day (10-08).
        let acknowledge: [EscalationAnchor: Date] = [.acknowledgeDue: moment("2026-10-01T18:00:00+08:00")]
        #expect(text(try ladder.moment(of: ladder.acknowledge[0], anchors: acknowledge, calendar: calendar, in: Self.zone)) == "2026-10-01T18:00:00+08:00")
        #expect(text(try ladder.moment(of: ladder.acknowledge[1], anchors: acknowledge, calendar: calendar, in: Self.zone)) == "2026-10-09T00:00:00+08:00")
        #expect(ladder.acknowledge[1].targets == [.deputyInCharge, .liaison])
    }

    @Test("escalation.yaml: rungs read with offsets, targets, deductions; a left-out ladder is the standard one")
    func parses() throws {
        let ladder = try EscalationLadder.parse(
            """
            rectify:
              - code: remind
                action: remind
                anchor: rectifyDue
                offset: {hours: -4}
                targets: [handler]
              - code: urge
                action: urge
                anchor: rectifyDue
                targets: [handler, deputyInCharge]
                deduction: 0.5
              - code: supervise
                action: supervisionOrder
                anchor: rectifyDue
                offset: {workingDays: 2}
                targets: [deputyInCharge, office]
                deduction: 1
                newDeadlineWorkingDays: 3
              - code: talk
                action: talk
                anchor: supervisionDue
                targets: [principal]
            """, file: "escalation.yaml")
        #expect(ladder.rectify.map(\.code) == ["remind", "urge", "supervise", "talk"])
        #expect(ladder.rectify[0].offset == EscalationOffset(-4, .hours))
        #expect(ladder.rectify[2].newDeadlineWorkingDays == 3)
        #expect(ladder.rectify[1].deduction == 0.5)
        #expect(ladder.acknowledge == EscalationLadder.standard.acknowledge)
    }

    @Test("every mistake of every rung is reported with its line")
    func refusesMistakes() throws {
        let text = """
            rectify:
              - code: remind
                action: remind
                anchor: acknowledgeDue
                targets: [handler]
              - code: urge
                action: pester
                anchor: rectifyDue
                targets: [handler]
              - code: talk
                action: talk
                anchor: supervisionDue
                targets: [deputyInCharge]
              - code: order
                action: supervisionOrder
                anchor: rectifyDue
                targets: [office]
              - code: notice
                action: publicNotice
                anchor: rectifyDue
                targets: [office]
                requiresApproval: false
              - code: notice
                action: urge
                anchor: rectifyDue
                targets: []
            acknowledge:
              - code: late
                action: urge
                anchor: acknowledgeDue
                offset: {days: 1}
                targets: [liaison]
            """
        do {
            _ = try EscalationLadder.parse(text, file: "escalation.yaml")
            Issue.record("a ladder with mistakes was accepted")
        } catch {
            let lines = error.errors.map(\.description)
            #expect(lines.contains { $0.hasPrefix("escalation.yaml:4:") && $0.contains("not 'acknowledgeDue'") })
            #expect(lines.contains { $0.hasPrefix("escalation.yaml:7:") && $0.contains("'pester' is not one of") })
            #expect(lines.contains { $0.hasPrefix("escalation.yaml:12:") && $0.contains("supervisionDue needs an earlier supervisionOrder") })
            #expect(lines.contains { $0.contains("needs newDeadlineWorkingDays") })
            #expect(lines.contains { $0.contains("only once the group leader approves") })
            #expect(lines.contains { $0.contains("must notify someone") })
            #expect(lines.contains { $0.hasPrefix("escalation.yaml:31:") && $0.contains("{workingDays: n} or {hours: n}") })
            #expect(lines.count == 7, "\(lines)")
        }
    }

    @Test("rungs on the same deadline must be listed in firing order")
    func refusesOutOfOrder() {
        #expect(throws: ConfigErrors.self) {
            try EscalationLadder.parse(
                """
                rectify:
                  - {code: b, action: urge, anchor: rectifyDue, offset: {workingDays: 2}, targets: [handler]}
                  - {code: a, action: remind, anchor: rectifyDue, offset: {workingDays: -1}, targets: [handler]}
                """, file: "escalation.yaml")
        }
    }
}
