import Foundation

/// Routes issues of one tenant through its liability lists: pure, no I/O.
///
/// Built once per tenant from its directory, list versions and deadline settings (work that
/// resolves names and precomputes every entry's limits), so `route` is a few dictionary lookups.
public struct IssueRouter: Sendable {
    public let directory: Directory
    public let catalog: LiabilityCatalog
    public let deadlines: TenantDeadlines
    /// The campaign office, which triage goes to; nil when the directory has none.
    public let office: String?

    private struct CompiledType: Sendable {
        var code: String
        var assignments: [(role: TaskRole, reference: RouteReason.Reference, target: Assignment.Target)]
        var limits: DeadlineLimits
        var limitsSource: TenantDeadlines.Source
    }

    private struct CompiledVersion: Sendable {
        var version: String
        var startsAt: Date
        var endsAt: Date?
        var types: [String: CompiledType]
    }

    private let versions: [CompiledVersion]
    private let places: [String: (territory: String, territorial: String?)]
    private let timeZone: TimeZone

    public init(directory: Directory, catalog: LiabilityCatalog, deadlines: TenantDeadlines = .standard) {
        self.directory = directory
        self.catalog = catalog
        self.deadlines = deadlines
        self.office = directory.departments.first { $0.kind == .office }?.code
        let timeZone = TimeZone(identifier: directory.tenant.timeZone) ?? TimeZone(identifier: "Asia/Shanghai")!
        self.timeZone = timeZone
        var territorial: [String: String] = [:]
        for department in directory.departments where department.kind == .territorial {
            if let territory = department.territory, territorial[territory] == nil { territorial[territory] = department.code }
        }
        var places: [String: (String, String?)] = [:]
        for (territory, _, compound) in directory.compounds {
            places[compound.code] = (territory, territorial[territory])
        }
        self.places = places
        versions = catalog.versions.map { list in
            var types: [String: CompiledType] = [:]
            for type in list.types {
                let (limits, source) = deadlines.limits(for: type)
                types[type.code] = CompiledType(
                    code: type.code, assignments: Self.compile(type.assignments), limits: limits, limitsSource: source)
            }
            return CompiledVersion(
                version: list.version, startsAt: list.effective.start(in: timeZone),
                endsAt: list.until.map { $0.adding(days: 1).start(in: timeZone) }, types: types)
        }
    }

    /// Assignments in the order tasks are made: leads (the first leads, the others co-lead), then
    /// responsible, then supporting departments, each in the list's order.
    private static func compile(_ assignments: [Assignment]) -> [(TaskRole, RouteReason.Reference, Assignment.Target)] {
        assignments.map { assignment -> (TaskRole, RouteReason.Reference, Assignment.Target) in
            let role: TaskRole
            switch assignment.column {
            case .lead: role = assignment.position == 1 ? .lead : .coLead
            case .responsible: role = .responsible
            case .supporting: role = .supporting
            }
            let reference = RouteReason.Reference(column: assignment.column, position: assignment.position, written: assignment.written)
            return (role, reference, assignment.target)
        }
        .enumerated()
        .sorted { ($0.element.0, $0.offset) < ($1.element.0, $1.offset) }
        .map(\.element)
    }

    /// The tasks an issue of `type` in `compound`, reported at `reportedAt`, gets.
    ///
    /// - Returns: `.triage` when there is no type, no list in force, or the type is not in it.
    /// - Throws: `.unknownCompound`; `.noTerritorialDepartment` when the entry names the
    ///   territorial department and the compound's territory has none.
    public func route(type: String?, compound: String, reportedAt: Date) throws(RoutingError) -> RoutingDecision {
        guard let place = places[compound] else { throw .unknownCompound(compound) }
        guard let version = versions.last(where: { $0.startsAt <= reportedAt }),
            version.endsAt.map({ reportedAt < $0 }) ?? true
        else {
            let day = CivilDate(reportedAt, in: timeZone)
            return .triage(.noListInForce(day), listVersion: nil)
        }
        guard let type, !type.isEmpty else { return .triage(.noType, listVersion: version.version) }
        guard let compiled = version.types[type] else { return .triage(.unknownType(type), listVersion: version.version) }
        var tasks: [RoutedTask] = []
        tasks.reserveCapacity(compiled.assignments.count)
        for (role, reference, target) in compiled.assignments {
            let department: String
            var territory: String?
            switch target {
            case .department(let code):
                department = code
            case .territorial:
                guard let code = place.territorial else {
                    throw .noTerritorialDepartment(territory: place.territory, written: reference.written)
                }
                department = code
                territory = place.territory
            }
            if let index = tasks.firstIndex(where: { $0.department == department }) {
                // Assignments come strongest first, so the task already made keeps its role.
                tasks[index].reason.alsoNamed.append(reference)
                continue
            }
            tasks.append(
                RoutedTask(
                    department: department, role: role, limits: compiled.limits, limitsSource: compiled.limitsSource,
                    reason: RouteReason(reference: reference, territory: territory, alsoNamed: [])))
        }
        return .routed(
            RoutePlan(
                tenant: directory.tenant.code, listVersion: version.version, issueType: compiled.code, compound: compound,
                territory: place.territory, tasks: tasks))
    }
}
