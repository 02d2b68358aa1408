import Foundation

/// A tenant's rosters as `config/tenants/<tenant>/rosters.yaml` gives them: per team, its members
/// and its rotations (and standing overrides; day-to-day swaps come through the API).
public struct TeamRosters: Sendable, Hashable {
    public struct Team: Sendable, Hashable {
        public var team: String
        public var members: [TeamMember]
        public var roster: Roster

        public init(team: String, members: [TeamMember], roster: Roster) {
            self.team = team
            self.members = members
            self.roster = roster
        }
    }

    public var teams: [Team]

    public init(teams: [Team] = []) {
        self.teams = teams
    }

    public static let empty = TeamRosters()

    /// Parses a `rosters.yaml` against the tenant's directory: every team is a department of kind
    /// team, every rotation's member is one of the team's. Every problem is reported, with its line.
    public static func parse(_ text: String, file: String, directory: Directory, timeZone: TimeZone) throws(ConfigErrors) -> TeamRosters {
        let root: ConfigNode
        do throws(ConfigError) {
            root = try ConfigNode.parse(text, file: file)
            try root.allowKeys(["teams"])
        } catch {
            throw ConfigErrors([error])
        }
        var problems: [ConfigError] = []
        var teams: [Team] = []
        do throws(ConfigError) {
            for node in try root.list("teams") {
                do throws(ConfigError) {
                    teams.append(try team(node, directory: directory, timeZone: timeZone, seen: teams.map(\.team)))
                } catch {
                    problems.append(error)
                }
            }
        } catch {
            problems.append(error)
        }
        guard problems.isEmpty else { throw ConfigErrors(problems) }
        return TeamRosters(teams: teams)
    }

    private static func team(_ node: ConfigNode, directory: Directory, timeZone: TimeZone, seen: [String]) throws(ConfigError) -> Team {
        try node.allowKeys(["team", "members", "rotations", "overrides"])
        let codeNode = try node.required("team")
        let code = try codeNode.string()
        guard let department = directory.departments.first(where: { $0.code == code }) else {
            throw codeNode.error("no department '\(code)' in the directory")
        }
        guard department.kind == .team else {
            throw codeNode.error("'\(code)' is a \(department.kind.rawValue) department, not a team")
        }
        guard !seen.contains(code) else { throw codeNode.error("the team '\(code)' has a roster already") }
        var members: [TeamMember] = []
        for item in try node.list("members") {
            try item.allowKeys(["code", "name", "mobile"])
            let memberCode = try Directory.code(item)
            guard !members.contains(where: { $0.code == memberCode }) else { throw try item.required("code").error("the member '\(memberCode)' is listed twice") }
            members.append(TeamMember(code: memberCode, name: try item.string("name"), mobile: try item.optionalString("mobile")))
        }
        guard !members.isEmpty else { throw node.error("a team's roster needs its members") }
        let known = Set(members.map(\.code))
        var rotations: [Rotation] = []
        for item in try node.list("rotations") {
            try item.allowKeys(["code", "cadence", "every", "members", "start", "handOver", "priority", "window", "timeZone"])
            let cadenceNode = try item.required("cadence")
            let every = try item.optionalInt("every") ?? 1
            guard every >= 1 else { throw try item.required("every").error("must be at least 1") }
            let cadence: Rotation.Cadence
            switch try cadenceNode.string() {
            case "daily": cadence = .daily
            case "weekly": cadence = .weekly
            case "workingDays": cadence = .workingDays(every)
            case let other: throw cadenceNode.error("'\(other)' is not a cadence: daily, weekly or workingDays (with every: n)")
            }
            let membersNode = try item.required("members")
            let turn = try membersNode.strings()
            guard !turn.isEmpty else { throw membersNode.error("a rotation needs at least one member") }
            for member in turn where !known.contains(member) {
                throw membersNode.error("'\(member)' is not a member of \(code)")
            }
            let startNode = try item.required("start")
            guard let start = CivilDate(try startNode.string()) else { throw startNode.error("not a date (YYYY-MM-DD)") }
            var window: Rotation.Window?
            if let windowNode = try item.optional("window") {
                try windowNode.allowKeys(["from", "to", "workingDaysOnly"])
                let from = try minutes(try windowNode.required("from"))
                let to = try minutes(try windowNode.required("to"))
                guard to > from else { throw windowNode.error("the window must end after it starts, within the day") }
                window = Rotation.Window(from: from, to: to, workingDaysOnly: try windowNode.optional("workingDaysOnly")?.bool() ?? false)
            }
            var rotationZone: TimeZone?
            if let zoneNode = try item.optional("timeZone") {
                let identifier = try zoneNode.string()
                guard let zone = TimeZone(identifier: identifier) else { throw zoneNode.error("'\(identifier)' is not a time zone (e.g. Asia/Shanghai)") }
                rotationZone = zone
            }
            let rotationCode = try Directory.code(item)
            guard !rotations.contains(where: { $0.code == rotationCode }) else { throw try item.required("code").error("the rotation '\(rotationCode)' is defined twice") }
            rotations.append(
                Rotation(
                    code: rotationCode, cadence: cadence, members: turn, start: start, handOver: try minutes(try item.required("handOver")),
                    priority: try item.optionalInt("priority") ?? 0, window: window, timeZone: rotationZone))
        }
        var overrides: [RosterOverride] = []
        for item in try node.list("overrides") {
            try item.allowKeys(["member", "from", "to", "reason"])
            let memberNode = try item.required("member")
            let member = try memberNode.string()
            guard known.contains(member) else { throw memberNode.error("'\(member)' is not a member of \(code)") }
            let fromNode = try item.required("from")
            let toNode = try item.required("to")
            guard let from = ISOMoment.parse(try fromNode.string(), in: timeZone) else { throw fromNode.error("not an ISO 8601 moment") }
            guard let to = ISOMoment.parse(try toNode.string(), in: timeZone) else { throw toNode.error("not an ISO 8601 moment") }
            guard to > from else { throw toNode.error("must be after from") }
            overrides.append(RosterOverride(member: member, from: from, to: to, reason: try item.optionalString("reason") ?? ""))
        }
        return Team(team: code, members: members, roster: Roster(team: code, rotations: rotations, overrides: overrides))
    }

    /// "08:30" → 510.
    static func minutes(_ node: ConfigNode) throws(ConfigError) -> Int {
        let text = try node.string()
        let parts = text.split(separator: ":")
        guard parts.count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]), (0...24).contains(hour), (0...59).contains(minute),
            hour * 60 + minute <= 24 * 60
        else { throw node.error("'\(text)' is not a time of day (HH:MM)") }
        return hour * 60 + minute
    }
}
