import Foundation

/// One problem as a ledger row shows it (already masked for the reader's role): its class (the
/// group) and the cells after 问题类型 and 序号, in the layout's order.
public struct LedgerRow: Sendable, Hashable {
    public var issue: Int64
    /// The problem class (ProblemClass raw value): the ledger's group.
    public var problemClass: String
    public var cells: [String]

    public init(issue: Int64, problemClass: String, cells: [String]) {
        self.issue = issue
        self.problemClass = problemClass
        self.cells = cells
    }
}

/// A ledger in its layout: the title, the heading line (所属区县、镇办, 联系人, 联系电话, 时间),
/// the columns, rows grouped by problem class with the group's 问题类型 cell merged down the group,
/// and an optional footer line — written row by row as `.xlsx` or as CSV (UTF-8 with a BOM, so
/// that Excel reads the Chinese).
public struct LedgerWriter: Sendable {
    public enum Format: String, Sendable { case xlsx, csv }

    public let layout: LedgerLayout
    public let format: Format
    let heading: String
    private var sheet = XLSXStream()
    private var group: (problemClass: String, firstRow: Int, lastRow: Int, count: Int)?

    /// - Parameter heading: 所属区县、镇办, 联系人, 联系电话 and 时间 as they fill the heading line.
    public init(layout: LedgerLayout, format: Format, district: String, contact: String, phone: String, date: String) {
        self.layout = layout
        self.format = format
        heading = "所属区县、镇办：\(district)　　联系人：\(contact)　　联系电话：\(phone)　　时间：\(date)"
    }

    public mutating func start() -> [UInt8] {
        switch format {
        case .csv:
            var text = "\u{FEFF}"
            text += CSV.line([layout.title]) + CSV.line([heading]) + CSV.line(layout.columns)
            return Array(text.utf8)
        case .xlsx:
            var out = sheet.start(sheetName: layout.sheetName, widths: layout.widths)
            out += sheet.banner(layout.title, columns: layout.columns.count, style: .title)
            out += sheet.banner(heading, columns: layout.columns.count, style: .plain)
            out += sheet.row(layout.columns, style: .header).bytes
            return out
        }
    }

    /// The next problem; rows must come grouped by class, in the layout's order.
    public mutating func add(_ row: LedgerRow) -> [UInt8] {
        var out: [UInt8] = []
        let newGroup = group?.problemClass != row.problemClass
        if newGroup { closeGroup() }
        let number = (newGroup ? 0 : group?.count ?? 0) + 1
        let cells: [String?] = [newGroup || format == .csv ? layout.groupName(row.problemClass) : nil, String(number)] + row.cells
        switch format {
        case .csv:
            out += Array(CSV.line(cells.map { $0 ?? "" }).utf8)
            group = (row.problemClass, 0, 0, number)
        case .xlsx:
            let written = sheet.row(cells)
            out += written.bytes
            group = (row.problemClass, newGroup ? written.number : group?.firstRow ?? written.number, written.number, number)
        }
        return out
    }

    /// The end of the ledger, with its footer line if the layout has one (附件3's platform line).
    public mutating func finish(footer: String? = nil) -> [UInt8] {
        switch format {
        case .csv:
            return footer.map { Array(CSV.line([$0]).utf8) } ?? []
        case .xlsx:
            closeGroup()
            var out: [UInt8] = []
            if let footer { out += sheet.banner(footer, columns: layout.columns.count, style: .plain) }
            out += sheet.finish()
            return out
        }
    }

    private mutating func closeGroup() {
        if format == .xlsx, let group { sheet.merge(fromColumn: 0, fromRow: group.firstRow, toColumn: 0, toRow: group.lastRow) }
    }
}
