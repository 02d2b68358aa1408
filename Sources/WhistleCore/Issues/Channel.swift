/// How a problem came in, as the seeds name the channels.
public enum Channel: String, Sendable, Hashable, CaseIterable, Codable {
    /// 走访: door-to-door visit (楼号户号, 业主姓名, 问题描述, 走访人).
    case visit
    /// 排查: inspection (排查时间, 问题照片).
    case inspection
    /// 吹哨: the community blows the whistle.
    case whistle
    /// 热线: hotline (12345 …).
    case hotline
    /// 小程序 / app.
    case app
    /// An Open311 client.
    case open311

    public var chineseName: String {
        switch self {
        case .visit: return "走访"
        case .inspection: return "排查"
        case .whistle: return "社区吹哨"
        case .hotline: return "热线"
        case .app: return "小程序/App"
        case .open311: return "Open311"
        }
    }
}
