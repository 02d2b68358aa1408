/// 问题大类: the class of an issue type, as the seeds group them.
public enum ProblemClass: String, Sendable, Hashable, CaseIterable, Codable {
    /// 设施设备类
    case facilities
    /// 安全隐患类
    case safety
    /// 违法违规类
    case violation
    /// 环境秩序类
    case environment
    /// 物业服务类
    case propertyService
    /// 其他
    case other

    /// The name the seeds and the ledgers use.
    public var chineseName: String {
        switch self {
        case .facilities: return "设施设备类"
        case .safety: return "安全隐患类"
        case .violation: return "违法违规类"
        case .environment: return "环境秩序类"
        case .propertyService: return "物业服务类"
        case .other: return "其他"
        }
    }

    /// A class by its code (`safety`) or its Chinese name, in either script, with or without 类.
    public init?(name: String) {
        if let value = ProblemClass(rawValue: name) {
            self = value
            return
        }
        let key = ChineseText.matchingKey(name)
        let stem = key.hasSuffix("类") ? String(key.dropLast()) : key
        guard let value = ProblemClass.allCases.first(where: { candidate in
            let own = candidate.chineseName.hasSuffix("类") ? String(candidate.chineseName.dropLast()) : candidate.chineseName
            return own == stem || (candidate == .other && (stem == "其他类型" || stem == "其它"))
        }) else { return nil }
        self = value
    }
}
