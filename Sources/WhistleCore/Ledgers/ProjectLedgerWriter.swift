import Foundation

/// Seed 003's 附件2 「…攻坚行动整治工作台账」: one ledger per campaign (环境卫生, 道路设施, 车辆停放,
/// 服务质量), one row per problem, 「序号同项目名称等对应，一个项目一个序号」: the project's cells
/// (序号, 项目名称, 物业服务企业, 服务标准, 社区, 街道) merged down its rows, its problems numbered
/// within it (1. …, 2. …). Written row by row as `.xlsx` or CSV with a BOM.
///
/// The same form draws seed 002's 附件3 「住宅小区项目整治台账」, whose attachment the seed lists but
/// does not include: one project per compound (乡镇（街道）, 社区, 小区名称, 物业服务企业 merged down its
/// rows), its problems with their category (治脏 / 治乱, the list's tags), measures, units,
/// deadline and progress — our reading of the seed's words, in 003's manner.
public struct ProjectLedgerWriter: Sendable {
    /// Which seed's form.
    public enum Form: Sendable, Hashable {
        /// 003 附件2, for one 攻坚行动.
        case campaign(String)
        /// 002 附件3, titled by the campaign of campaigns.yaml when there is one.
        case compounds(title: String)

        var columns: [String] {
            switch self {
            case .campaign: ProjectLedgerWriter.columns
            case .compounds: ["序号", "乡镇（街道）", "社区", "小区名称", "物业服务企业", "问题类别", "存在问题", "整治措施", "责任单位", "完成时限", "整治进展", "备注"]
            }
        }

        var widths: [Double] {
            switch self {
            case .campaign: ProjectLedgerWriter.widths
            case .compounds: [6, 14, 16, 20, 22, 10, 40, 36, 22, 14, 14, 12]
            }
        }

        /// The columns that belong to the project, merged down its rows.
        var projectColumns: [Int] {
            switch self {
            case .campaign: ProjectLedgerWriter.projectColumns
            case .compounds: [0, 1, 2, 3, 4]
            }
        }
    }

    /// One problem of a project (a compound).
    public struct Row: Sendable, Hashable {
        public var project: String
        public var projectName: String
        public var company: String
        public var standard: String
        public var problem: String
        public var measures: String
        public var deadline: String
        public var responsible: String
        public var progress: String
        public var community: String
        public var street: String
        public var note: String
        /// 002's 问题类别 (治脏, 治乱).
        public var category: String = ""

        public init(
            project: String, projectName: String, company: String, standard: String, problem: String, measures: String, deadline: String,
            responsible: String, progress: String, community: String, street: String, note: String
        ) {
            self.project = project
            self.projectName = projectName
            self.company = company
            self.standard = standard
            self.problem = problem
            self.measures = measures
            self.deadline = deadline
            self.responsible = responsible
            self.progress = progress
            self.community = community
            self.street = street
            self.note = note
        }
    }

    public static let columns = ["序号", "项目名称", "物业服务企业", "服务标准", "存在问题", "整治措施", "完成时限", "责任人", "进展情况", "社区", "街道", "备注"]
    static let widths: [Double] = [6, 20, 22, 14, 40, 36, 14, 16, 14, 16, 16, 12]
    /// The columns that belong to the project, merged down its rows.
    static let projectColumns = [0, 1, 2, 3, 9, 10]

    public let format: LedgerWriter.Format
    public let form: Form
    public let title: String
    let heading: String
    private var sheet = XLSXStream()
    private var project: (key: String, number: Int, firstRow: Int, lastRow: Int, problems: Int)?

    /// - Parameters:
    ///   - campaign: the 攻坚行动 the ledger is for (its title).
    ///   - locality: 属地.
    public init(format: LedgerWriter.Format, campaign: String, locality: String, date: String) {
        self.init(format: format, form: .campaign(campaign), locality: locality, date: date)
    }

    public init(format: LedgerWriter.Format, form: Form, locality: String, date: String) {
        self.format = format
        self.form = form
        switch form {
        case .campaign(let campaign): title = "\(campaign)攻坚行动整治工作台账"
        case .compounds(let name): title = name
        }
        heading = "属地：\(locality)　　\(date)"
    }

    public mutating func start() -> [UInt8] {
        switch format {
        case .csv:
            return Array(("\u{FEFF}" + CSV.line([title]) + CSV.line([heading]) + CSV.line(form.columns)).utf8)
        case .xlsx:
            var out = sheet.start(sheetName: String(title.suffix(31)), widths: form.widths)
            out += sheet.banner(title, columns: form.columns.count, style: .title)
            out += sheet.banner(heading, columns: form.columns.count, style: .plain)
            out += sheet.row(form.columns, style: .header).bytes
            return out
        }
    }

    /// The next problem; rows must come grouped by project.
    public mutating func add(_ row: Row) -> [UInt8] {
        var out: [UInt8] = []
        let first = project?.key != row.project
        if first { closeProject() }
        let number = first ? (project?.number ?? 0) + 1 : project?.number ?? 1
        let item = first ? 1 : (project?.problems ?? 0) + 1
        var cells: [String?]
        switch form {
        case .campaign:
            cells = [
                String(number), row.projectName, row.company, row.standard, "\(item). \(row.problem)", row.measures, row.deadline, row.responsible,
                row.progress, row.community, row.street, row.note,
            ]
        case .compounds:
            cells = [
                String(number), row.street, row.community, row.projectName, row.company, row.category, "\(item). \(row.problem)", row.measures,
                row.responsible, row.deadline, row.progress, row.note,
            ]
        }
        if !first, format == .xlsx { for column in form.projectColumns { cells[column] = nil } }
        switch format {
        case .csv:
            out += Array(CSV.line(cells.map { $0 ?? "" }).utf8)
            project = (row.project, number, 0, 0, item)
        case .xlsx:
            let written = sheet.row(cells)
            out += written.bytes
            project = (row.project, number, first ? written.number : project?.firstRow ?? written.number, written.number, item)
        }
        return out
    }

    public mutating func finish() -> [UInt8] {
        guard format == .xlsx else { return [] }
        closeProject()
        return sheet.finish()
    }

    private mutating func closeProject() {
        guard format == .xlsx, let project else { return }
        for column in form.projectColumns { sheet.merge(fromColumn: column, fromRow: project.firstRow, toColumn: column, toRow: project.lastRow) }
    }
}
