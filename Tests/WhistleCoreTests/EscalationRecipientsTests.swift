import Foundation
import Testing
@testable import WhistleCore

/// Who a rung reaches, what it says, and how long a failed delivery waits.
@Suite("Escalation recipients, documents and delivery backoff")
struct EscalationRecipientsTests {
    static let robot = NotifyChannel(kind: .dingtalk, url: "https://oapi.dingtalk.com/robot/send?access_token=zjj", secret: "SEC1")
    static let hook = NotifyChannel(kind: .webhook, url: "https://office.example/hook", secret: "s")
    static let leaderOwn = NotifyChannel(kind: .wecom, url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", format: .text)

    static func directory(office: Bool = true, defaults: [NotifyChannel] = []) -> Directory {
        var departments = [
            Department(
                code: "zjj", name: "县住建局", kind: .functional,
                people: [
                    Person(role: .principal, title: "局长", contacts: [Contact(channel: .phone, address: "1001")]),
                    Person(role: .deputyInCharge, title: "分管副局长", contacts: [Contact(channel: .phone, address: "1002")]),
                    Person(role: .liaison, title: "联络员"),
                    Person(role: .handler, title: "经办人", contacts: [Contact(channel: .phone, address: "1004")]),
                ], channels: [robot]),
            Department(code: "town", name: "甲镇人民政府", kind: .territorial, people: [Person(role: .handler, title: "专干")]),
            Department(
                code: "group", name: "领导小组", kind: .leadership,
                people: [Person(role: .principal, title: "组长", contacts: [Contact(channel: .phone, address: "1900")], channels: [leaderOwn])]),
        ]
        if office { departments.append(Department(code: "office", name: "专班办公室", kind: .office, channels: [hook])) }
        return Directory(
            tenant: Tenant(code: "demo", name: "示例县", kind: .county, source: "test"), territories: [], propertyCompanies: [], departments: departments,
            defaultChannels: defaults)
    }

    @Test("a department's people by role are @-mentioned on its robot; the office and the group leader get their own channels")
    func resolves() {
        let recipients = EscalationRecipients.resolve([.handler, .liaison, .deputyInCharge, .office, .groupLeader], department: "zjj", in: Self.directory())
        #expect(recipients.deliveries.map(\.channel) == [Self.robot, Self.hook, Self.leaderOwn])
        // In the order the rung names them; the liaison has no phone.
        #expect(recipients.deliveries[0].mentions == ["1004", "1002"])
        #expect(recipients.deliveries[0].people == ["经办人（县住建局）", "联络员（县住建局）", "分管副局长（县住建局）"])
        #expect(recipients.deliveries[1].mentions == [])
        #expect(recipients.deliveries[2].mentions == ["1900"])
        #expect(recipients.unreachable.isEmpty && !recipients.reachesNobody)
        #expect(recipients.people.contains("组长（领导小组）"))
    }

    @Test("a department without channels uses the directory's defaults; without either it is unreachable, said with why")
    func unreachable() {
        let none = EscalationRecipients.resolve([.handler], department: "town", in: Self.directory())
        #expect(none.reachesNobody)
        #expect(none.unreachable == ["经办人：甲镇人民政府未配置通知渠道"])
        let defaults = EscalationRecipients.resolve([.handler], department: "town", in: Self.directory(defaults: [NotifyChannel(kind: .log)]))
        #expect(defaults.deliveries.map(\.channel.kind) == [.log])
        let noOffice = EscalationRecipients.resolve([.office, .principal], department: "zjj", in: Self.directory(office: false))
        #expect(noOffice.unreachable == ["工作专班办公室：通讯录中没有专班办公室"])
        #expect(noOffice.deliveries.count == 1)
        let unknown = EscalationRecipients.resolve([.handler], department: "nobody", in: Self.directory())
        #expect(unknown.reachesNobody && unknown.unreachable.first?.contains("nobody") == true)
    }

    @Test("an approved notice goes to every member unit: functional, territorial and team departments")
    func memberUnits() {
        let members = EscalationRecipients.memberUnits(of: Self.directory(defaults: [NotifyChannel(kind: .log)]))
        #expect(members.deliveries.map(\.department) == ["zjj", "town"])
        #expect(members.unreachable.isEmpty)
    }

    @Test("rungs fire in order; a rung whose anchor is not set yet waits, and later rungs wait behind it")
    func nextRung() throws {
        let calendar = try WorkCalendar.parse(
            """
            name: 测试日历
            timeZone: Asia/Shanghai
            years:
              - year: 2026
                notice: 测试
                holidays:
                  - {name: 国庆节, from: 2026-10-01, to: 2026-10-07}
                workdays:
                  - {date: 2026-10-10}
            """, file: "cn.yaml")
        let zone = TimeZone(identifier: "Asia/Shanghai")!
        let due = ISOMoment.parse("2026-09-30T09:00:00+08:00", in: zone)!
        let ladder = EscalationLadder.standard
        var next = try #require(try ladder.next(on: .rectify, fired: [], anchors: [.rectifyDue: due], calendar: calendar, in: zone))
        #expect(next.rung.code == "remind" && next.moment == ISOMoment.parse("2026-09-29T09:00:00+08:00", in: zone))
        next = try #require(try ladder.next(on: .rectify, fired: ["remind", "urge"], anchors: [.rectifyDue: due], calendar: calendar, in: zone))
        #expect(next.rung.code == "supervise" && next.moment == ISOMoment.parse("2026-10-08T09:00:00+08:00", in: zone))
        next = try #require(try ladder.next(on: .rectify, fired: ["remind", "urge", "supervise"], anchors: [.rectifyDue: due], calendar: calendar, in: zone))
        #expect(next.rung.code == "talk" && next.moment == nil)
        let fired: Set<String> = ["remind", "urge", "supervise", "talk", "notice", "accountability"]
        #expect(try ladder.next(on: .rectify, fired: fired, anchors: [.rectifyDue: due], calendar: calendar, in: zone) == nil)
        #expect(EscalationTrack(timerKind: "ladder.acknowledge") == .acknowledge && EscalationTrack(timerKind: "rectify") == nil)
    }

    @Test("documents: the supervision order names the task, the lateness and the new deadline; the talk notice its reason, manner, time, place and participants")
    func documents() {
        let zone = TimeZone(identifier: "Asia/Shanghai")!
        let facts = EscalationFacts(
            tenantName: "示例县", escalationID: 12, issueID: 3, taskID: 4, compound: "一小区", issueType: "物业服务不规范（rw-01）", description: "无物业",
            department: "县住建局", acknowledgeDue: nil, rectifyDue: ISOMoment.parse("2026-09-29T09:00:00+08:00", in: zone),
            supervisionDue: ISOMoment.parse("2026-10-13T09:00:00+08:00", in: zone), at: ISOMoment.parse("2026-09-30T09:00:00+08:00", in: zone)!,
            timeZone: zone)
        let order = EscalationNotice.fired(
            EscalationLadder.standard.rectify[2], track: .rectify, facts: facts, people: [],
            newDeadline: ISOMoment.parse("2026-10-13T09:00:00+08:00", in: zone))
        #expect(order.document?.kind == "督办单")
        #expect(order.document?.number == "督办〔2026〕第12号")
        #expect(order.document?.value("责任单位") == "县住建局")
        #expect(order.document?.value("原整改期限") == "2026年9月29日 09:00")
        #expect(order.document?.value("办结时限") == "2026年10月13日 09:00")
        #expect(order.document?.value("督办事项")?.contains("问题 #3，任务 #4") == true)
        let talk = EscalationNotice.talkNotice(
            facts: facts, arrangement: TalkArrangement(time: ISOMoment.parse("2026-10-15T09:30:00+08:00", in: zone)!, place: "三楼会议室"),
            participants: ["分管副局长（县住建局）", "经办人（县住建局）"])
        #expect(talk.document?.value("约谈时间") == "2026年10月15日 09:30")
        #expect(talk.document?.value("约谈地点") == "三楼会议室")
        #expect(talk.document?.value("约谈方式") == "当面约谈")
        #expect(talk.document?.value("参加人员") == "分管副局长（县住建局）、经办人（县住建局）")
        #expect(talk.document?.value("约谈事由")?.contains("2026年10月13日 09:00") == true)
        #expect(talk.text(mentions: ["1002"]).hasSuffix("@1002"))
        #expect(talk.markdown().contains("- **约谈地点**：三楼会议室"))
        let urge = EscalationNotice.fired(EscalationLadder.standard.rectify[1], track: .rectify, facts: facts, people: [])
        #expect(urge.lines.contains("本次催办计入月度考评，扣0.5分。"))
    }

    @Test("backoff doubles from the base up to the cap, jittered between half and all of it")
    func backoff() {
        var settings = NotificationSettings()
        settings.backoffBaseSeconds = 30
        settings.backoffCapSeconds = 600
        #expect(settings.backoff(afterAttempt: 1, unit: 0) == 15)
        #expect(settings.backoff(afterAttempt: 1, unit: 1) == 30)
        #expect(settings.backoff(afterAttempt: 3, unit: 0.5) == 90)
        #expect(settings.backoff(afterAttempt: 10, unit: 1) == 600)
        #expect(settings.backoff(afterAttempt: 10, unit: 0) == 300)
        #expect(settings.backoff(afterAttempt: 200, unit: 1) == 600)
    }

    @Test("channels in the directory: each kind's address and secret are checked, with the line")
    func channelParsing() throws {
        func parse(_ channels: String) throws(ConfigErrors) -> Directory {
            try Directory.parse(
                """
                tenant: {code: demo, name: 示例县, kind: county, source: test}
                departments:
                  - code: zjj
                    name: 县住建局
                    kind: functional
                    channels:
                \(channels)
                """, file: "directory.yaml")
        }
        let directory = try parse(
            """
                  - {kind: dingtalk, url: "https://oapi.dingtalk.com/robot/send?access_token=a", secretEnv: ZJJ_SECRET, format: text}
                  - {kind: log}
            """)
        #expect(directory.departments[0].channels == [
            NotifyChannel(kind: .dingtalk, url: "https://oapi.dingtalk.com/robot/send?access_token=a", secretEnv: "ZJJ_SECRET", format: .text),
            NotifyChannel(kind: .log),
        ])
        let wrong: [(String, String)] = [
            ("      - {kind: log, url: \"https://x\"}", "takes no url"),
            ("      - {kind: wecom, url: \"https://x\", secret: s}", "is not signed"),
            ("      - {kind: webhook, url: \"ftp://x\"}", "is not an http(s) address"),
            ("      - {kind: webhook, url: \"https://x\", secret: a, secretEnv: B}", "not both"),
            ("      - {kind: sms, url: \"https://x\"}", "sms"),
            ("      - {kind: dingtalk}", "url"),
        ]
        for (text, reason) in wrong {
            #expect {
                _ = try parse(text)
            } throws: { error in
                let description = "\(error)"
                return description.contains(reason) && description.contains("directory.yaml:7")
            }
        }
    }
}
