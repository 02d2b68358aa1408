import Foundation

/// One problem as a ledger row shows it (already masked for the reader's role).
public struct LedgerRow: Sendable, Hashable {
    public var issue: Int64
    /// The problem class (ProblemClass raw value): the ledger's group.
    public var problemClass: String
    public var description: String
    public var reportedAt: String
    public var photos: [String]
    public var measures: String
    public var deadline: String
    public var progress: String
    public var responsible: String

    public init(
        issue: Int64, problemClass: String, description: String, reportedAt: String, photos: [String], measures: String, deadline: String,
        progress: String, responsible: String
    ) {
        self.issue = issue
        self.problemClass = problemClass
        self.description = description
        self.reportedAt = reportedAt
        self.photos = photos
        self.measures = measures
        self.deadline = deadline
        self.progress = progress
        self.responsible = responsible
    }
}

/// Seed 000's 附件2 「小区物业管理问题排查整治台账」: its title, its heading line (所属区县、镇办,
/// 联系人, 联系电话, 时间), its columns, and rows grouped by the four problem classes with the
/// group's 问题类型 cell merged down the group — written row by row as `.xlsx` or as CSV
/// (UTF-8 with a BOM, so that Excel reads the Chinese).
public struct LedgerWriter: Sendable {
    public enum Format: String, Sendable { case xlsx, csv }

    /// The classes of 附件2, in its order.
    public static let inspectionClasses: [ProblemClass] = [.environment, .facilities, .safety, .violation]
    static let columns = ["问题类型", "序号", "问题描述", "排查时间（年月日）", "问题照片", "整改措施", "整改时限", "整改情况", "责任人"]
    static let widths: [Double] = [12, 6, 40, 16, 30, 36, 14, 14, 18]
    public static let title = "小区物业管理问题排查整治台账"

    public let format: Format
    let heading: String
    private var sheet = XLSXStream()
    private var group: (problemClass: String, firstRow: Int, lastRow: Int, count: Int)?

    /// - Parameter heading: 所属区县、镇办, 联系人, 联系电话 and 时间 as they fill the heading line.
    public init(format: Format, district: String, contact: String, phone: String, date: String) {
        self.format = format
        heading = "所属区县、镇办：\(district)　　联系人：\(contact)　　联系电话：\(phone)　　时间：\(date)"
    }

    public mutating func start() -> [UInt8] {
        switch format {
        case .csv:
            var text = "\u{FEFF}"
            text += Self.csvLine([Self.title]) + Self.csvLine([heading]) + Self.csvLine(Self.columns)
            return Array(text.utf8)
        case .xlsx:
            var out = sheet.start(sheetName: "排查整治台账", widths: Self.widths)
            let last = Self.columns.count - 1
            let title = sheet.row([Self.title] + Array(repeating: nil, count: last), style: .title)
            out += title.bytes
            sheet.merge(fromColumn: 0, fromRow: title.number, toColumn: last, toRow: title.number)
            let head = sheet.row([heading] + Array(repeating: nil, count: last), style: .plain)
            out += head.bytes
            sheet.merge(fromColumn: 0, fromRow: head.number, toColumn: last, toRow: head.number)
            out += sheet.row(Self.columns, style: .header).bytes
            return out
        }
    }

    /// The next problem; rows must come grouped by class, in `inspectionClasses` order.
    public mutating func add(_ row: LedgerRow) -> [UInt8] {
        var out: [UInt8] = []
        let newGroup = group?.problemClass != row.problemClass
        if newGroup { out += closeGroup() }
        let number = (newGroup ? 0 : group?.count ?? 0) + 1
        let className = ProblemClass(rawValue: row.problemClass)?.chineseName ?? row.problemClass
        let cells: [String?] = [
            newGroup || format == .csv ? className : nil, String(number), row.description, row.reportedAt, row.photos.joined(separator: "\n"),
            row.measures, row.deadline, row.progress, row.responsible,
        ]
        switch format {
        case .csv:
            out += Array(Self.csvLine(cells.map { $0 ?? "" }).utf8)
            group = (row.problemClass, 0, 0, number)
        case .xlsx:
            let written = sheet.row(cells)
            out += written.bytes
            group = (row.problemClass, newGroup ? written.number : group?.firstRow ?? written.number, written.number, number)
        }
        return out
    }

    public mutating func finish() -> [UInt8] {
        guard format == .xlsx else { return [] }
        var out = closeGroup()
        out += sheet.finish()
        return out
    }

    private mutating func closeGroup() -> [UInt8] {
        if format == .xlsx, let group { sheet.merge(fromColumn: 0, fromRow: group.firstRow, toColumn: 0, toRow: group.lastRow) }
        return []
    }

    static func csvLine(_ fields: [String]) -> String {
        fields.map { field in
            field.contains(where: { ",\"\r\n".contains($0) }) ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
        }.joined(separator: ",") + "\r\n"
    }
}
