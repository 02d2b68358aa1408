/// What the directory endpoints return; field names are the API's.
public enum DirectoryRecords {
    public struct TenantRecord: Codable, Sendable, Hashable {
        public var code: String
        public var name: String
        public var kind: String
        public var parent: String?
        public var timeZone: String
        public var calendar: String
        public var source: String
    }

    public struct CommunityRecord: Codable, Sendable, Hashable {
        public var code: String
        public var name: String
        public var sample: Bool
    }

    public struct TerritoryRecord: Codable, Sendable, Hashable {
        public var code: String
        public var name: String
        public var kind: String
        public var aliases: [String]
        public var sample: Bool
        public var communities: [CommunityRecord]
    }

    public struct PropertyCompanyRecord: Codable, Sendable, Hashable {
        public var code: String
        public var name: String
    }

    public struct BuildingRecord: Codable, Sendable, Hashable {
        public var code: String
        public var name: String
        public var households: Int?
    }

    public struct CompoundRecord: Codable, Sendable, Hashable {
        public var code: String
        public var name: String
        public var address: String?
        public var territory: String
        public var community: String
        public var propertyCompany: PropertyCompanyRecord?
        public var households: Int?
        public var sample: Bool
        public var buildings: [BuildingRecord]
    }

    public struct ContactRecord: Codable, Sendable, Hashable {
        public var channel: String
        public var address: String
    }

    public struct PersonRecord: Codable, Sendable, Hashable {
        public var role: String
        public var title: String
        public var name: String?
        public var contacts: [ContactRecord]
    }

    public struct DepartmentRecord: Codable, Sendable, Hashable {
        public var code: String
        public var name: String
        public var kind: String
        public var aliases: [String]
        public var territory: String?
        public var parent: String?
        public var sample: Bool
        public var people: [PersonRecord]
    }
}
