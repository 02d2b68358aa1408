import Foundation
import Testing
@testable import WhistleCore

@Suite("ISO 8601 moments")
struct ISOMomentTests {
    let shanghai = TimeZone(identifier: "Asia/Shanghai")!

    @Test("offsets, Z, local times and dates are read", arguments: [
        ("2026-09-30T17:30:00+08:00", 1_790_760_600.0),
        ("2026-09-30T09:30:00Z", 1_790_760_600.0),
        ("2026-09-30T17:30", 1_790_760_600.0),
        ("2026-09-30 17:30:00", 1_790_760_600.0),
        ("2026-09-30T04:30:00-05:00", 1_790_760_600.0),
        ("2026-09-30T17:30:00.250+08:00", 1_790_760_600.25),
        ("2026-09-30", 1_790_697_600.0),
    ])
    func parses(text: String, seconds: Double) {
        #expect(ISOMoment.parse(text, in: shanghai)?.timeIntervalSince1970 == seconds)
    }

    @Test("malformed moments are nil", arguments: ["", "yesterday", "2026-9-30", "2026-09-30T25:00", "2026-09-30T17:30+8", "2026-02-30", "2026-09-30T17"])
    func refuses(text: String) {
        #expect(ISOMoment.parse(text, in: shanghai) == nil)
    }

    @Test("moments print in the zone with its offset, and read back")
    func formats() {
        let moment = Date(timeIntervalSince1970: 1_790_760_600)
        #expect(ISOMoment.format(moment, in: shanghai) == "2026-09-30T17:30:00+08:00")
        #expect(ISOMoment.format(moment, in: TimeZone(secondsFromGMT: 0)!) == "2026-09-30T09:30:00Z")
        #expect(ISOMoment.format(moment.addingTimeInterval(0.5), in: shanghai) == "2026-09-30T17:30:00.500+08:00")
        #expect(ISOMoment.parse(ISOMoment.format(moment, in: shanghai), in: TimeZone(secondsFromGMT: 0)!) == moment)
    }

    /// What `format` printed before it counted from the offset itself: Foundation's calendar.
    static func calendarFormat(_ moment: Date, in timeZone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .nanosecond], from: moment)
        func pad(_ value: Int, _ width: Int = 2) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        var text = "\(pad(parts.year!, 4))-\(pad(parts.month!))-\(pad(parts.day!))T\(pad(parts.hour!)):\(pad(parts.minute!)):\(pad(parts.second!))"
        let milliseconds = Int((Double(parts.nanosecond ?? 0) / 1_000_000).rounded())
        if milliseconds > 0 && milliseconds < 1000 { text += ".\(pad(milliseconds, 3))" }
        let offset = timeZone.secondsFromGMT(for: moment)
        if offset == 0 { return text + "Z" }
        let sign = offset < 0 ? "-" : "+"
        return text + "\(sign)\(pad(abs(offset) / 3600)):\(pad(abs(offset) % 3600 / 60))"
    }

    @Test("moments print as Foundation's calendar prints them (ISO and the notices' Chinese), in zones east and west, across DST and before 1970")
    func formatsAsTheCalendar() {
        var generator = SplitMix64(seed: 20_261_204)
        let zones = ["Asia/Shanghai", "UTC", "America/New_York", "Asia/Kolkata", "Pacific/Chatham", "America/St_Johns"].map { TimeZone(identifier: $0)! }
        for _ in 0..<20_000 {
            // From 1950 to 2100, to the microsecond (what PostgreSQL keeps), some on whole seconds.
            var seconds = Double(Int64.random(in: -631_152_000...4_102_444_800, using: &generator))
            if Bool.random(using: &generator) { seconds += Double(Int.random(in: 0..<1_000_000, using: &generator)) / 1_000_000 }
            let moment = Date(timeIntervalSince1970: seconds)
            for zone in zones {
                let text = ISOMoment.format(moment, in: zone)
                #expect(text == Self.calendarFormat(moment, in: zone), "\(seconds) in \(zone.identifier)")
                if text != Self.calendarFormat(moment, in: zone) { return }
                // The notices' "2026年9月29日 09:00" counts the same way.
                var calendar = Calendar(identifier: .gregorian)
                calendar.timeZone = zone
                let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: moment)
                let chinese = String(format: "%d年%d月%d日 %02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!)
                #expect(EscalationNotice.chineseMoment(moment, in: zone) == chinese, "\(seconds) in \(zone.identifier)")
                if EscalationNotice.chineseMoment(moment, in: zone) != chinese { return }
            }
        }
    }
}
