import Foundation

/// A routing decision spelled out for people: for every department, the list version, the entry
/// and the rule that put it there. `whistle route explain` prints it; the API returns it.
public struct RouteExplanation: Sendable, Encodable {
    public struct Named: Sendable, Encodable {
        public var code: String
        public var name: String
    }

    public struct ListVersion: Sendable, Encodable {
        public var version: String
        public var title: String
        public var source: String
        public var effective: String
    }

    public struct Entry: Sendable, Encodable {
        public var code: String
        public var name: String
        public var `class`: String
        public var className: String
        public var tags: [String]
        public var note: String?
    }

    public struct Place: Sendable, Encodable {
        public var code: String
        public var name: String
        public var territory: Named
    }

    public struct Reference: Sendable, Encodable {
        public var column: String
        public var position: Int
        public var written: String
    }

    public struct Limits: Sendable, Encodable {
        public var acknowledgeHours: Int?
        public var rectifyWorkingDays: Int?
        public var source: String
    }

    public struct Deadlines: Sendable, Encodable {
        public var dispatchedAt: String
        public var acknowledgeDue: String?
        public var rectifyDue: String
    }

    public struct Task: Sendable, Encodable {
        public var department: Named
        public var role: String
        public var roleName: String
        /// One sentence in Chinese naming the version, the entry and the reference.
        public var rule: String
        public var reference: Reference
        public var territory: Named?
        public var alsoNamed: [Reference]
        public var limits: Limits
        public var deadlines: Deadlines?
    }

    public struct Triage: Sendable, Encodable {
        public var reason: String
        public var message: String
        public var office: Named?
    }

    public var tenant: String
    public var reportedAt: String
    public var decision: String
    public var list: ListVersion?
    public var issueType: Entry?
    public var compound: Place
    public var tasks: [Task]
    public var triage: Triage?

    /// Explains `decision`; with `policy` and `dispatchedAt`, every task also gets its deadlines.
    public init(
        _ decision: RoutingDecision, router: IssueRouter, compound compoundCode: String, reportedAt: Date,
        policy: DeadlinePolicy? = nil, dispatchedAt: Date? = nil
    ) throws(DeadlineError) {
        let directory = router.directory
        let zone = TimeZone(identifier: directory.tenant.timeZone) ?? TimeZone(identifier: "Asia/Shanghai")!
        func department(_ code: String) -> Named {
            Named(code: code, name: directory.departments.first { $0.code == code }?.name ?? code)
        }
        func territory(_ code: String) -> Named {
            Named(code: code, name: directory.territories.first { $0.code == code }?.name ?? code)
        }
        let place = directory.compounds.first { $0.compound.code == compoundCode }
        tenant = directory.tenant.code
        self.reportedAt = ISOMoment.format(reportedAt, in: zone)
        compound = Place(
            code: compoundCode, name: place?.compound.name ?? compoundCode, territory: territory(place?.territory ?? ""))
        switch decision {
        case .triage(let reason, let version):
            self.decision = "triage"
            list = version.flatMap { router.catalog.version(named: $0) }.map(Self.describe)
            issueType = nil
            tasks = []
            triage = Triage(reason: reason.code, message: reason.description, office: router.office.map(department))
        case .routed(let plan):
            self.decision = "routed"
            let version = router.catalog.version(named: plan.listVersion)
            list = version.map(Self.describe)
            let type = version?.type(plan.issueType)
            issueType = type.map {
                Entry(code: $0.code, name: $0.name, class: $0.problemClass.rawValue, className: $0.problemClass.chineseName, tags: $0.tags, note: $0.note)
            }
            triage = nil
            var tasks: [Task] = []
            for task in plan.tasks {
                let reference = Self.reference(task.reason.reference)
                var rule = "责任清单 \(plan.listVersion) 第“\(plan.issueType)”项「\(type?.name ?? plan.issueType)」\(Self.columnName(task.reason.reference.column))第\(task.reason.reference.position)位“\(task.reason.reference.written)”"
                if let code = task.reason.territory {
                    rule += "：属地，即小区所在的\(territory(code).name)"
                }
                if !task.reason.alsoNamed.isEmpty {
                    rule += "（另列为" + task.reason.alsoNamed.map { Self.columnName($0.column) }.joined(separator: "、") + "，按\(task.role.chineseName)派单）"
                }
                var deadlines: Deadlines?
                if let policy, let dispatchedAt {
                    let computed = try task.deadlines(dispatchedAt: dispatchedAt, policy: policy)
                    deadlines = Deadlines(
                        dispatchedAt: ISOMoment.format(dispatchedAt, in: zone),
                        acknowledgeDue: computed.acknowledgeDue.map { ISOMoment.format($0, in: zone) },
                        rectifyDue: ISOMoment.format(computed.rectifyDue, in: zone))
                }
                tasks.append(
                    Task(
                        department: department(task.department), role: task.role.rawValue, roleName: task.role.chineseName,
                        rule: rule, reference: reference, territory: task.reason.territory.map(territory),
                        alsoNamed: task.reason.alsoNamed.map(Self.reference),
                        limits: Limits(
                            acknowledgeHours: task.limits.acknowledgeHours, rectifyWorkingDays: task.limits.rectifyWorkingDays,
                            source: task.limitsSource.rawValue),
                        deadlines: deadlines))
            }
            self.tasks = tasks
        }
    }

    static func columnName(_ column: Assignment.Column) -> String {
        switch column {
        case .lead: return "牵头部门"
        case .responsible: return "责任部门"
        case .supporting: return "配合单位"
        }
    }

    private static func reference(_ reference: RouteReason.Reference) -> Reference {
        Reference(column: reference.column.rawValue, position: reference.position, written: reference.written)
    }

    private static func describe(_ list: LiabilityList) -> ListVersion {
        ListVersion(version: list.version, title: list.title, source: list.source, effective: list.effective.description)
    }

    /// Pretty, key-sorted JSON: the same bytes from the command line and the API.
    public func json() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data("{}".utf8)
    }
}
