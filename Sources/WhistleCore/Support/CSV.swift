/// Comma-separated values as spreadsheets write them (RFC 4180): quoted cells may hold commas,
/// quotes (doubled) and line breaks.
public enum CSV {
    /// One record, with the 1-based row a spreadsheet shows for it (a cell's line breaks stay in its row).
    public struct Row: Sendable, Hashable {
        public var number: Int
        public var cells: [String]

        /// The cell at `index`, or "" past the end of a short row.
        public subscript(index: Int) -> String { index < cells.count ? cells[index] : "" }
    }

    public struct Error: Swift.Error, Sendable, Hashable, CustomStringConvertible {
        public var row: Int
        public var reason: String
        public var description: String { "row \(row): \(reason)" }
    }

    /// The spreadsheet column name of a 0-based index: A … Z, AA …
    public static func columnName(_ index: Int) -> String {
        var name = ""
        var value = index + 1
        while value > 0 {
            let remainder = (value - 1) % 26
            name = String(UnicodeScalar(UInt8(65 + remainder))) + name
            value = (value - 1) / 26
        }
        return name
    }

    /// One CSV record: fields quoted where they hold a comma, a quote or a line break, ended by CRLF.
    public static func line(_ fields: [String]) -> String {
        fields.map { field in
            field.contains(where: { ",\"\r\n".contains($0) }) ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
        }.joined(separator: ",") + "\r\n"
    }

    /// Splits `text` into rows; a delimiter other than a comma may be given (`;` in some locales).
    public static func parse(_ text: String, delimiter: Character = ",") throws(CSV.Error) -> [Row] {
        var rows: [Row] = []
        var cells: [String] = []
        var cell = ""
        var quoted = false
        var afterQuote = false
        var record = 1
        var iterator = text.makeIterator()
        var pending: Character? = nil
        func next() -> Character? {
            if let character = pending {
                pending = nil
                return character
            }
            return iterator.next()
        }
        func endRecord() {
            cells.append(cell)
            cell = ""
            if !(cells.count == 1 && cells[0].isEmpty) {
                rows.append(Row(number: record, cells: cells))
            }
            cells = []
            record += 1
        }
        while let character = next() {
            if quoted {
                if character == "\"" {
                    if let following = next() {
                        if following == "\"" {
                            cell.append("\"")
                        } else {
                            quoted = false
                            afterQuote = true
                            pending = following
                        }
                    } else {
                        quoted = false
                    }
                } else {
                    cell.append(character == "\r\n" ? "\n" : character)
                }
                continue
            }
            switch character {
            case "\"" where cell.isEmpty && !afterQuote:
                quoted = true
            case delimiter:
                cells.append(cell)
                cell = ""
                afterQuote = false
            case "\n", "\r\n", "\r":
                endRecord()
                afterQuote = false
            default:
                if afterQuote {
                    throw CSV.Error(row: record, reason: "text after a closing quote in column \(columnName(cells.count))")
                }
                cell.append(character)
            }
        }
        if quoted { throw CSV.Error(row: record, reason: "a quoted cell in column \(columnName(cells.count)) is never closed") }
        if !cell.isEmpty || !cells.isEmpty { endRecord() }
        return rows
    }
}
