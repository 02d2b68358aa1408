import Foundation
import Hummingbird
import WhistleCore
import WhistleStore

/// Specialist teams' rosters under `/v1/tenants/{tenant}/teams/{code}`: the shifts and the gaps
/// of a period, who is on duty at a moment, and the roster as an iCalendar feed.
struct TeamRoutes: Sendable {
    let routing: TenantRouting
    let store: RosterStore
    let clock: @Sendable () -> Date

    struct OverrideRequest: Decodable {
        var member: String?
        var from: String?
        var to: String?
        var reason: String?
    }

    struct Overrides: ResponseEncodable {
        var items: [RosterOverrideRecord]
        var count: Int
    }

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
            let (code, tenant, team, calendar) = try self.team(context)
            let (from, to, cutAt) = try Self.period(request, zone: tenant.timeZone, now: clock(), defaultDays: 14, calendar: calendar)
            let roster = try await store.roster(team, tenant: code, after: from)
            let shifts: [DutyShift]
            let gaps: [DateInterval]
            do throws(WorkCalendarError) {
                shifts = try roster.shifts(from: from, to: to, calendar: calendar)
                gaps = try roster.gaps(from: from, to: to, calendar: calendar)
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
                warnings: (gaps.isEmpty ? [] : ["该时段有 \(gaps.count) 段无人值班,请调整排班"])
                    + (cutAt.map { ["工作日历只录入到 \($0),之后的排班待录入下一年节假日安排后显示"] } ?? []))
        }
        tenants.get("teams/:code/on-duty") { request, context -> OnDuty in
            _ = try context.require(.readReference)
            let (code, tenant, team, calendar) = try self.team(context)
            let at = try RequestBody.moment(request.uri.queryParameters["at"].map(String.init), field: "at", zone: tenant.timeZone) ?? clock()
            let roster = try await store.roster(team, tenant: code, after: at)
            let duty: (member: String, source: String)?
            do throws(WorkCalendarError) {
                duty = try roster.onDuty(at: at, calendar: calendar)
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
            let (code, tenant, team, calendar) = try self.team(context)
            let now = clock()
            let (from, to, _) = try Self.period(
                request, zone: tenant.timeZone, now: now.addingTimeInterval(-7 * 86_400), defaultDays: 63, calendar: calendar)
            let roster = try await store.roster(team, tenant: code, after: from)
            let shifts: [DutyShift]
            do throws(WorkCalendarError) {
                shifts = try roster.shifts(from: from, to: to, calendar: calendar)
            } catch {
                throw Problem.unprocessable("to", "工作日历不足以排班:\(error)")
            }
            let name = tenant.departmentNames[team.team] ?? team.team
            let text = ICalendarFeed.render(team: team.team, teamName: name, shifts: shifts, members: team.members, generatedAt: now)
            return Response(
                status: .ok, headers: [.contentType: "text/calendar; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        tenants.get("teams/:code/overrides") { request, context -> Overrides in
            _ = try context.require(.readReference)
            let (code, tenant, team, _) = try self.team(context)
            let all = request.uri.queryParameters["all"].map { $0 == "true" || $0 == "1" } ?? false
            let items = try await Self.mapping {
                try await store.list(team: team.team, tenant: code, routing: tenant, now: clock(), current: !all)
            }
            return Overrides(items: items, count: items.count)
        }
        tenants.post("teams/:code/overrides") { request, context -> Response in
            let (code, tenant, team, _) = try self.team(context)
            let principal = try context.require(.manageRoster(team: team.team))
            let body = try await RequestBody.decode(OverrideRequest.self, request, context)
            var problems: [Problem.FieldError] = []
            for (field, value) in [("member", body.member), ("from", body.from), ("to", body.to), ("reason", body.reason)] where value == nil {
                problems.append(.init(field: field, reason: "必填"))
            }
            guard problems.isEmpty, let member = body.member, let reason = body.reason,
                let from = try RequestBody.moment(body.from, field: "from", zone: tenant.timeZone),
                let to = try RequestBody.moment(body.to, field: "to", zone: tenant.timeZone)
            else { throw Problem.invalidFields(problems) }
            let record = try await Self.mapping {
                try await store.add(
                    team: team, member: member, from: from, to: to, reason: reason, tenant: code, routing: tenant, now: clock(), actor: principal.actor)
            }
            var response = try context.responseEncoder.encode(record, from: request, context: context)
            response.status = .created
            return response
        }
        tenants.post("teams/:code/overrides/:id/cancel") { _, context -> RosterOverrideRecord in
            let (code, tenant, team, _) = try self.team(context)
            let principal = try context.require(.manageRoster(team: team.team))
            let id = try RequestBody.pathID(context)
            return try await Self.mapping {
                try await store.cancel(id, team: team.team, tenant: code, routing: tenant, now: clock(), actor: principal.actor)
            }
        }
    }

    static func mapping<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as RosterError {
            switch error {
            case .notFound(let id):
                throw Problem.notFound("该专班没有编号为 \(id) 的调班记录。")
            case .invalid(let problems):
                throw Problem.invalidFields(problems.map { Problem.FieldError(field: $0.field, reason: $0.reason) })
            case .alreadyCancelled(let id):
                throw Problem(.conflict, type: Problem.base + "not-allowed-now", title: "当前状态不允许该操作", detail: "调班 #\(id) 已取消。")
            }
        }
    }

    private func team(_ context: WhistleRequestContext) throws -> (String, TenantRouting.Tenant, TeamRosters.Team, WorkCalendar) {
        let (tenantCode, tenant) = try routing.tenant(context)
        let code = context.parameters.get("code") ?? ""
        guard let team = tenant.rosters.teams.first(where: { $0.team == code }) else {
            throw Problem.notFound("专班“\(code)”没有排班表(rosters.yaml)。")
        }
        guard let calendar = tenant.policy?.calendar else { throw Problem.unavailable("该租户没有工作日历。") }
        return (tenantCode, tenant, team, calendar)
    }

    /// `from` and `to` (ISO 8601), by default `now` and `defaultDays` later; at most a year.
    /// The period asked for. Without `to`, `defaultDays` from `from`, but no further than the
    /// calendar's last covered day (returned as `cutAt`): in the calendar's last weeks the roster
    /// page and a subscribed feed still answer with what can be counted, rather than refuse.
    static func period(
        _ request: Request, zone: TimeZone, now: Date, defaultDays: Int, calendar: WorkCalendar
    ) throws -> (from: Date, to: Date, cutAt: CivilDate?) {
        let query = request.uri.queryParameters
        let from = try RequestBody.moment(query["from"].map(String.init), field: "from", zone: zone) ?? now
        var cutAt: CivilDate?
        let to: Date
        if let asked = try RequestBody.moment(query["to"].map(String.init), field: "to", zone: zone) {
            to = asked
        } else {
            let wanted = from.addingTimeInterval(Double(defaultDays) * 86_400)
            to = calendar.cut(wanted, from: from)
            if to < wanted { cutAt = calendar.coverageEnd }
        }
        guard to > from else { throw Problem.unprocessable("to", "须晚于 from") }
        guard to.timeIntervalSince(from) <= 366 * 86_400 else { throw Problem.unprocessable("to", "一次最多查询一年") }
        return (from, to, cutAt)
    }
}
extension RosterOverrideRecord: ResponseEncodable {}
