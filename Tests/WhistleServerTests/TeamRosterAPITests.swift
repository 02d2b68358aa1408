import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import WhistleCore
import WhistleStore
import WhistleTestSupport

/// 文昌湖区's sample roster through the API: shifts, who is on duty, gaps and the iCalendar feed.
@Suite("Team rosters through the API")
struct TeamRosterAPITests {
    let zone = TimeZone(identifier: "Asia/Shanghai")!

    func at(_ text: String) -> Date { ISOMoment.parse(text, in: zone)! }

    func get(_ client: some TestClientProtocol, _ uri: String, token: String, expect status: HTTPResponse.Status = .ok) async throws -> [String: Any] {
        try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
            #expect(response.status == status, "\(uri): \(String(buffer: response.body))")
            return (try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]) ?? [:]
        }
    }

    @Test("in the calendar's last weeks the roster page and the subscribed feed answer up to its last day, saying so; a period asked past it is refused")
    func lastWeeksOfTheCalendar() async throws {
        let db = try await TestPostgres.migratedDatabase("rosters_year_end")
        try await db.loadSampleConfiguration()
        let routing = TenantRouting(try ConfigDirectory.read(TestPostgres.configDirectory))
        let token = try await db.token("wenchanghu", .handler, department: "zhifa-squad-5")
        let app = try testApplication(db, routing: routing, clock: { self.at("2026-12-20T09:00:00+08:00") })
        try await app.test(.router) { client in
            let base = "/v1/tenants/wenchanghu/teams/zhifa-squad-5"
            // Fourteen days from 20 December reach 2027, which the calendar does not cover yet.
            let roster = try await get(client, "\(base)/roster", token: token)
            #expect(roster["to"] as? String == "2027-01-01T00:00:00+08:00")
            #expect((roster["shifts"] as? [[String: Any]] ?? []).last?["end"] as? String == "2027-01-01T00:00:00+08:00")
            #expect((roster["warnings"] as? [String] ?? []).contains { $0.contains("2026-12-31") })
            try await client.execute(uri: "\(base)/roster.ics?token=\(token)", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("DTSTART"))
            }
            _ = try await get(client, "\(base)/roster?to=2027-01-10T00:00:00%2B08:00", token: token, expect: .unprocessableContent)
        }
    }

    @Test("who is on duty across 国庆: the working-day layer by day, the weekly on-call otherwise; the feed parses in Python's icalendar")
    func roster() async throws {
        let db = try await TestPostgres.migratedDatabase("rosters")
        try await db.loadSampleConfiguration()
        let routing = TenantRouting(try ConfigDirectory.read(TestPostgres.configDirectory))
        let token = try await db.token("wenchanghu", .handler, department: "zhifa-squad-5")
        let app = try testApplication(db, routing: routing, clock: { self.at("2026-09-28T09:00:00+08:00") })
        try await app.test(.router) { client in
            let base = "/v1/tenants/wenchanghu/teams/zhifa-squad-5"
            // Monday 28 September 10:00, a working day: the day layer (d1 from 1 September, one a working day).
            var duty = try await get(client, "\(base)/on-duty?at=2026-09-28T10:00:00%2B08:00", token: token)
            #expect(duty["source"] as? String == "day")
            let dayMember = duty["member"] as? String
            #expect(["d1", "d2", "d3"].contains(dayMember ?? ""))
            // 20:00 the same day, and 2 October (国庆) at 10:00: the on-call layer.
            duty = try await get(client, "\(base)/on-duty?at=2026-09-28T20:00:00%2B08:00", token: token)
            #expect(duty["source"] as? String == "on-call")
            duty = try await get(client, "\(base)/on-duty?at=2026-10-02T10:00:00%2B08:00", token: token)
            #expect(duty["source"] as? String == "on-call")
            #expect(duty["name"] as? String != nil)

            let roster = try await get(client, "\(base)/roster?from=2026-09-28T00:00:00%2B08:00&to=2026-10-12T00:00:00%2B08:00", token: token)
            let shifts = roster["shifts"] as? [[String: Any]] ?? []
            #expect((roster["gaps"] as? [Any])?.isEmpty == true)
            #expect(shifts.first?["start"] as? String == "2026-09-28T00:00:00+08:00")
            #expect(shifts.last?["end"] as? String == "2026-10-12T00:00:00+08:00")
            // No day shifts during 国庆 (1–7 October).
            #expect(!shifts.contains { ($0["source"] as? String) == "day" && ($0["start"] as? String ?? "").hasPrefix("2026-10-0") && !(($0["start"] as? String ?? "").hasPrefix("2026-10-08") || ($0["start"] as? String ?? "").hasPrefix("2026-10-09")) })
            _ = try await get(client, "/v1/tenants/wenchanghu/teams/zhifa/roster", token: token, expect: .notFound)
            _ = try await get(client, "\(base)/roster?from=2026-10-12T00:00:00%2B08:00&to=2026-10-01T00:00:00%2B08:00", token: token, expect: .unprocessableContent)

            let feed = try await client.execute(
                uri: "\(base)/roster.ics?from=2026-09-28T00:00:00%2B08:00&to=2026-10-12T00:00:00%2B08:00", method: .get,
                headers: [.authorization: "Bearer \(token)"]
            ) { response -> String in
                #expect(response.headers[.contentType]?.hasPrefix("text/calendar") == true)
                return String(buffer: response.body)
            }
            // A calendar application subscribes by URL alone: the token may come as ?token= (for the feed only).
            try await client.execute(uri: "\(base)/roster.ics?token=\(token)", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).hasPrefix("BEGIN:VCALENDAR"))
            }
            try await client.execute(uri: "\(base)/roster?token=\(token)", method: .get) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "\(base)/roster.ics?token=wh_nonsense", method: .get) { response in
                #expect(response.status == .unauthorized)
            }
            let events = try Self.pythonICalendarEvents(feed)
            #expect(events.count == shifts.count)
            #expect(events.first?.hasPrefix("值班：执法队员") == true)
        }
    }

    /// The summaries of the feed's events, as Python's icalendar reads them (`scripts/ensure-python-libs` installs it).
    static func pythonICalendarEvents(_ feed: String) throws -> [String] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("whistle-feed-\(UUID().uuidString).ics")
        try feed.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let (status, data, problem) = try Python.run(
            "import sys, icalendar\ncal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())\nfor e in cal.walk('VEVENT'):\n    assert e.decoded('dtend') > e.decoded('dtstart')\n    print(str(e.get('summary')))",
            arguments: [file.path])
        try #require(status == 0, "python's icalendar refused the feed (run scripts/ensure-python-libs): \(problem)")
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}
