import Foundation

/// Converts a liability list kept as a spreadsheet (CSV with the seeds' columns) into a list version
/// in YAML, resolving every department name through the directory.
///
/// The header row is found among the first rows by its column names (问题事项 or 问题类型, 牵头部门,
/// 责任部门 …). A department cell may name several units separated by 、，,；; or line breaks; a
/// unit marked （牵头单位） or （牵头） in the responsible column leads. A row whose department cells
/// are all empty, or say 同上, takes them from the row above, as merged cells export.
public struct ListSpreadsheet: Sendable {
    /// What the spreadsheet does not say about the version.
    public struct Header: Sendable {
        public var version: String
        public var effective: CivilDate
        public var title: String
        public var source: String
        /// Codes for rows without a 编码 column: `<prefix>-<n>`.
        public var codePrefix: String
        /// The class of rows without a 问题大类 column or cell.
        public var defaultClass: ProblemClass

        public init(version: String, effective: CivilDate, title: String, source: String, codePrefix: String = "t", defaultClass: ProblemClass = .other) {
            self.version = version
            self.effective = effective
            self.title = title
            self.source = source
            self.codePrefix = codePrefix
            self.defaultClass = defaultClass
        }
    }

    /// A problem in one cell (or row) of the spreadsheet.
    public struct Problem: Error, Sendable, Hashable, CustomStringConvertible {
        public var file: String
        public var row: Int
        /// `C (牵头部门)`, or nil for a problem of the whole row.
        public var column: String?
        public var reason: String

        public var description: String {
            "\(file): row \(row)\(column.map { ", column \($0)" } ?? ""): \(reason)"
        }
    }

    public struct Problems: Error, Sendable, CustomStringConvertible {
        public var problems: [Problem]
        public var description: String { problems.map(\.description).joined(separator: "\n") }
    }

    enum Field: String, CaseIterable {
        case code, name, problemClass, tags, lead, responsible, supporting, rectify, acknowledge, keywords, aliases, note

        /// Column titles as campaign offices write them, compared by `ChineseText.matchingKey`.
        var titles: [String] {
            switch self {
            case .code: return ["编码", "代码", "类型编码", "code"]
            case .name: return ["问题事项", "问题类型", "问题", "事项", "问题描述", "重点任务", "任务", "工作任务", "整治内容", "名称", "name"]
            case .problemClass: return ["问题大类", "大类", "问题分类", "类别", "分类", "class"]
            case .tags: return ["专项", "专项行动", "行动", "标签", "tags"]
            case .lead: return ["牵头部门", "牵头单位", "lead"]
            case .responsible: return ["责任部门", "责任单位", "responsible"]
            case .supporting: return ["配合单位", "配合部门", "协助单位", "supporting"]
            case .rectify: return ["整改时限", "完成时限", "办结时限", "时限"]
            case .acknowledge: return ["签收时限", "报到时限", "响应时限"]
            case .keywords: return ["关键词", "keywords"]
            case .aliases: return ["别名", "aliases"]
            case .note: return ["备注", "依据", "出处", "note"]
            }
        }
    }

    public let directory: Directory
    public let deadlines: TenantDeadlines
    public let file: String

    public init(directory: Directory, deadlines: TenantDeadlines = .standard, file: String) {
        self.directory = directory
        self.deadlines = deadlines
        self.file = file
    }

    /// What a conversion produced: the list, its YAML, and the rows whose departments were taken
    /// from the row above (worth a look: merged cells, or a forgotten cell).
    public struct Result: Sendable {
        public var list: LiabilityList
        public var yaml: String
        public var warnings: [Problem]
    }

    /// The list version the rows describe, and its YAML text; nothing unless every row is right.
    public func convert(_ rows: [CSV.Row], header: Header) throws(Problems) -> Result {
        guard let (headerRow, columns) = findHeader(rows) else {
            let first = rows.first?.number ?? 1
            throw Problems(problems: [
                Problem(
                    file: file, row: first, column: nil,
                    reason: "no header row with the columns 问题事项 (or 问题类型), 牵头部门 and 责任部门 in the first \(min(rows.count, 10)) rows")
            ])
        }
        var problems: [Problem] = []
        var warnings: [Problem] = []
        let resolver = DepartmentResolver(directory: directory)
        func place(_ field: Field) -> String {
            guard let index = columns[field] else { return field.rawValue }
            return "\(CSV.columnName(index)) (\(rows[headerRow][index]))"
        }
        var types: [IssueType] = []
        var codes: [String: Int] = [:]
        var previous: (row: Int, lead: [Assignment], other: [Assignment])?
        var counter = 0
        for row in rows[(headerRow + 1)...] {
            func cell(_ field: Field) -> String {
                columns[field].map { row[$0].trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
            }
            if row.cells.allSatisfy({ $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }) { continue }
            counter += 1
            let name = cell(.name).replacingOccurrences(of: "\n", with: " ")
            guard !name.isEmpty else {
                problems.append(Problem(file: file, row: row.number, column: place(.name), reason: "the row has no 问题事项"))
                continue
            }
            var code = cell(.code)
            if code.isEmpty { code = "\(header.codePrefix)-\(counter)" }
            if !Directory.isValidCode(code) {
                problems.append(Problem(file: file, row: row.number, column: place(.code), reason: "'\(code)' is not a valid code (lowercase letters, digits, '-')"))
            } else if let first = codes[code] {
                problems.append(Problem(file: file, row: row.number, column: place(.code), reason: "duplicate code '\(code)' (first in row \(first))"))
            } else {
                codes[code] = row.number
            }
            var problemClass = header.defaultClass
            if !cell(.problemClass).isEmpty {
                if let found = ProblemClass(name: cell(.problemClass)) {
                    problemClass = found
                } else {
                    problems.append(Problem(file: file, row: row.number, column: place(.problemClass), reason: "'\(cell(.problemClass))' is not a problem class (设施设备类, 安全隐患类, 违法违规类, 环境秩序类, 物业服务类, 其他)"))
                }
            }
            // Departments.
            var assignments: [Assignment] = []
            var rowProblems = false
            let departmentCells = [Field.lead, .responsible, .supporting].map(cell)
            let inherits = departmentCells.allSatisfy { $0.isEmpty || ChineseText.matchingKey($0) == "同上" }
            var notes = [cell(.note)].filter { !$0.isEmpty }
            if inherits, let previous {
                assignments = previous.lead + previous.other
                notes.append("部门同第\(previous.row)行")
                warnings.append(
                    Problem(file: file, row: row.number, column: place(.lead), reason: "no departments: took those of row \(previous.row) (merged cells or 同上)"))
            } else {
                var leads: [(String, Assignment.Target)] = []
                var others: [(Assignment.Column, String, Assignment.Target)] = []
                for (field, column) in [(Field.lead, Assignment.Column.lead), (.responsible, .responsible), (.supporting, .supporting)] {
                    for var written in Self.units(cell(field)) {
                        let marked = Self.stripLeadMark(&written)
                        switch resolver.resolve(written) {
                        case .department(let code):
                            if column == .lead || marked { leads.append((written, .department(code))) } else { others.append((column, written, .department(code))) }
                        case .territorial:
                            if column == .lead || marked { leads.append((written, .territorial)) } else { others.append((column, written, .territorial)) }
                        case .unknown:
                            rowProblems = true
                            problems.append(Problem(file: file, row: row.number, column: place(field), reason: "unknown department '\(written)': add it, or an alias, to the directory"))
                        case .ambiguous(let codes):
                            rowProblems = true
                            problems.append(Problem(file: file, row: row.number, column: place(field), reason: "'\(written)' could mean \(codes.joined(separator: ", ")): write the full name"))
                        }
                    }
                }
                assignments = leads.enumerated().map { Assignment(column: .lead, position: $0.offset + 1, target: $0.element.1, written: $0.element.0) }
                var positions: [Assignment.Column: Int] = [:]
                for (column, written, target) in others {
                    positions[column, default: 0] += 1
                    assignments.append(Assignment(column: column, position: positions[column]!, target: target, written: written))
                }
            }
            if !rowProblems && !assignments.contains(where: { $0.column == .lead }) {
                problems.append(Problem(file: file, row: row.number, column: place(.lead), reason: "no lead department (牵头部门): name one, or mark one in 责任部门 with （牵头单位）"))
            }
            previous = (inherits ? previous?.row ?? row.number : row.number, assignments.filter { $0.column == .lead }, assignments.filter { $0.column != .lead })
            // Limits.
            var limits = DeadlineLimits()
            let rectifyText = cell(.rectify)
            if !rectifyText.isEmpty {
                if let days = Self.workingDays(rectifyText) {
                    if deadlines.allowedRectifyWorkingDays.contains(days) {
                        limits.rectifyWorkingDays = days
                    } else {
                        problems.append(Problem(file: file, row: row.number, column: place(.rectify), reason: "\(days) working days is outside the tenant's allowed range \(TenantDeadlines.describe(deadlines.allowedRectifyWorkingDays))"))
                    }
                } else if Self.isCompletionDate(rectifyText) {
                    notes.append("完成时限：\(rectifyText)")
                } else {
                    problems.append(Problem(file: file, row: row.number, column: place(.rectify), reason: "'\(rectifyText)' is not a limit: write working days (5, 5个工作日, 1周, 1个月) or a completion date"))
                }
            }
            let acknowledgeText = cell(.acknowledge)
            if !acknowledgeText.isEmpty {
                if let hours = Self.hours(acknowledgeText), deadlines.allowedAcknowledgeHours.contains(hours) {
                    limits.acknowledgeHours = hours
                } else {
                    problems.append(Problem(file: file, row: row.number, column: place(.acknowledge), reason: "'\(acknowledgeText)' is not an acknowledge limit within \(TenantDeadlines.describe(deadlines.allowedAcknowledgeHours)) hours (24, 24小时, 2天)"))
                }
            }
            types.append(
                IssueType(
                    code: code, name: name, problemClass: problemClass, tags: Self.units(cell(.tags)), aliases: Self.units(cell(.aliases)),
                    keywords: Self.units(cell(.keywords)), assignments: assignments, limits: limits,
                    note: notes.isEmpty ? "表格第\(row.number)行" : "表格第\(row.number)行；" + notes.joined(separator: "；"), line: row.number))
        }
        if types.isEmpty && problems.isEmpty {
            problems.append(Problem(file: file, row: rows[headerRow].number, column: nil, reason: "no issue types below the header row"))
        }
        guard problems.isEmpty else { throw Problems(problems: problems) }
        let list = LiabilityList(
            version: header.version, effective: header.effective, title: header.title, source: header.source, types: types, file: file)
        return Result(list: list, yaml: ListWriter.yaml(list, importedFrom: file), warnings: warnings)
    }

    private func findHeader(_ rows: [CSV.Row]) -> (Int, [Field: Int])? {
        for (index, row) in rows.prefix(10).enumerated() {
            var columns: [Field: Int] = [:]
            for (column, title) in row.cells.enumerated() {
                let key = ChineseText.matchingKey(title)
                for field in Field.allCases where columns[field] == nil && field.titles.contains(where: { ChineseText.matchingKey($0) == key }) {
                    columns[field] = column
                    break
                }
            }
            if columns[.name] != nil && (columns[.lead] != nil || columns[.responsible] != nil) { return (index, columns) }
        }
        return nil
    }

    /// The units of a department (or tag) cell.
    static func units(_ cell: String) -> [String] {
        cell.split(whereSeparator: { "、，,；;\n/".contains($0) }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Removes a trailing （牵头单位） / （牵头） mark, saying whether there was one.
    static func stripLeadMark(_ written: inout String) -> Bool {
        for mark in ["（牵头单位）", "(牵头单位)", "（牵头）", "(牵头)", "（牽頭單位）", "（牽頭）"] where written.hasSuffix(mark) {
            written = String(written.dropLast(mark.count)).trimmingCharacters(in: .whitespaces)
            return true
        }
        return false
    }

    static let numerals: [Character: Int] = ["一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10]

    /// A number written in digits or as a Chinese numeral up to 99 (十五, 二十).
    static func number(_ text: String) -> Int? {
        if let value = Int(text) { return value }
        guard !text.isEmpty, text.allSatisfy({ numerals[$0] != nil }) else { return nil }
        let characters = Array(text)
        if let ten = characters.firstIndex(of: "十") {
            let tens = ten == 0 ? 1 : numerals[characters[0]]!
            let ones = ten == characters.count - 1 ? 0 : numerals[characters[ten + 1]]!
            return tens * 10 + ones
        }
        return characters.count == 1 ? numerals[characters[0]] : nil
    }

    /// `5`, `5个工作日`, `5工作日`, `1周`, `一周`, `1个月` in working days (a week is 5, a month 22,
    /// as `DeadlinePolicy` reads seed `001`).
    static func workingDays(_ text: String) -> Int? {
        let key = ChineseText.matchingKey(text)
        for (suffix, factor) in [("个工作日", 1), ("工作日", 1), ("周", 5), ("个星期", 5), ("星期", 5), ("个月", DeadlinePolicy.maximumRectifyWorkingDays), ("月", DeadlinePolicy.maximumRectifyWorkingDays), ("", 1)] {
            let stem = key.hasSuffix(suffix) ? String(key.dropLast(suffix.count)) : nil
            if let stem, let value = number(stem), value > 0 { return value * factor }
        }
        return nil
    }

    /// `24`, `24小时`, `2天`, `1日` in hours.
    static func hours(_ text: String) -> Int? {
        let key = ChineseText.matchingKey(text)
        for (suffix, factor) in [("小时", 1), ("个小时", 1), ("h", 1), ("天", 24), ("日", 24), ("", 1)] {
            let stem = key.hasSuffix(suffix) ? String(key.dropLast(suffix.count)) : nil
            if let stem, let value = number(stem), value > 0 { return value * factor }
        }
        return nil
    }

    /// A completion date or phase (`2023年6月底前`, `长期推进`), kept as a note rather than a limit.
    static func isCompletionDate(_ text: String) -> Bool {
        text.contains("年") || text.contains("月底") || text.contains("前") || text.contains("长期") || text.contains("持续")
            || text.contains("常态")
    }
}
