import Foundation
import Testing
@testable import WhistleCore

@Suite("Field work: the reproducible draw, credit grades and the priority list")
struct FieldWorkCoreTests {
    let zone = TimeZone(identifier: "Asia/Shanghai")!

    func at(_ text: String) -> Date { ISOMoment.parse(text, in: zone)! }

    static let compounds = (1...12).map { String(format: "c-%02d", $0) }

    @Test("the same seed and candidates give the same sample, in any order of the candidates; another seed another one")
    func reproducible() {
        let first = SpotDraw.draw(Self.compounds, count: 4, seed: "2026-12 抽查")
        #expect(first.count == 4 && Set(first).count == 4 && Set(first).isSubset(of: Self.compounds))
        #expect(SpotDraw.draw(Self.compounds.reversed(), count: 4, seed: "2026-12 抽查") == first)
        #expect(SpotDraw.draw(Self.compounds, count: 4, seed: "2026-11 抽查") != first)
        #expect(SpotDraw.draw(Self.compounds, count: 40, seed: "x").count == 12)
        #expect(SpotDraw.draw([], count: 3, seed: "x").isEmpty)
        #expect(SpotDraw.fnv1a("") == 0xcbf2_9ce4_8422_2325)
    }

    @Test("the draw is the documented algorithm: a Python implementation of it gives the same sample")
    func independentImplementation() throws {
        let script = """
            import sys
            M = (1 << 64) - 1
            seed, count, items = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
            h = 0xcbf29ce484222325
            for b in seed.encode('utf-8'):
                h = ((h ^ b) * 0x100000001b3) & M
            state = h
            def nxt():
                global state
                state = (state + 0x9E3779B97F4A7C15) & M
                z = state
                z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
                z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
                return z ^ (z >> 31)
            pool = sorted(set(items), key=lambda s: s.encode('utf-8'))
            take = min(max(count, 0), len(pool))
            for i in range(take):
                j = i + nxt() % (len(pool) - i)
                pool[i], pool[j] = pool[j], pool[i]
            print(' '.join(pool[:take]))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let candidates = Self.compounds + ["示例小区A", "示例小区B"]
        process.arguments = ["python3", "-c", script, "双随机 2026-12", "5"] + candidates
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(process.terminationStatus == 0)
        #expect(output.split(separator: " ").map(String.init) == SpotDraw.draw(candidates, count: 5, seed: "双随机 2026-12"))
    }

    func fact(_ issue: Int64, _ compound: String = "c1", type: String = "wy-1", cls: String? = "propertyService", at date: String, late: Bool = false, dissatisfied: Bool = false, conflict: Bool = false) -> CreditFact {
        CreditFact(issue: issue, compound: compound, type: type, issueClass: cls, reportedAt: at(date), late: late, dissatisfied: dissatisfied, conflict: conflict)
    }

    @Test("credit: counted classes only, lateness and dissatisfaction cost more, the window drops old issues; grades and stars by threshold")
    func credit() {
        let rules = AssessmentRules.Credit()
        let now = at("2026-12-01T12:00:00+08:00")
        let facts = [
            fact(1, at: "2026-11-01T09:00:00+08:00"),
            fact(2, at: "2026-11-02T09:00:00+08:00", late: true),
            fact(3, at: "2026-11-03T09:00:00+08:00", dissatisfied: true),
            fact(4, type: "sb-1", cls: "facilities", at: "2026-11-04T09:00:00+08:00", late: true),  // not the company's
            fact(5, at: "2025-11-01T09:00:00+08:00"),  // outside the year
        ]
        let assessment = CreditAssessment.assess(company: "pc-1", facts: facts, rules: rules, now: now)
        #expect(assessment.items.map(\.key) == ["1:issue", "2:issue", "2:late", "3:issue", "3:dissatisfied"])
        #expect(assessment.score == 100 - 2 - 2 - 3 - 2 - 5)
        #expect(assessment.grade == "A" && assessment.stars == 4)
        #expect(CreditAssessment.assess(company: "pc-1", facts: [], rules: rules, now: now).grade == "AA")
        let many = (1...20).map { fact(Int64($0), at: "2026-11-01T09:00:00+08:00", late: true) }
        let low = CreditAssessment.assess(company: "pc-1", facts: many, rules: rules, now: now)
        #expect(low.score == 0 && low.grade == "C" && low.stars == 1)
        // Listed types count whatever their class.
        var typed = rules
        typed.countedTypes = ["sb-1"]
        #expect(CreditAssessment.assess(company: "pc-1", facts: [facts[3]], rules: typed, now: now).items.count == 2)
        let (added, dropped) = assessment.explanation(since: [CreditItem(issue: 5, compound: "c1", kind: "issue", points: -2), assessment.items[0]])
        #expect(added.map(\.issue) == [2, 2, 3, 3] && dropped.map(\.issue) == [5])
        #expect(added.first?.chinese == "问题 #2 计入问题 -2 分")
    }

    @Test("the priority list: a company of two stars or fewer, many complaints, or conflicts put a compound on it, each with its reason")
    func priority() {
        let rules = AssessmentRules()
        let now = at("2026-12-01T12:00:00+08:00")
        let facts = (1...5).map { fact(Int64($0), "busy", at: "2026-11-0\($0)T09:00:00+08:00") }
            + [fact(6, "tense", type: "sb-1", cls: "facilities", at: "2026-11-01T09:00:00+08:00", conflict: true),
               fact(7, "tense", type: "sb-1", cls: "facilities", at: "2026-11-02T09:00:00+08:00", conflict: true)]
        let entries = PriorityList.entries(
            compounds: [("busy", "pc-1"), ("tense", "pc-2"), ("calm", "pc-3"), ("weak", "pc-4")], facts: facts,
            stars: ["pc-1": 4, "pc-2": 5, "pc-3": 3, "pc-4": 2], rules: rules, now: now)
        #expect(entries.map(\.compound) == ["busy", "tense", "weak"])
        #expect(entries[0].reasons == ["投诉较多：5 件"])
        #expect(entries[1].reasons.first?.hasPrefix("矛盾问题突出") == true)
        #expect(entries[2].reasons.first?.contains("2星级") == true)
    }

    @Test("assessment.yaml: defaults for what is left out; levels from the highest down, the last without min; problems with their line")
    func parsing() throws {
        let rules = try AssessmentRules.parse(
            """
            spotChecks: {unlistedProblemPoints: 1.5}
            credit:
              perIssue: 1
              grades:
                - {name: AA, min: 90}
                - {name: C}
            priorityList: {complaints: 3}
            """, file: "assessment.yaml")
        #expect(rules.spotChecks.unlistedProblemPoints == 1.5 && rules.spotChecks.falseClosurePoints == 2)
        #expect(rules.credit.perIssue == 1 && rules.credit.grades.map(\.name) == ["AA", "C"])
        #expect(rules.priorityList.complaints == 3 && rules.priorityList.maxStars == 2)
        let wrong: [(String, String, Int)] = [
            ("credit:\n  grades:\n    - {name: A, min: 80}\n    - {name: B, min: 90}\n    - {name: C}\n", "from the highest down", 4),
            ("credit:\n  grades:\n    - {name: A, min: 80}\n    - {name: C, min: 10}\n", "no min", 4),
            ("credit:\n  stars:\n    - {name: five, min: 80}\n    - {name: \"1\"}\n", "number of stars", 3),
            ("spotChecks: {unlistedProblemPoints: -1}\n", "negative", 1),
            ("credits: {}\n", "credits", 1),
        ]
        for (text, reason, line) in wrong {
            #expect {
                _ = try AssessmentRules.parse(text, file: "assessment.yaml")
            } throws: { error in
                guard let errors = error as? ConfigErrors, let first = errors.errors.first else { return false }
                return first.reason.contains(reason) && first.line == line
            }
        }
    }
}
