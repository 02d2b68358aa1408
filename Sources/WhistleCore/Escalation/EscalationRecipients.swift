/// Who a rung reaches and through which channels, resolved from the directory: the task's
/// department people by role, the campaign office, the group leader (组长, the principal of the
/// leading group). One delivery per channel, @-mentioning the targeted people by mobile.
public struct EscalationRecipients: Sendable, Hashable {
    public struct Delivery: Sendable, Hashable, Codable {
        /// The department whose channel this is (the person's, for a leader's own channel).
        public var department: String
        public var departmentName: String
        public var channel: NotifyChannel
        /// Mobiles to @-mention.
        public var mentions: [String]
        /// The targeted people, by title ("分管副局长（分管负责人）").
        public var people: [String]

        public init(department: String, departmentName: String, channel: NotifyChannel, mentions: [String], people: [String]) {
            self.department = department
            self.departmentName = departmentName
            self.channel = channel
            self.mentions = mentions
            self.people = people
        }
    }

    public var deliveries: [Delivery]
    /// Everyone the rung names, by title, for documents ("参加人员").
    public var people: [String]
    /// Targets that no channel reaches, each with why (in Chinese, for the office's view).
    public var unreachable: [String]

    /// Nobody at all could be told: an event of its own, never a silent skip.
    public var reachesNobody: Bool { deliveries.isEmpty }

    public init(deliveries: [Delivery] = [], people: [String] = [], unreachable: [String] = []) {
        self.deliveries = deliveries
        self.people = people
        self.unreachable = unreachable
    }

    /// Resolves `targets` for a task of `department`.
    public static func resolve(_ targets: [EscalationTarget], department code: String, in directory: Directory) -> EscalationRecipients {
        var result = EscalationRecipients()
        // Targets grouped by the department that receives them, in the order they first appear.
        var groups: [(department: Department, people: [Person], targets: [EscalationTarget])] = []
        func add(_ department: Department, _ people: [Person], _ target: EscalationTarget) {
            if let index = groups.firstIndex(where: { $0.department.code == department.code }) {
                for person in people where !groups[index].people.contains(person) { groups[index].people.append(person) }
                groups[index].targets.append(target)
            } else {
                groups.append((department, people, [target]))
            }
        }
        let own = directory.departments.first { $0.code == code }
        for target in targets {
            switch target {
            case .handler, .liaison, .deputyInCharge, .principal:
                guard let own else {
                    result.unreachable.append("\(target.chineseName)：通讯录中没有部门 \(code)")
                    continue
                }
                let role = Person.Role(rawValue: target.rawValue)!
                add(own, own.people.filter { $0.role == role }, target)
            case .office:
                guard let office = directory.departments.first(where: { $0.kind == .office }) else {
                    result.unreachable.append("\(target.chineseName)：通讯录中没有专班办公室")
                    continue
                }
                add(office, [], target)
            case .groupLeader:
                guard let group = directory.departments.first(where: { $0.kind == .leadership }) else {
                    result.unreachable.append("\(target.chineseName)：通讯录中没有领导小组（工作专班）")
                    continue
                }
                add(group, group.people.filter { $0.role == .principal }, target)
            }
        }
        for group in groups {
            let titles = group.people.map { "\($0.title)（\(group.department.name)）" }
            result.people += group.people.isEmpty ? [group.department.name] : titles
            var reached = false
            for channel in directory.channels(of: group.department) {
                result.deliveries.append(
                    Delivery(
                        department: group.department.code, departmentName: group.department.name, channel: channel,
                        mentions: group.people.compactMap(\.mobile), people: group.people.isEmpty ? [group.department.name] : titles))
                reached = true
            }
            for person in group.people {
                for channel in person.channels {
                    result.deliveries.append(
                        Delivery(
                            department: group.department.code, departmentName: group.department.name, channel: channel,
                            mentions: person.mobile.map { [$0] } ?? [], people: ["\(person.title)（\(group.department.name)）"]))
                    reached = true
                }
            }
            if !reached {
                let names = group.targets.map(\.chineseName).joined(separator: "、")
                result.unreachable.append("\(names)：\(group.department.name)未配置通知渠道")
            }
        }
        return result
    }

    /// A team's officer on duty: the team's channels, naming the officer and @-mentioning their
    /// mobile (a hand-off, the whistle at dispatch).
    public static func onDuty(_ name: String, mobile: String?, team: Department, in directory: Directory) -> EscalationRecipients {
        var result = EscalationRecipients(people: [name])
        result.deliveries = directory.channels(of: team).map {
            Delivery(department: team.code, departmentName: team.name, channel: $0, mentions: mobile.map { [$0] } ?? [], people: [name])
        }
        if result.deliveries.isEmpty { result.unreachable = ["当班人员\(name)：\(team.name)未配置通知渠道"] }
        return result
    }

    /// Every member unit (成员单位) of the campaign: the functional, territorial and team
    /// departments, each through its channels. An approved public notice goes to all of them.
    public static func memberUnits(of directory: Directory) -> EscalationRecipients {
        var result = EscalationRecipients()
        for department in directory.departments where [.functional, .territorial, .team].contains(department.kind) {
            let channels = directory.channels(of: department)
            result.people.append(department.name)
            if channels.isEmpty { result.unreachable.append("\(department.name)：未配置通知渠道") }
            for channel in channels {
                result.deliveries.append(
                    Delivery(department: department.code, departmentName: department.name, channel: channel, mentions: [], people: [department.name]))
            }
        }
        return result
    }
}
