import Foundation

/// A team's shifts as an iCalendar feed (RFC 5545), so members see them in their own calendar
/// applications: one VEVENT per shift, times in UTC, lines folded at 75 octets, CRLF endings.
public enum ICalendarFeed {
    public static func render(team: String, teamName: String, shifts: [DutyShift], members: [TeamMember], generatedAt: Date) -> String {
        var lines = [
            "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Whistle//Rosters//ZH", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
            "X-WR-CALNAME:" + escape("\(teamName)值班表"),
        ]
        let names = Dictionary(members.map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })
        for shift in shifts {
            let member = names[shift.member]
            lines += [
                "BEGIN:VEVENT",
                "UID:\(team)-\(shift.member)-\(Int(shift.start.timeIntervalSince1970))@whistle",
                "DTSTAMP:\(utc(generatedAt))",
                "DTSTART:\(utc(shift.start))",
                "DTEND:\(utc(shift.end))",
                "SUMMARY:" + escape("值班：\(member?.name ?? shift.member)"),
                "DESCRIPTION:" + escape("\(teamName)；\(shift.source == "override" ? "调班/替班" : "轮班 \(shift.source)")\(member?.mobile.map { "；电话 \($0)" } ?? "")"),
                "END:VEVENT",
            ]
        }
        lines.append("END:VCALENDAR")
        return lines.map(fold).joined(separator: "\r\n") + "\r\n"
    }

    /// 20261001T003000Z.
    static func utc(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
    }

    /// TEXT values escape backslash, semicolon, comma and newlines.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: ";", with: "\\;").replacingOccurrences(of: ",", with: "\\,")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Folds a content line to at most 75 octets per physical line, never inside a UTF-8 character.
    static func fold(_ line: String) -> String {
        var result: [String] = []
        var current = ""
        var octets = 0
        for character in line {
            let size = String(character).utf8.count
            let limit = result.isEmpty ? 75 : 74  // continuation lines begin with a space
            if octets + size > limit {
                result.append(current)
                current = ""
                octets = 0
            }
            current.append(character)
            octets += size
        }
        result.append(current)
        return result.enumerated().map { $0.offset == 0 ? $0.element : " " + $0.element }.joined(separator: "\r\n")
    }
}
