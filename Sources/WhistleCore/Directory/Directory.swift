/// A tenant's directory: its territories, communities, compounds, property companies and departments.
///
/// Loaded from `config/tenants/<tenant>/directory.yaml`; every code is unique within its kind
/// and every reference between entries resolves (see `Directory.parse`).
public struct Directory: Sendable, Hashable {
    public var tenant: Tenant
    public var territories: [Territory]
    public var propertyCompanies: [PropertyCompany]
    public var departments: [Department]
    /// The channels of every department that names none of its own.
    public var defaultChannels: [NotifyChannel]
    /// Where reporters hear the outcome of their reports, by the intake channel they came through
    /// (the 12345 hotline's system, the app's push service …): `reporterChannels` in directory.yaml.
    public var reporterChannels: [String: [NotifyChannel]] = [:]

    public init(
        tenant: Tenant, territories: [Territory], propertyCompanies: [PropertyCompany], departments: [Department],
        defaultChannels: [NotifyChannel] = []
    ) {
        self.tenant = tenant
        self.territories = territories
        self.propertyCompanies = propertyCompanies
        self.departments = departments
        self.defaultChannels = defaultChannels
    }

    /// The channels a department is notified through: its own, or the directory's defaults.
    public func channels(of department: Department) -> [NotifyChannel] {
        department.channels.isEmpty ? defaultChannels : department.channels
    }

    /// Every compound with the codes of the community and territory it lies in.
    public var compounds: [(territory: String, community: String, compound: Compound)] {
        territories.flatMap { territory in
            territory.communities.flatMap { community in
                community.compounds.map { (territory.code, community.code, $0) }
            }
        }
    }
}

/// One jurisdiction (区, 县 or 市) with its own data, calendar and lists.
public struct Tenant: Sendable, Hashable {
    public enum Kind: String, Sendable, CaseIterable, Codable {
        case county, district, city
    }

    public var code: String
    public var name: String
    public var kind: Kind
    public var parent: String?
    public var timeZone: String
    public var calendar: String
    public var source: String

    public init(code: String, name: String, kind: Kind, parent: String? = nil, timeZone: String = "Asia/Shanghai", calendar: String = "cn", source: String) {
        self.code = code
        self.name = name
        self.kind = kind
        self.parent = parent
        self.timeZone = timeZone
        self.calendar = calendar
        self.source = source
    }
}

/// A town, township or street (镇/乡/街道): the territorial unit a compound belongs to.
public struct Territory: Sendable, Hashable {
    public enum Kind: String, Sendable, CaseIterable, Codable {
        case town, township, street
    }

    public var code: String
    public var name: String
    public var kind: Kind
    public var aliases: [String]
    public var sample: Bool
    public var communities: [Community]

    public init(code: String, name: String, kind: Kind, aliases: [String] = [], sample: Bool = false, communities: [Community] = []) {
        self.code = code
        self.name = name
        self.kind = kind
        self.aliases = aliases
        self.sample = sample
        self.communities = communities
    }
}

/// A community (社区) of a territory.
public struct Community: Sendable, Hashable {
    public var code: String
    public var name: String
    public var sample: Bool
    public var compounds: [Compound]

    public init(code: String, name: String, sample: Bool = false, compounds: [Compound] = []) {
        self.code = code
        self.name = name
        self.sample = sample
        self.compounds = compounds
    }
}

/// A residential compound (小区) with its property company and buildings.
public struct Compound: Sendable, Hashable {
    public var code: String
    public var name: String
    public var address: String?
    public var propertyCompany: String?
    public var households: Int?
    public var sample: Bool
    public var buildings: [Building]

    public init(code: String, name: String, address: String? = nil, propertyCompany: String? = nil, households: Int? = nil, sample: Bool = false, buildings: [Building] = []) {
        self.code = code
        self.name = name
        self.address = address
        self.propertyCompany = propertyCompany
        self.households = households
        self.sample = sample
        self.buildings = buildings
    }
}

/// A building (楼栋) of a compound.
public struct Building: Sendable, Hashable {
    public var code: String
    public var name: String
    public var households: Int?
    /// The households' numbers (户号) where they are known, so that those not yet visited can be named.
    public var units: [String]

    public init(code: String, name: String, households: Int? = nil, units: [String] = []) {
        self.code = code
        self.name = name
        self.households = households ?? (units.isEmpty ? nil : units.count)
        self.units = units
    }
}

/// A property service company (物业服务企业).
public struct PropertyCompany: Sendable, Hashable {
    public var code: String
    public var name: String
    public var aliases: [String]
    public var sample: Bool

    public init(code: String, name: String, aliases: [String] = [], sample: Bool = false) {
        self.code = code
        self.name = name
        self.aliases = aliases
        self.sample = sample
    }
}

/// A department or unit (部门/单位) that receives tasks or escalation notices.
public struct Department: Sendable, Hashable {
    public enum Kind: String, Sendable, CaseIterable, Codable {
        /// A functional department of the government (住建局, 公安局 …).
        case functional
        /// The government of a town or street, responsible for its territory (属地).
        case territorial
        /// A specialist team (专班, 执法中队).
        case team
        /// The campaign office (专班办公室 / 领导小组办公室).
        case office
        /// The leading group (领导小组) whose leader approves notices.
        case leadership
    }

    public var code: String
    public var name: String
    public var kind: Kind
    public var aliases: [String]
    public var territory: String?
    public var parent: String?
    public var sample: Bool
    public var people: [Person]
    /// The group robots or webhooks the department is notified through.
    public var channels: [NotifyChannel]

    public init(
        code: String, name: String, kind: Kind, aliases: [String] = [], territory: String? = nil, parent: String? = nil, sample: Bool = false,
        people: [Person] = [], channels: [NotifyChannel] = []
    ) {
        self.code = code
        self.name = name
        self.kind = kind
        self.aliases = aliases
        self.territory = territory
        self.parent = parent
        self.sample = sample
        self.people = people
        self.channels = channels
    }
}

/// A person of a department, known by role; directories carry titles and placeholders, not personal data.
public struct Person: Sendable, Hashable {
    public enum Role: String, Sendable, CaseIterable, Codable {
        /// 主要负责人
        case principal
        /// 分管负责人
        case deputyInCharge
        /// 联络员
        case liaison
        /// 责任人 / 经办人
        case handler
    }

    public var role: Role
    public var title: String
    public var name: String?
    public var contacts: [Contact]
    /// A leader's own robots or webhooks, besides the department's.
    public var channels: [NotifyChannel]

    public init(role: Role, title: String, name: String? = nil, contacts: [Contact] = [], channels: [NotifyChannel] = []) {
        self.role = role
        self.title = title
        self.name = name
        self.contacts = contacts
        self.channels = channels
    }

    /// The mobile number robots @-mention (the first `phone` contact).
    public var mobile: String? { contacts.first { $0.channel == .phone }?.address }
}

/// A channel through which a person is notified.
public struct Contact: Sendable, Hashable {
    public enum Channel: String, Sendable, CaseIterable, Codable {
        case `internal`, phone, sms, email, wechat, webhook
    }

    public var channel: Channel
    public var address: String

    public init(channel: Channel, address: String) {
        self.channel = channel
        self.address = address
    }
}
