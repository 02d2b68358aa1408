/// Splits a SQL script into statements.
///
/// PostgresNIO speaks only the extended query protocol, which takes one statement at a time,
/// so a migration file is cut at the semicolons that end statements: not those inside quotes,
/// quoted identifiers, dollar-quoted bodies or comments.
public enum SQLScript {
    /// The statements of `sql`, trimmed, without empty ones, each with the 1-based line it starts on.
    public static func statements(_ sql: String) -> [(line: Int, text: String)] {
        let chars = Array(sql.unicodeScalars)
        var result: [(Int, String)] = []
        var current = String.UnicodeScalarView()
        var line = 1
        var startLine: Int? = nil
        var i = 0

        func append(_ scalar: Unicode.Scalar) {
            if startLine == nil, !scalar.properties.isWhitespace { startLine = line }
            current.append(scalar)
            if scalar == "\n" { line += 1 }
        }
        func flush() {
            let text = String(current).trimmingWhitespace()
            if !text.isEmpty, !isOnlyComments(text) { result.append((startLine ?? line, text)) }
            current = String.UnicodeScalarView()
            startLine = nil
        }

        while i < chars.count {
            let c = chars[i]
            let next: Unicode.Scalar? = i + 1 < chars.count ? chars[i + 1] : nil
            if c == "-", next == "-" {
                while i < chars.count, chars[i] != "\n" {
                    current.append(chars[i])
                    i += 1
                }
                continue
            }
            if c == "/", next == "*" {
                var depth = 0
                repeat {
                    if chars[i] == "/", i + 1 < chars.count, chars[i + 1] == "*" {
                        depth += 1
                        current.append(chars[i]); current.append(chars[i + 1]); i += 2
                        continue
                    }
                    if chars[i] == "*", i + 1 < chars.count, chars[i + 1] == "/" {
                        depth -= 1
                        current.append(chars[i]); current.append(chars[i + 1]); i += 2
                        continue
                    }
                    if chars[i] == "\n" { line += 1 }
                    current.append(chars[i])
                    i += 1
                } while i < chars.count && depth > 0
                continue
            }
            if c == "'" || c == "\"" {
                append(c)
                i += 1
                while i < chars.count {
                    let d = chars[i]
                    append(d)
                    i += 1
                    if d == c {
                        // A doubled quote is an escaped quote, not the end.
                        if i < chars.count, chars[i] == c {
                            append(chars[i])
                            i += 1
                            continue
                        }
                        break
                    }
                }
                continue
            }
            if c == "$", let tag = dollarTag(chars, at: i) {
                for s in tag { append(s) }
                i += tag.count
                while i < chars.count {
                    if chars[i] == "$", i + tag.count <= chars.count, Array(chars[i..<(i + tag.count)]) == tag {
                        for s in tag { append(s) }
                        i += tag.count
                        break
                    }
                    append(chars[i])
                    i += 1
                }
                continue
            }
            if c == ";" {
                flush()
                i += 1
                continue
            }
            append(c)
            i += 1
        }
        flush()
        return result
    }

    /// `$tag$` or `$$` starting at `index`, or nil when the `$` is something else (a parameter like `$1`).
    private static func dollarTag(_ chars: [Unicode.Scalar], at index: Int) -> [Unicode.Scalar]? {
        var j = index + 1
        while j < chars.count {
            let s = chars[j]
            if s == "$" { return Array(chars[index...j]) }
            let isTagChar = s.properties.isAlphabetic || s == "_" || (j > index + 1 && ("0"..."9").contains(s))
            if !isTagChar { return nil }
            j += 1
        }
        return nil
    }

    private static func isOnlyComments(_ text: String) -> Bool {
        text.split(separator: "\n").allSatisfy { $0.trimmingWhitespace().isEmpty || $0.trimmingWhitespace().hasPrefix("--") }
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[first...last])
        return String(view)
    }
}
