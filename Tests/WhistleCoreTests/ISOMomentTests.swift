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
}
