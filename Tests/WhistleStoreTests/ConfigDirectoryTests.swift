import Foundation
import Testing
import WhistleCore
import WhistleTestSupport
@testable import WhistleStore

@Suite("Configuration folder: calendars")
struct ConfigDirectoryTests {
    /// A configuration folder with the repository's calendars and one tenant.
    func folder(calendar: String = "cn", localDays: String? = nil) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("whistle-config-\(UUID().uuidString)")
        let tenant = root.appendingPathComponent("tenants/demo")
        try FileManager.default.createDirectory(at: tenant, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: TestPostgres.configDirectory.appendingPathComponent("calendars"), to: root.appendingPathComponent("calendars"))
        try "tenant:\n  code: demo\n  name: 示例县\n  kind: county\n  calendar: \(calendar)\n  source: t\n".write(
            to: tenant.appendingPathComponent("directory.yaml"), atomically: true, encoding: .utf8)
        if let localDays {
            try localDays.write(to: tenant.appendingPathComponent("calendar.yaml"), atomically: true, encoding: .utf8)
        }
        return root
    }

    @Test("a tenant's local days off and on are merged into its calendar")
    func localDays() throws {
        let root = try folder(localDays: "name: 示例县本地安排\ndaysOff:\n  - date: 2026-03-02\n    note: 暴雪停工\ndaysOn:\n  - 2026-03-07\n")
        defer { try? FileManager.default.removeItem(at: root) }
        let config = try ConfigDirectory.read(root)
        let national = try #require(config.calendars["cn"])
        let local = try #require(config.calendar(for: "demo"))
        #expect(try national.isWorkingDay(CivilDate(2026, 3, 2)))
        #expect(try !local.isWorkingDay(CivilDate(2026, 3, 2)))
        #expect(try !national.isWorkingDay(CivilDate(2026, 3, 7)))
        #expect(try local.isWorkingDay(CivilDate(2026, 3, 7)))
    }

    @Test("a tenant naming a calendar that does not exist is an error with its file")
    func unknownCalendar() throws {
        let root = try folder(calendar: "mars")
        defer { try? FileManager.default.removeItem(at: root) }
        #expect {
            _ = try ConfigDirectory.read(root)
        } throws: { error in
            guard let errors = error as? ConfigErrors, let first = errors.errors.first else { return false }
            return errors.errors.count == 1 && first.file.hasSuffix("tenants/demo/directory.yaml") && first.reason.contains("'mars'")
        }
    }

    @Test("each seed jurisdiction has its own sample ladder (濉溪县's is seed 001's standard); a tenant without one gets the standard; every rung's targets are in its directory")
    func escalationLadders() throws {
        let config = try ConfigDirectory.read(TestPostgres.configDirectory)
        #expect(config.tenant("suixi")?.escalation == .standard)
        #expect(config.tenant("wenchanghu")?.escalation.rectify.map(\.code) == ["remind", "urge", "supervise", "supervise-missed"])
        for code in ["yongning", "zaozhuang", "chongqing-demo"] {
            let ladder = try #require(config.tenant(code)?.escalation)
            #expect(ladder != .standard, "\(code)")
            #expect(ladder.rectify.last?.action == .publicNotice && ladder.rectify.last?.requiresApproval == true, "\(code)")
        }
        #expect(config.tenant("zaozhuang")?.escalation.rectify.first { $0.action == .supervisionOrder }?.newDeadlineWorkingDays == 10)
        let root = try folder()
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(try ConfigDirectory.read(root).tenant("demo")?.escalation == .standard)
        // Whom each rung names exists: the office and the leading group of every sample directory.
        for tenant in config.tenants {
            let department = try #require(tenant.directory.departments.first { $0.kind == .functional })
            for rung in tenant.escalation.rectify + tenant.escalation.acknowledge {
                let missing = EscalationRecipients.resolve(rung.targets, department: department.code, in: tenant.directory).unreachable
                    .filter { $0.contains("通讯录中没有") }
                #expect(missing.isEmpty, "\(tenant.directory.tenant.code) \(rung.code): \(missing)")
            }
        }
    }

    @Test("a secretEnv that is not set and departments no channel reaches are warned about before any rung fires")
    func channelWarnings() throws {
        var config = try ConfigDirectory.read(TestPostgres.configDirectory)
        #expect(config.channelWarnings(environment: [:]).isEmpty)  // the samples log
        let index = try #require(config.tenants.firstIndex { $0.directory.tenant.code == "suixi" })
        config.tenants[index].directory.defaultChannels = []
        config.tenants[index].directory.departments[0].channels = [
            NotifyChannel(kind: .dingtalk, url: "https://oapi.dingtalk.com/robot/send?access_token=a", secretEnv: "ZJJ_SECRET")
        ]
        let warnings = config.channelWarnings(environment: ["OTHER": "x"])
        #expect(warnings.count == 2)
        #expect(warnings.first?.contains("ZJJ_SECRET") == true)
        #expect(warnings.last?.contains("\(config.tenants[index].directory.departments.count - 1) department(s) have no notification channel") == true)
        #expect(config.channelWarnings(environment: ["ZJJ_SECRET": "s"]).count == 1)
    }

    @Test("a broken escalation.yaml names its file and line, and the configuration does not load")
    func brokenEscalation() throws {
        let root = try folder()
        defer { try? FileManager.default.removeItem(at: root) }
        try "rectify:\n  - code: urge\n    action: urge\n    anchor: rectifyDue\n    targets: [nobody]\n".write(
            to: root.appendingPathComponent("tenants/demo/escalation.yaml"), atomically: true, encoding: .utf8)
        #expect {
            _ = try ConfigDirectory.read(root)
        } throws: { error in
            guard let errors = error as? ConfigErrors, let first = errors.errors.first else { return false }
            return first.file.hasSuffix("tenants/demo/escalation.yaml") && first.line == 5 && first.reason.contains("'nobody'")
        }
    }

    @Test("the seeds' campaigns load with their phases, targets and report days; a broken campaigns.yaml names its file and line")
    func campaigns() throws {
        let config = try ConfigDirectory.read(TestPostgres.configDirectory)
        func plans(_ tenant: String) -> [CampaignPlan] { config.tenants.first { $0.directory.tenant.code == tenant }?.campaigns ?? [] }
        let wenchanghu = try #require(plans("wenchanghu").first)
        #expect(wenchanghu.phases.map(\.name) == ["动员部署阶段", "走访排查阶段", "问题整治阶段", "全面验收阶段", "总结提升阶段"])
        #expect(wenchanghu.targets.first?.measure == .rate(.rectification, atLeast: 0.9) && wenchanghu.monthlyReport?.day == 10)
        #expect(plans("zaozhuang").first?.monthlyReport?.day == 3)
        #expect(plans("yongning").first?.targets.map(\.measure) == [.compounds(count: 6, of: nil), .compounds(count: 66, of: nil), .compounds(count: 18, of: nil)])
        #expect(plans("chongqing-demo").first?.targets.first?.measure == .compounds(count: 130, of: 254))
        #expect(plans("suixi").isEmpty)

        let root = try folder()
        defer { try? FileManager.default.removeItem(at: root) }
        try "campaigns:\n  - code: a\n    name: A\n    from: 2026-01-01\n    to: 2025-12-31\n".write(
            to: root.appendingPathComponent("tenants/demo/campaigns.yaml"), atomically: true, encoding: .utf8)
        #expect {
            _ = try ConfigDirectory.read(root)
        } throws: { error in
            guard let errors = error as? ConfigErrors, let first = errors.errors.first else { return false }
            return first.file.hasSuffix("tenants/demo/campaigns.yaml") && first.line == 5 && first.reason.contains("ends on or after its start")
        }
    }

    @Test("a broken local calendar names its file and line")
    func brokenLocalDays() throws {
        let root = try folder(localDays: "name: x\ndaysOff:\n  - 2026-13-40\n")
        defer { try? FileManager.default.removeItem(at: root) }
        #expect {
            _ = try ConfigDirectory.read(root)
        } throws: { error in
            guard let errors = error as? ConfigErrors, let first = errors.errors.first else { return false }
            return first.file.hasSuffix("tenants/demo/calendar.yaml") && first.line == 3
        }
    }

    @Test("the calendar warns from 60 days before it runs out, and says so once it has")
    func coverageWarnings() throws {
        let config = try ConfigDirectory.read(TestPostgres.configDirectory)
        let zone = WorkCalendar.defaultTimeZone
        #expect(config.calendarWarnings(now: CivilDate(2026, 10, 31).start(in: zone)).isEmpty)
        let soon = config.calendarWarnings(now: CivilDate(2026, 11, 23).start(in: zone))
        #expect(soon.count == 1)
        #expect(soon.first?.contains("2026-12-31, 38 day(s) from now") == true)
        #expect(soon.first?.contains("calendars/cn.yaml") == true)
        let past = config.calendarWarnings(now: CivilDate(2027, 1, 5).start(in: zone))
        #expect(past.first?.contains("ended on 2026-12-31") == true)
        // What to do, and that nothing is lost meanwhile: the restart counts the deadlines left unset.
        #expect(soon.first?.contains("left unset until the daemon restarts with that year") == true)
        #expect(past.first?.contains("restart the daemon, which then counts the deadlines it could not") == true)
        // The sample rosters cover every hour: in the calendar's last month they are checked up to its last day, not refused.
        #expect(config.rosterWarnings(now: CivilDate(2026, 12, 4).start(in: zone)).isEmpty)
        #expect(config.rosterWarnings(now: CivilDate(2027, 1, 5).start(in: zone)).contains { $0.contains("the roster cannot be counted") })
    }

    @Test("a list with an error is not loaded, and neither is the configuration: file, line and reason")
    func brokenListLoadsNothing() throws {
        let root = try folder()
        defer { try? FileManager.default.removeItem(at: root) }
        let tenant = root.appendingPathComponent("tenants/yongning")
        try FileManager.default.copyItem(at: TestPostgres.configDirectory.appendingPathComponent("tenants/yongning"), to: tenant)
        let list = tenant.appendingPathComponent("liability/2023-05.yaml")
        let text = try String(contentsOf: list, encoding: .utf8)
        #expect(try ConfigDirectory.read(root).tenant("yongning")?.lists.versions.count == 1)
        try text.replacingOccurrences(of: "lead: [县委组织部]", with: "lead: [县教育局]").write(to: list, atomically: true, encoding: .utf8)
        #expect {
            _ = try ConfigDirectory.read(root)
        } throws: { error in
            guard let errors = error as? ConfigErrors, errors.errors.count == 1, let first = errors.errors.first else { return false }
            return first.file.hasSuffix("tenants/yongning/liability/2023-05.yaml") && first.line > 0
                && first.reason.contains("unknown department '县教育局'")
        }
    }
}
