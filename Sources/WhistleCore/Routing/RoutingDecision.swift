import Foundation

/// The share of an issue a department is given (牵头部门 · 共同牵头 · 责任部门 · 配合单位).
public enum TaskRole: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case lead, coLead, responsible, supporting

    public var chineseName: String {
        switch self {
        case .lead: return "牵头部门"
        case .coLead: return "共同牵头部门"
        case .responsible: return "责任部门"
        case .supporting: return "配合单位"
        }
    }

    /// Stronger roles sort first.
    public static func < (lhs: TaskRole, rhs: TaskRole) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// Where a routed issue goes: tasks for departments, or the campaign office's triage queue.
public enum RoutingDecision: Sendable, Hashable {
    case routed(RoutePlan)
    /// Nothing could route the issue; the office decides. Never dropped.
    case triage(TriageReason, listVersion: String?)
}

/// Why an issue went to triage.
public enum TriageReason: Sendable, Hashable, CustomStringConvertible {
    /// The report gave no issue type.
    case noType
    /// The type is in no version of the list in force.
    case unknownType(String)
    /// No version of the list was in force on the report's day.
    case noListInForce(CivilDate)

    public var code: String {
        switch self {
        case .noType: return "no-type"
        case .unknownType: return "unknown-type"
        case .noListInForce: return "no-list-in-force"
        }
    }

    /// What the office reads.
    public var description: String {
        switch self {
        case .noType: return "问题未分类，请专班办公室确认问题类型"
        case .unknownType(let code): return "问题类型“\(code)”不在现行责任清单中，请专班办公室确认"
        case .noListInForce(let date): return "\(date) 无有效责任清单，请专班办公室分派"
        }
    }
}

/// The tasks one issue gets, in order of role, and the list entry that decided them.
public struct RoutePlan: Sendable, Hashable {
    public var tenant: String
    public var listVersion: String
    public var issueType: String
    public var compound: String
    public var territory: String
    public var tasks: [RoutedTask]

    /// The departments of the plan, in order of role.
    public var departments: [String] { tasks.map(\.department) }
}

/// One department's task, its limits, and why it is there.
public struct RoutedTask: Sendable, Hashable {
    public var department: String
    public var role: TaskRole
    public var limits: DeadlineLimits
    public var limitsSource: TenantDeadlines.Source
    public var reason: RouteReason

    public init(department: String, role: TaskRole, limits: DeadlineLimits, limitsSource: TenantDeadlines.Source, reason: RouteReason) {
        self.department = department
        self.role = role
        self.limits = limits
        self.limitsSource = limitsSource
        self.reason = reason
    }

    /// A task the office assigns by hand (a dispute reassigned, an issue reopened), with the limits it had.
    public static func assigned(_ department: String, role: TaskRole, limits: DeadlineLimits) -> RoutedTask {
        RoutedTask(
            department: department, role: role, limits: limits, limitsSource: .entry,
            reason: RouteReason(reference: .init(column: .responsible, position: 1, written: department), territory: nil, alsoNamed: []))
    }

    /// The task's deadlines when it is dispatched at `dispatchedAt`, counted in `policy`'s calendar.
    public func deadlines(dispatchedAt: Date, policy: DeadlinePolicy) throws(DeadlineError) -> TaskDeadlines {
        try policy.deadlines(dispatchedAt: dispatchedAt, limits: limits)
    }
}

/// The rule that put a department on an issue: the reference in the list entry.
public struct RouteReason: Sendable, Hashable {
    /// A reference of the entry.
    public struct Reference: Sendable, Hashable {
        public var column: Assignment.Column
        public var position: Int
        public var written: String

        public init(column: Assignment.Column, position: Int, written: String) {
            self.column = column
            self.position = position
            self.written = written
        }
    }

    /// The reference that gave the department its role.
    public var reference: Reference
    /// Set when the reference was a territorial placeholder: the compound's territory.
    public var territory: String?
    /// Other references of the entry that named the same department, with a weaker or equal role.
    public var alsoNamed: [Reference]

    public init(reference: Reference, territory: String?, alsoNamed: [Reference]) {
        self.reference = reference
        self.territory = territory
        self.alsoNamed = alsoNamed
    }
}

/// Why an issue could not be routed at all.
public enum RoutingError: Error, Sendable, Hashable, CustomStringConvertible {
    case unknownTenant(String)
    case unknownCompound(String)
    /// The entry names the territorial department, but the compound's territory has none.
    case noTerritorialDepartment(territory: String, written: String)

    public var description: String {
        switch self {
        case .unknownTenant(let code): return "unknown tenant '\(code)'"
        case .unknownCompound(let code): return "unknown compound '\(code)'"
        case .noTerritorialDepartment(let territory, let written):
            return "the list names '\(written)', but territory '\(territory)' has no territorial department in the directory"
        }
    }
}
