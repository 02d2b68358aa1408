import Foundation
import Testing
import WhistleCore

/// Rates, roll-ups and rankings of the figures (issue 7), on counts made by hand.
@Suite("Figures: rates, roll-ups and rankings")
struct FiguresCoreTests {
    func counts(received: Int = 0, rectified: Int = 0, tasks: Int = 0, tasksRectified: Int = 0) -> FigureCounts {
        var c = FigureCounts()
        c.received = received
        c.issuesRectified = rectified
        c.tasks = tasks
        c.tasksRectified = tasksRectified
        return c
    }

    @Test("each rate divides what its definition says; nothing counted is no rate, not 0 %")
    func rates() {
        var c = FigureCounts()
        c.received = 8
        c.issuesRectified = 6
        c.issuesClosed = 5
        c.returnVisits = 4
        c.satisfied = 3
        c.tasks = 12
        c.acknowledgeDecided = 10
        c.acknowledgedInTime = 9
        c.tasksRectified = 9
        c.rectifiedInTime = 7
        #expect(c.rate(.rectification).percent == "75.0%")
        #expect(c.rate(.closure).percent == "62.5%")
        #expect(c.rate(.satisfaction).percent == "75.0%")
        #expect(c.rate(.response).percent == "90.0%")
        #expect(c.rate(.taskRectification).percent == "75.0%")
        #expect(c.rate(.onTimeRectification).percent == "77.8%")
        #expect(c.rate(.onTimeRectification).numerator == 7 && c.rate(.onTimeRectification).denominator == 9)
        #expect(c.rates.map(\.kind) == FigureRate.Kind.allCases)
        let empty = FigureCounts()
        #expect(empty.rate(.satisfaction).value == nil)
        #expect(empty.rate(.satisfaction).percent == "—")
        #expect(FigureRate.percent(2.0 / 3.0) == "66.7%")
        #expect(FigureRate.percent(1) == "100.0%")
        #expect(FigureRate.percent(0.0005) == "0.1%")
        #expect(FigureRate.percent(0) == "0.0%")
        for kind in FigureRate.Kind.allCases {
            #expect(!kind.title.isEmpty && kind.definition.contains("÷"))
        }
    }

    @Test("counts add up field by field, escalations by action")
    func sums() {
        var a = counts(received: 2, rectified: 1, tasks: 3, tasksRectified: 2)
        a.escalations = ["reminder": 2]
        a.deductions = 0.5
        a.overdueNow = 1
        var b = counts(received: 3, rectified: 3, tasks: 4, tasksRectified: 4)
        b.escalations = ["reminder": 1, "urge": 1]
        b.deductions = 1
        let sum = a + b
        #expect(sum.received == 5 && sum.issuesRectified == 4 && sum.tasks == 7 && sum.tasksRectified == 6 && sum.overdueNow == 1)
        #expect(sum.escalations == ["reminder": 3, "urge": 1])
        #expect(sum.deductions == 1.5)
    }

    @Test("compounds roll up into their territories, in the directory's order, empty ones with zeros")
    func rollUp() {
        let compounds = [
            FigureGroup(key: "c1", name: "甲小区", counts: counts(received: 2, rectified: 1)),
            FigureGroup(key: "c2", name: "乙小区", counts: counts(received: 3, rectified: 3)),
            FigureGroup(key: "c3", name: "丙小区", counts: counts(received: 4, rectified: 0)),
            FigureGroup(key: "orphan", name: "?", counts: counts(received: 9)),
        ]
        let parent = ["c1": "t1", "c2": "t1", "c3": "t2"]
        let towns = FigureGroup.rollUp(compounds, into: [("t2", "乙镇"), ("t1", "甲镇"), ("t3", "丙镇")], parentOf: { parent[$0] })
        #expect(towns.map(\.key) == ["t2", "t1", "t3"])
        #expect(towns.map(\.counts.received) == [4, 5, 0])
        #expect(towns[1].counts.rate(.rectification).percent == "80.0%")
        #expect(FigureGroup.total(towns).received == 9)
    }

    @Test("rankings: highest rate first, exact ties share a rank and the next skips, nothing counted is not ranked")
    func ranking() {
        let groups = [
            FigureGroup(key: "a", name: "甲", counts: counts(tasks: 3, tasksRectified: 2)),  // 66.7 %
            FigureGroup(key: "b", name: "乙", counts: counts(tasks: 6, tasksRectified: 4)),  // 66.7 %, more work
            FigureGroup(key: "c", name: "丙", counts: counts(tasks: 2, tasksRectified: 2)),  // 100 %
            FigureGroup(key: "d", name: "丁", counts: counts(tasks: 0, tasksRectified: 0)),  // nothing
            FigureGroup(key: "e", name: "戊", counts: counts(tasks: 10000, tasksRectified: 6666)),  // 66.7 % rounded, but below 2/3
        ]
        let (ranked, unranked) = FigureRanking.rank(groups, by: .taskRectification)
        #expect(ranked.map(\.key) == ["c", "b", "a", "e"])
        #expect(ranked.map(\.rank) == [1, 2, 2, 4])
        #expect(unranked == ["d"])
    }
}
