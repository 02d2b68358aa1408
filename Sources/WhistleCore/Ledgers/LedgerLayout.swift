import Foundation

/// A ledger's fixed form, as a seed's attachment draws it: title, columns and widths, the problem
/// classes its rows are grouped by (问题类型, merged down each group, then 序号 within it), and
/// whether a footer line closes it.
public struct LedgerLayout: Sendable, Hashable {
    public var code: String
    public var title: String
    public var sheetName: String
    /// Every column, the group's 问题类型 and 序号 first.
    public var columns: [String]
    public var widths: [Double]
    public var groups: [ProblemClass]
    /// How a group is named (附件3 says 其他类型 where the class is 其他).
    public var groupNames: [ProblemClass: String] = [:]

    public func groupName(_ problemClass: String) -> String {
        guard let known = ProblemClass(rawValue: problemClass) else { return problemClass }
        return groupNames[known] ?? known.chineseName
    }

    /// Seed 000's 附件2 「小区物业管理问题排查整治台账」: the four classes of the 大排查.
    public static let inspection = LedgerLayout(
        code: "inspection", title: "小区物业管理问题排查整治台账", sheetName: "排查整治台账",
        columns: ["问题类型", "序号", "问题描述", "排查时间（年月日）", "问题照片", "整改措施", "整改时限", "整改情况", "责任人"],
        widths: [12, 6, 40, 16, 30, 36, 14, 14, 18], groups: [.environment, .facilities, .safety, .violation])

    /// Seed 000's 附件3 「小区物业管理问题走访台账」: problems of the 大走访 in six classes, with the
    /// smart-property platform line at its foot.
    public static let visits = LedgerLayout(
        code: "visits", title: "小区物业管理问题走访台账", sheetName: "走访台账",
        columns: ["问题类型", "序号", "楼号户号", "业主姓名", "问题描述", "整改时限", "走访人（责任人）", "回访是否满意"],
        widths: [12, 6, 14, 12, 40, 14, 16, 12], groups: [.propertyService, .facilities, .safety, .violation, .environment, .other],
        groupNames: [.other: "其他类型"])
}
