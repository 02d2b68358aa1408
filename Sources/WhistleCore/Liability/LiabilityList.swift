import Foundation

/// One version of a tenant's liability list (责任清单): which departments lead, share and support
/// the work on each issue type, from its effective date on.
///
/// Read from `config/tenants/<tenant>/liability/<version>.yaml` by `LiabilityList.parse`, which
/// resolves every department reference through the tenant's directory; a list that parses is
/// complete and consistent (see docs/liability-lists.md).
public struct LiabilityList: Sendable, Hashable {
    public var version: String
    /// The first day the version is in force, in the tenant's time zone.
    public var effective: CivilDate
    /// The last day it is in force, when the document sets one; otherwise until the next version.
    public var until: CivilDate?
    public var title: String
    public var source: String
    public var types: [IssueType]
    /// Where it was read from, for messages.
    public var file: String
    /// The line of its `effective:` date, where overlaps are reported.
    public var effectiveLine: Int = 0

    public init(version: String, effective: CivilDate, until: CivilDate? = nil, title: String, source: String, types: [IssueType], file: String = "") {
        self.version = version
        self.effective = effective
        self.until = until
        self.title = title
        self.source = source
        self.types = types
        self.file = file
    }

    /// The issue type with `code`, if the version has one.
    public func type(_ code: String) -> IssueType? {
        types.first { $0.code == code }
    }
}

/// 问题事项: a kind of problem and who answers for it.
public struct IssueType: Sendable, Hashable {
    public var code: String
    public var name: String
    public var problemClass: ProblemClass
    /// Campaign tags such as 治脏 or 车辆停放.
    public var tags: [String]
    public var aliases: [String]
    public var keywords: [String]
    /// The departments named for it, each with its role and the words the list used.
    public var assignments: [Assignment]
    /// The entry's own limits; nil fields fall back to the class's and the tenant's defaults.
    public var limits: DeadlineLimits
    /// Where the entry is in the source document.
    public var note: String?
    /// The line of the entry in its file.
    public var line: Int

    public init(
        code: String, name: String, problemClass: ProblemClass, tags: [String] = [], aliases: [String] = [], keywords: [String] = [],
        assignments: [Assignment], limits: DeadlineLimits = DeadlineLimits(), note: String? = nil, line: Int = 0
    ) {
        self.code = code
        self.name = name
        self.problemClass = problemClass
        self.tags = tags
        self.aliases = aliases
        self.keywords = keywords
        self.assignments = assignments
        self.limits = limits
        self.note = note
        self.line = line
    }
}

/// One department reference of a list entry, resolved.
public struct Assignment: Sendable, Hashable {
    /// The column the reference was written in.
    public enum Column: String, Sendable, Hashable, Codable {
        /// 牵头部门
        case lead
        /// 责任部门
        case responsible
        /// 配合单位
        case supporting
    }

    public enum Target: Sendable, Hashable {
        /// A department of the directory, by code.
        case department(String)
        /// The territorial department of the compound's town or street (各乡镇(街道), 属地 …).
        case territorial
    }

    public var column: Column
    /// Position within its column, from 1: the first lead leads, the others co-lead.
    public var position: Int
    public var target: Target
    /// The reference as the list wrote it.
    public var written: String

    public init(column: Column, position: Int, target: Target, written: String) {
        self.column = column
        self.position = position
        self.target = target
        self.written = written
    }
}
