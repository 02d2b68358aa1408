import Foundation

/// Writes a liability list version as the YAML `LiabilityList.parse` reads.
public enum ListWriter {
    public static func yaml(_ list: LiabilityList, importedFrom source: String? = nil) -> String {
        var out = ""
        if let source {
            out += "# Imported by `whistle lists import` from \(source.replacingOccurrences(of: "\n", with: " ")).\n"
            out += "# Check it with `whistle lists check`; edit it here from now on.\n"
        }
        out += "version: \(scalar(list.version))\n"
        out += "effective: \(list.effective)\n"
        if let until = list.until { out += "until: \(until)\n" }
        out += "title: \(scalar(list.title))\n"
        out += "source: \(scalar(list.source))\n"
        let placeholders = Set(list.types.flatMap(\.assignments).filter { $0.target == .territorial }.map(\.written))
            .filter { written in !DepartmentResolver.standardPlaceholders.map(ChineseText.matchingKey).contains(ChineseText.matchingKey(written)) }
        if !placeholders.isEmpty { out += "territorialPlaceholders: \(flow(placeholders.sorted()))\n" }
        out += "types:\n"
        for type in list.types {
            out += "  - code: \(scalar(type.code))\n"
            out += "    name: \(scalar(type.name))\n"
            out += "    class: \(type.problemClass.rawValue)\n"
            if !type.tags.isEmpty { out += "    tags: \(flow(type.tags))\n" }
            if !type.aliases.isEmpty { out += "    aliases: \(flow(type.aliases))\n" }
            if !type.keywords.isEmpty { out += "    keywords: \(flow(type.keywords))\n" }
            for column in [Assignment.Column.lead, .responsible, .supporting] {
                let written = type.assignments.filter { $0.column == column }.sorted { $0.position < $1.position }.map(\.written)
                if !written.isEmpty { out += "    \(column.rawValue): \(flow(written))\n" }
            }
            var limits: [String] = []
            if let hours = type.limits.acknowledgeHours { limits.append("acknowledgeHours: \(hours)") }
            if let days = type.limits.rectifyWorkingDays { limits.append("rectifyWorkingDays: \(days)") }
            if !limits.isEmpty { out += "    deadline: {\(limits.joined(separator: ", "))}\n" }
            if let note = type.note { out += "    note: \(scalar(note))\n" }
        }
        return out
    }

    static func flow(_ items: [String]) -> String {
        "[" + items.map(scalar).joined(separator: ", ") + "]"
    }

    /// `text` as a plain YAML scalar when that reads back the same, else double-quoted.
    static func scalar(_ text: String) -> String {
        let special = CharacterSet(charactersIn: ":#[]{},\"'&*!|>%@`\\\n\t")
        let plain =
            !text.isEmpty && text.rangeOfCharacter(from: special) == nil && !text.hasPrefix("-") && !text.hasPrefix("?")
            && !text.hasPrefix(" ") && !text.hasSuffix(" ") && Double(text) == nil
            && !["true", "false", "yes", "no", "on", "off", "null", "~"].contains(text.lowercased())
            && CivilDate(text) == nil
        if plain { return text }
        let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\\/", with: "/")
    }
}
