import Foundation

/// One worksheet of Office Open XML written row by row into a `ZipStream`: the header rows, the
/// column widths and the merged cells of a ledger's layout, text cells inline (no shared-string
/// table to hold), so a ledger of any length streams.
public struct XLSXStream: Sendable {
    /// A cell's look: plain, bold and centred (titles, headers), or wrapped text.
    public enum Style: Int, Sendable {
        case plain = 0
        case header = 1
        case title = 2
        case wrapped = 3
    }

    private var zip = ZipStream()
    private var row = 0
    private var merges: [String] = []

    public init() {}

    /// The workbook's fixed parts and the start of the sheet, with the columns' widths (in characters).
    public mutating func start(sheetName: String, widths: [Double]) -> [UInt8] {
        var out: [UInt8] = []
        func file(_ name: String, _ text: String) {
            out += zip.begin(name)
            out += zip.write(Array(text.utf8))
            out += zip.end()
        }
        file(
            "[Content_Types].xml",
            #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>"#
        )
        file(
            "_rels/.rels",
            #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
        )
        file(
            "xl/workbook.xml",
            #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="\#(Self.escape(String(sheetName.prefix(31))))" sheetId="1" r:id="rId1"/></sheets></workbook>"#
        )
        file(
            "xl/_rels/workbook.xml.rels",
            #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#
        )
        file(
            "xl/styles.xml",
            #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="3"><font><sz val="11"/><name val="宋体"/></font><font><b/><sz val="11"/><name val="宋体"/></font><font><b/><sz val="16"/><name val="宋体"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="2"><border/><border><left style="thin"/><right style="thin"/><top style="thin"/><bottom style="thin"/></border></borders><cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="4"><xf fontId="0" borderId="1" applyBorder="1"><alignment vertical="center"/></xf><xf fontId="1" borderId="1" applyFont="1" applyBorder="1" applyAlignment="1"><alignment horizontal="center" vertical="center" wrapText="1"/></xf><xf fontId="2" applyFont="1" applyAlignment="1"><alignment horizontal="center" vertical="center"/></xf><xf fontId="0" borderId="1" applyBorder="1" applyAlignment="1"><alignment vertical="center" wrapText="1"/></xf></cellXfs></styleSheet>"#
        )
        out += zip.begin("xl/worksheets/sheet1.xml")
        var head = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cols>"#
        for (n, width) in widths.enumerated() { head += #"<col min="\#(n + 1)" max="\#(n + 1)" width="\#(width)" customWidth="1"/>"# }
        head += "</cols><sheetData>"
        out += zip.write(Array(head.utf8))
        return out
    }

    /// The next row; nil cells stay empty. Returns its number (1-based), for merges.
    public mutating func row(_ cells: [String?], style: Style = .wrapped) -> (number: Int, bytes: [UInt8]) {
        row += 1
        var text = #"<row r="\#(row)">"#
        for (n, cell) in cells.enumerated() {
            let ref = CSV.columnName(n) + String(row)
            if let cell {
                text += #"<c r="\#(ref)" s="\#(style.rawValue)" t="inlineStr"><is><t xml:space="preserve">\#(Self.escape(cell))</t></is></c>"#
            } else {
                text += #"<c r="\#(ref)" s="\#(style.rawValue)"/>"#
            }
        }
        text += "</row>"
        return (row, zip.write(Array(text.utf8)))
    }

    /// A line of text across `columns` columns (a title, a heading, a footer), merged.
    public mutating func banner(_ text: String, columns: Int, style: Style) -> [UInt8] {
        let line = row([text] + Array(repeating: nil, count: columns - 1), style: style)
        merge(fromColumn: 0, fromRow: line.number, toColumn: columns - 1, toRow: line.number)
        return line.bytes
    }

    /// Merges a block (0-based columns, 1-based rows, both ends included); written at the end.
    public mutating func merge(fromColumn: Int, fromRow: Int, toColumn: Int, toRow: Int) {
        guard toColumn > fromColumn || toRow > fromRow else { return }
        merges.append("\(CSV.columnName(fromColumn))\(fromRow):\(CSV.columnName(toColumn))\(toRow)")
    }

    /// The end of the sheet (its merged cells) and of the archive.
    public mutating func finish() -> [UInt8] {
        var tail = "</sheetData>"
        if !merges.isEmpty {
            tail += #"<mergeCells count="\#(merges.count)">"# + merges.map { #"<mergeCell ref="\#($0)"/>"# }.joined() + "</mergeCells>"
        }
        tail += "</worksheet>"
        var out = zip.write(Array(tail.utf8))
        out += zip.end()
        out += zip.finish()
        return out
    }

    /// XML text, without the control characters XML 1.0 forbids.
    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default: if scalar.value >= 0x20 { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }
}
