import Foundation
import Hummingbird
import WhistleCore
import WhistleStore

/// Specialist teams' rosters under `/v1/tenants/{tenant}/teams/{code}`: the shifts and the gaps
/// of a period, who is on duty at a moment, and the roster as an iCalendar feed.
struct TeamRoutes: Sendable {
    let routing: TenantRouting
    let clock: @Sendable () -> Date

    struct Shift: Codable, Sendable {
        var member: String
        var name: String
        var start: String
        var end: String
        var source: String
    }

    struct Gap: Codable, Sendable {
        var start: String
        var end: String
    }

    struct RosterAnswer: ResponseEncodable {
        var team: String
        var from: String
        var to: String
        var members: [TeamMember]
        var shifts: [Shift]
        /// Stretches nobody is on duty for: the scheduler's warning.
        var gaps: [Gap]
        var warnings: [String]
    }

    struct OnDuty: ResponseEncodable {
        var team: String
        var at: String
        var member: String?
        var name: String?
        var mobile: String?
        var source: String?
    }

    func add(to tenants: RouterGroup<WhistleRequestContext>) {
        tenants.get("teams/:code/roster") { request, context -> RosterAnswer in
            _ = try context.require(.readReference)
            let (tenant, team, calendar) = try self.team(context)
            let (from, to) = try Self.period(request, zone: tenant.timeZone, now: clock(), defaultDays: 14)
            let shifts: [DutyShift]
            let gaps: [DateInterval]
            do throws(WorkCalendarError) {
                shifts = try team.roster.shifts(from: from, to: to, calendar: calendar)
                gaps = try team.roster.gaps(from: from, to: to, calendar: calendar)
            } catch {
                throw Problem.unprocessable("to", "工作日历不足以排班:\(error)")
            }
            let names = Dictionary(team.members.map { ($0.code, $0.name) }, uniquingKeysWith: { first, _ in first })
            let zone = tenant.timeZone
            return RosterAnswer(
                team: team.team, from: ISOMoment.format(from, in: zone), to: ISOMoment.format(to, in: zone), members: team.members,
                shifts: shifts.map {
                    Shift(
                        member: $0.member, name: names[$0.member] ?? $0.member, start: ISOMoment.format($0.start, in: zone),
                        end: ISOMoment.format($0.end, in: zone), source: $0.source)
                },
                gaps: gaps.map { Gap(start: ISOMoment.format($0.start, in: zone), end: ISOMoment.format($0.end, in: zone)) },
                warnings: gaps.isEmpty ? [] : ["该时段有 \(gaps.count) 段无人值班,请调整排班"])
        }
        tenants.get("teams/:code/on-duty") { request, context -> OnDuty in
            _ = try context.require(.readReference)
            let (tenant, team, calendar) = try self.team(context)
            let at = try RequestBody.moment(request.uri.queryParameters["at"].map(String.init), field: "at", zone: tenant.timeZone) ?? clock()
            let duty: (member: String, source: String)?
            do throws(WorkCalendarError) {
                duty = try team.roster.onDuty(at: at, calendar: calendar)
            } catch {
                throw Problem.unprocessable("at", "工作日历不足以排班:\(error)")
            }
            let member = team.members.first { $0.code == duty?.member }
            return OnDuty(
                team: team.team, at: ISOMoment.format(at, in: tenant.timeZone), member: duty?.member, name: member?.name, mobile: member?.mobile,
                source: duty?.source)
        }
        tenants.get("teams/:code/roster.ics") { request, context -> Response in
            _ = try context.require(.readReference)
            let (tenant, team, calendar) = try self.team(context)
            let now = clock()
            let (from, to) = try Self.period(request, zone: tenant.timeZone, now: now.addingTimeInterval(-7 * 86_400), defaultDays: 63)
            let shifts: [DutyShift]
            do throws(WorkCalendarError) {
                shifts = try team.roster.shifts(from: from, to: to, calendar: calendar)
            } catch {
                throw Problem.unprocessable("to", "工作日历不足以排班:\(error)")
            }
            let name = tenant.departmentNames[team.team] ?? team.team
            let text = ICalendarFeed.render(team: team.team, teamName: name, shifts: shifts, members: team.members, generatedAt: now)
            return Response(
                status: .ok, headers: [.contentType: "text/calendar; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }

    private func team(_ context: WhistleRequestContext) throws -> (TenantRouting.Tenant, TeamRosters.Team, WorkCalendar) {
        let (_, tenant) = try routing.tenant(context)
        let code = context.parameters.get("code") ?? ""
        guard let team = tenant.rosters.teams.first(where: { $0.team == code }) else {
            throw Problem.notFound("专班“\(code)”没有排班表(rosters.yaml)。")
        }
        guard let calendar = tenant.policy?.calendar else { throw Problem.unavailable("该租户没有工作日历。") }
        return (tenant, team, calendar)
    }

    /// `from` and `to` (ISO 8601), by default `now` and `defaultDays` later; at most a year.
    static func period(_ request: Request, zone: TimeZone, now: Date, defaultDays: Int) throws -> (Date, Date) {
        let query = request.uri.queryParameters
        let from = try RequestBody.moment(query["from"].map(String.init), field: "from", zone: zone) ?? now
        let to = try RequestBody.moment(query["to"].map(String.init), field: "to", zone: zone) ?? from.addingTimeInterval(Double(defaultDays) * 86_400)
        guard to > from else { throw Problem.unprocessable("to", "须晚于 from") }
        guard to.timeIntervalSince(from) <= 366 * 86_400 else { throw Problem.unprocessable("to", "一次最多查询一年") }
        return (from, to)
    }
}
