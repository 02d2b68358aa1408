import Foundation

/// ISO 8601 moments as operators type and read them: `2026-09-30T17:30:00+08:00`.
public enum ISOMoment {
    /// Parses `YYYY-MM-DD` (the start of that day) or `YYYY-MM-DDTHH:MM[:SS[.fff]]` with an optional
    /// `Z` or `±HH:MM` offset; without an offset the moment is read in `timeZone`. Nil if malformed.
    /// As `parse(_:in:)`, but a bare date read as the end of a period (`to=2026-11-30`) means the
    /// end of that day: the start of the next.
    public static func parse(_ text: String, in timeZone: TimeZone, dayEnds: Bool) -> Date? {
        if dayEnds, let date = CivilDate(text) { return date.adding(days: 1).start(in: timeZone) }
        return parse(text, in: timeZone)
    }

    public static func parse(_ text: String, in timeZone: TimeZone) -> Date? {
        if let date = CivilDate(text) { return date.start(in: timeZone) }
        guard text.count >= 16, let date = CivilDate(String(text.prefix(10))) else { return nil }
        var rest = Substring(text.dropFirst(10))
        guard rest.first == "T" || rest.first == " " else { return nil }
        rest = rest.dropFirst()
        // Offset: Z, or the last '+' / '-' in the time part.
        var zone = timeZone
        if rest.hasSuffix("Z") {
            zone = TimeZone(secondsFromGMT: 0)!
            rest = rest.dropLast()
        } else if let sign = rest.lastIndex(where: { $0 == "+" || $0 == "-" }) {
            let offset = rest[rest.index(after: sign)...].replacingOccurrences(of: ":", with: "")
            guard offset.count == 4, let hh = Int(offset.prefix(2)), let mm = Int(offset.suffix(2)), hh < 24, mm < 60 else { return nil }
            let seconds = (hh * 3600 + mm * 60) * (rest[sign] == "-" ? -1 : 1)
            guard let fixed = TimeZone(secondsFromGMT: seconds) else { return nil }
            zone = fixed
            rest = rest[..<sign]
        }
        let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3, parts[0].count == 2, parts[1].count == 2,
            let hour = Int(parts[0]), let minute = Int(parts[1]), hour < 24, minute < 60
        else { return nil }
        var seconds = 0.0
        if parts.count == 3 {
            guard parts[2].count >= 2, let value = Double(parts[2]), value >= 0, value < 61 else { return nil }
            seconds = value
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        guard
            let moment = calendar.date(
                from: DateComponents(year: date.year, month: date.month, day: date.day, hour: hour, minute: minute))
        else { return nil }
        return moment.addingTimeInterval(seconds)
    }

    /// `YYYY-MM-DDTHH:MM:SS±HH:MM` in `timeZone` (milliseconds added when the moment has them).
    public static func format(_ moment: Date, in timeZone: TimeZone) -> String {
        let (date, secondOfDay, milliseconds, offset) = local(moment, in: timeZone)
        var text = ""
        text.reserveCapacity(29)
        func pad(_ value: Int, _ width: Int = 2) {
            let digits = String(value)
            if digits.utf8.count < width { text += String(repeating: "0", count: width - digits.utf8.count) }
            text += digits
        }
        pad(date.year, 4)
        text += "-"
        pad(date.month)
        text += "-"
        pad(date.day)
        text += "T"
        pad(secondOfDay / 3600)
        text += ":"
        pad(secondOfDay % 3600 / 60)
        text += ":"
        pad(secondOfDay % 60)
        if milliseconds > 0 && milliseconds < 1000 {
            text += "."
            pad(milliseconds, 3)
        }
        if offset == 0 { return text + "Z" }
        text += offset < 0 ? "-" : "+"
        pad(abs(offset) / 3600)
        text += ":"
        pad(abs(offset) % 3600 / 60)
        return text
    }

    /// `moment` on the wall clock of `timeZone`: its date, the second of that day, the
    /// milliseconds (0...1000, rounded) and the zone's offset. Counted from the offset rather than
    /// through `Calendar.dateComponents`: every answer of the API and every notice prints
    /// moments, and the calendar cost ~5% of the daemon's CPU.
    static func local(_ moment: Date, in timeZone: TimeZone) -> (date: CivilDate, secondOfDay: Int, milliseconds: Int, offset: Int) {
        let offset = timeZone.secondsFromGMT(for: moment)
        let local = moment.timeIntervalSince1970 + Double(offset)
        let whole = local.rounded(.down)
        let seconds = Int(whole)
        let day = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        return (CivilDate(dayNumber: day), seconds - day * 86_400, Int(((local - whole) * 1000).rounded()), offset)
    }
}
