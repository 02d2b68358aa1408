import Foundation
import WhistleCore

/// Every tenant's router, deadline policy and type suggesters, built once from the configuration
/// so that requests only look things up.
public struct TenantRouting: Sendable {
    public struct Tenant: Sendable {
        public var router: IssueRouter
        /// Nil when the tenant's calendar is missing (configuration checks prevent it).
        public var policy: DeadlinePolicy?
        public var timeZone: TimeZone
        /// One suggester per list version.
        public var suggesters: [String: TypeSuggester]
        /// Department names by code, for answers built without reading the directory tables.
        public var departmentNames: [String: String] = [:]
        /// The escalation ladder new tasks get, and its checksum (its row in escalation_ladders).
        public var ladder: EscalationLadder = .standard
        public var ladderChecksum: String = EscalationLadder.standard.checksum
        /// The specialist teams' rosters.
        public var rosters: TeamRosters = .empty
        /// Spot-check deductions, property companies' credit and the priority list's rules.
        public var assessment: AssessmentRules = .standard
        /// Each type's class, by code, over every list version (the newest wins).
        public var typeClasses: [String: String] = [:]
        /// Types the liability lists mark as counting against the compound's property company
        /// (the tag `计入物业信用`), whatever their class.
        public var companyTypes: Set<String> = []
        /// The tenant's campaigns (专项行动), from `campaigns.yaml`.
        public var campaigns: [CampaignPlan] = []

        public var directory: Directory { router.directory }

        /// "物业服务合同不规范（rw-01）" for a type code, from the newest list that has it.
        public func typeName(_ code: String?) -> String? {
            guard let code else { return nil }
            for list in router.catalog.versions.reversed() {
                if let type = list.types.first(where: { $0.code == code }) { return "\(type.name)（\(code)）" }
            }
            return code
        }
    }

    public var tenants: [String: Tenant]

    public init(_ config: ConfigDirectory) {
        var tenants: [String: Tenant] = [:]
        for files in config.tenants {
            let code = files.directory.tenant.code
            let router = IssueRouter(directory: files.directory, catalog: files.lists, deadlines: files.deadlines)
            let policy = config.calendar(for: code).map { DeadlinePolicy(calendar: $0, defaults: router.deadlines.defaults) }
            var suggesters: [String: TypeSuggester] = [:]
            for list in files.lists.versions { suggesters[list.version] = TypeSuggester(list: list) }
            tenants[code] = Tenant(
                router: router, policy: policy,
                timeZone: TimeZone(identifier: files.directory.tenant.timeZone) ?? TimeZone(identifier: "Asia/Shanghai")!,
                suggesters: suggesters,
                departmentNames: Dictionary(files.directory.departments.map { ($0.code, $0.name) }, uniquingKeysWith: { first, _ in first }),
                ladder: files.escalation, ladderChecksum: files.escalation.checksum, rosters: files.rosters, assessment: files.assessment,
                typeClasses: Dictionary(
                    files.lists.versions.flatMap { list in list.types.map { ($0.code, $0.problemClass.rawValue) } }, uniquingKeysWith: { _, newer in newer }),
                companyTypes: Set(files.lists.versions.flatMap { list in list.types.filter { $0.tags.contains(Self.companyTag) }.map(\.code) }),
                campaigns: files.campaigns)
        }
        self.tenants = tenants
    }

    /// The tag by which a liability list marks a type as counting against property companies' credit.
    public static let companyTag = "计入物业信用"

    public static let empty = TenantRouting(tenants: [:])

    private init(tenants: [String: Tenant]) { self.tenants = tenants }
}

extension EscalationLadder {
    /// The ladder as stored in escalation_ladders (keys sorted, so equal ladders store once).
    var storedJSON: String {
        String(decoding: (try? JSONEncoder.sorted.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// Names the ladder's row: tasks dispatched under the same ladder share it.
    var checksum: String { sha256Hex(Data(storedJSON.utf8)) }
}
