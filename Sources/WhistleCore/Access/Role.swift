/// What a credential may do, by the people of DESIGN.md.
public enum Role: String, Sendable, Hashable, CaseIterable, Codable {
    /// Maintains the tenant: everything.
    case admin
    /// The campaign office (专班办公室): triage, verification, rulings, return visits.
    case office
    /// A department's handler (经办人): its own department's tasks.
    case handler
    /// A department's leader: its own department's tasks.
    case departmentLeader
    /// The scheduler of a specialist team: its team's tasks.
    case scheduler
    /// A leader who receives escalation notices: reads everything, changes nothing here.
    case leader
    /// A community, grid worker or hotline that reports problems: its own reports.
    case reporter

    /// Roles bound to one department.
    public var isDepartmentRole: Bool { self == .handler || self == .departmentLeader || self == .scheduler }

    public var chineseName: String {
        switch self {
        case .admin: return "管理员"
        case .office: return "专班办公室"
        case .handler: return "部门经办人"
        case .departmentLeader: return "部门负责人"
        case .scheduler: return "专班调度"
        case .leader: return "领导"
        case .reporter: return "上报人"
        }
    }
}

/// Who is asking: a credential's tenant, role and department.
public struct Principal: Sendable, Hashable {
    public var credential: Int64
    public var tenant: String
    public var role: Role
    public var department: String?
    public var name: String

    public init(credential: Int64, tenant: String, role: Role, department: String? = nil, name: String) {
        self.credential = credential
        self.tenant = tenant
        self.role = role
        self.department = department
        self.name = name
    }

    /// How events name the actor: `credential:12 张三(部门经办人)`.
    public var actor: String { "credential:\(credential) \(name)(\(role.chineseName))" }
}

/// The role matrix: who may do what. Pure, so that it is tested exhaustively.
public enum AccessPolicy {
    /// An operation of the API.
    public enum Operation: Sendable, Hashable {
        /// Read the directory, the lists, ask the router.
        case readReference
        case reportIssue
        /// Read one issue; `departments` hold a task on it, `reporters` made it or an issue merged into it.
        case readIssue(departments: Set<String>, reporters: Set<Int64>)
        case classify
        /// Merge an issue into another (duplicate_of).
        case merge
        /// Act on a task of `department`.
        case task(TaskAction, department: String)
        case returnVisit
        case readGaps
        /// List tasks: one department's (its inbox) or, with nil, every department's.
        case readInbox(department: String?)
        /// See residents' names and phones unmasked.
        case seePersonalData
        /// Read escalations and deductions: one department's or, with nil, every department's.
        case readEscalations(department: String?)
        /// Set a talk's time and place, record its outcome (the office).
        case arrangeTalk
        /// Approve or reject a drafted public notice (the group leader, a leader credential).
        case decideNotice
        /// List the outbox and send dead notifications again.
        case manageNotifications
        /// Schedule a joint operation that `lead` leads (the office, or the lead department itself).
        case scheduleOperation(lead: String)
        /// Read joint operations: those `department` takes part in or, with nil, every one.
        case readOperations(department: String?)
        /// Confirm (报到) for `department`, a participant of an operation.
        case confirmOperation(department: String)
        /// Record outcomes of, or cancel, an operation that `lead` leads.
        case leadOperation(lead: String)
        /// Add or cancel one-off overrides of `team`'s roster (its scheduler or leader, the office).
        case manageRoster(team: String)
        /// Record a door-to-door visit (走访).
        case recordVisit
        /// Read visit coverage, property companies' credit and the priority list.
        case readFieldWork
        /// Draw spot checks and record their findings (the office).
        case spotCheck
        /// Export the ledgers (台账).
        case exportLedger
        /// Read the figures, rankings, campaigns' progress and monthly reports.
        case readFigures
        /// Record or withdraw a compound's reaching a campaign target (验收达标; the office).
        case recordAttainment
    }

    /// The department side of a task's lifecycle.
    public static let departmentActions: Set<TaskAction> = [.acknowledge, .start, .rectify, .dispute, .requestExtension]

    public static func allows(_ principal: Principal, _ operation: Operation) -> Bool {
        let role = principal.role
        switch operation {
        case .readReference:
            return true
        case .reportIssue:
            return role != .leader
        case .readIssue(let departments, let reporters):
            switch role {
            case .admin, .office, .leader: return true
            case .handler, .departmentLeader, .scheduler: return principal.department.map(departments.contains) ?? false
            case .reporter: return reporters.contains(principal.credential)
            }
        case .classify, .merge, .returnVisit, .readGaps:
            return role == .admin || role == .office
        case .task(let action, let department):
            if departmentActions.contains(action) {
                return role == .admin || (role.isDepartmentRole && principal.department == department)
            }
            return role == .admin || role == .office
        case .seePersonalData:
            return role == .admin || role == .office
        case .arrangeTalk, .manageNotifications:
            return role == .admin || role == .office
        case .decideNotice:
            return role == .admin || role == .leader
        case .readEscalations(let department):
            switch role {
            case .admin, .office, .leader: return true
            case .handler, .departmentLeader, .scheduler: return department != nil && department == principal.department
            case .reporter: return false
            }
        case .scheduleOperation(let lead), .leadOperation(let lead):
            return role == .admin || role == .office || (role.isDepartmentRole && principal.department == lead)
        case .recordVisit:
            return role != .leader
        case .readFieldWork:
            return role != .reporter
        case .spotCheck:
            return role == .admin || role == .office
        case .exportLedger, .readFigures:
            return role != .reporter
        case .recordAttainment:
            return role == .admin || role == .office
        case .manageRoster(let team):
            return role == .admin || role == .office || ((role == .scheduler || role == .departmentLeader) && principal.department == team)
        case .confirmOperation(let department):
            return role == .admin || (role.isDepartmentRole && principal.department == department)
        case .readOperations(let department):
            switch role {
            case .admin, .office, .leader: return true
            case .handler, .departmentLeader, .scheduler: return department != nil && department == principal.department
            case .reporter: return false
            }
        case .readInbox(let department):
            switch role {
            case .admin, .office, .leader: return true
            case .handler, .departmentLeader, .scheduler: return department != nil && department == principal.department
            case .reporter: return false
            }
        }
    }
}
