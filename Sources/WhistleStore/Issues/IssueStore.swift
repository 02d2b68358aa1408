import Foundation
import Logging
import PostgresNIO
import WhistleCore

/// Takes issues in, routes them into tasks with deadlines and timers, reclassifies them, and reads
/// them back with their trail. Every write is one tenant transaction with its events.
public struct IssueStore: Sendable {
    public let database: Database
    /// Timers armed at intake notify the schedulers only when due within this long (nil: always).
    /// Later ones are loaded when they come within a scheduler's horizon, so the daemon passes its
    /// scheduler's horizon; the margin covers clock skew between daemons.
    public var timerNotifyHorizon: TimeInterval?

    public init(database: Database, timerNotifyHorizon: TimeInterval? = IssueStore.notifyHorizon(schedulerHorizonSeconds: SchedulerSettings().horizonSeconds)) {
        self.database = database
        self.timerNotifyHorizon = timerNotifyHorizon
    }

    /// The notify horizon for a scheduler that keeps `schedulerHorizonSeconds` in its wheel: an
    /// hour more, for clock skew between daemons.
    public static func notifyHorizon(schedulerHorizonSeconds: Int) -> TimeInterval {
        TimeInterval(schedulerHorizonSeconds + 3600)
    }

    /// A retry-safe request: the key and the hash of the body it came with.
    public struct Idempotency: Sendable, Hashable {
        public var key: String
        public var bodyHash: String

        public init(key: String, body: some Sequence<UInt8>) {
            self.key = key
            bodyHash = sha256Hex(Data(body))
        }
    }

    /// Gives an issue a type (or another one) and re-routes it: departments that stay keep their
    /// task and its history, those no longer responsible have theirs withdrawn, new ones are
    /// dispatched; each step is an event. The list version is the one in force when it was reported.
    ///
    /// - Parameter expectedVersion: the row version the caller read; a different one is a conflict.
    public func classify(
        _ issueID: Int64, type: String, expectedVersion: Int?, tenant: String, routing: TenantRouting.Tenant, now: Date, actor: String,
        unmasked: Bool = false
    ) async throws -> IssueRecord {
        let logger = database.logger
        try await database.withTenant(tenant) { connection in
            let rows = try await connection.query(
                "SELECT compound_code, reported_at, issue_type, row_version, state FROM issues WHERE issue_id = \(issueID) FOR UPDATE",
                logger: logger)
            var found: (String, Date, String?, Int, String)?
            for try await row in rows.decode((String, Date, String?, Int, String).self) { found = row }
            guard let (compound, reportedAt, previousType, version, _) = found else { throw IssueError.notFound(issueID) }
            if let expectedVersion, expectedVersion != version {
                throw IssueError.versionConflict(expected: expectedVersion, current: version)
            }
            let decision: RoutingDecision
            do throws(RoutingError) {
                decision = try routing.router.route(type: type, compound: compound, reportedAt: reportedAt)
            } catch {
                throw IssueError.invalid([IssueIntake.FieldProblem(field: "type", reason: error.description)])
            }
            if case .triage(let reason, _) = decision {
                throw IssueError.invalid([IssueIntake.FieldProblem(field: "type", reason: reason.description)])
            }
            guard case .routed(let plan) = decision else { return }
            let listID = try await self.listID(for: decision, tenant: tenant, on: connection)!
            let current = try await connection.query(
                "SELECT task_id, department_code, role FROM tasks WHERE issue_id = \(issueID) AND state NOT IN ('withdrawn', 'closed')",
                logger: logger)
            var held: [(id: Int64, department: String, role: TaskRole)] = []
            for try await (id, department, role) in current.decode((Int64, String, String).self) {
                held.append((id, department, TaskRole(rawValue: role) ?? .responsible))
            }
            let reroute = ReroutePlan(current: held.map { ($0.department, $0.role) }, next: plan.tasks)
            let rules = Self.rules(decision, routing: routing, compound: compound, reportedAt: reportedAt)
            for department in reroute.withdrawn {
                guard let task = held.first(where: { $0.department == department }) else { continue }
                try await self.withdraw(
                    task.id, tenant: tenant, now: now, actor: actor,
                    details: ["issue": String(issueID), "department": department, "reason": "reclassified", "to": type], on: connection)
            }
            for kept in reroute.kept where kept.previousRole != kept.task.role {
                guard let task = held.first(where: { $0.department == kept.department }) else { continue }
                try await connection.query(
                    "UPDATE tasks SET role = \(kept.task.role.rawValue), row_version = row_version + 1 WHERE task_id = \(task.id)",
                    logger: logger)
                try await EventLog.append(
                    tenant: tenant, subject: ("task", String(task.id)), kind: "task.roleChanged", actor: actor, at: now,
                    details: ["issue": String(issueID), "from": kept.previousRole.rawValue, "to": kept.task.role.rawValue, "rule": rules[kept.department] ?? ""],
                    on: connection, logger: logger)
            }
            try await self.dispatch(
                reroute.dispatched, issue: issueID, decision: decision, compound: compound, reportedAt: reportedAt, listID: listID,
                tenant: tenant, routing: routing, now: now, actor: actor, rules: rules, on: connection)
            try await connection.query(
                """
                UPDATE issues SET issue_type = \(type), list_id = \(listID), state = CASE WHEN state = 'triage' THEN 'open' ELSE state END,
                       triage_reason = NULL, row_version = row_version + 1
                WHERE issue_id = \(issueID)
                """, logger: logger)
            try await EventLog.append(
                tenant: tenant, subject: ("issue", String(issueID)), kind: "issue.reclassified", actor: actor, at: now,
                details: [
                    "from": previousType ?? "", "to": type, "listVersion": plan.listVersion, "kept": reroute.kept.map(\.department).joined(separator: ","),
                    "withdrawn": reroute.withdrawn.joined(separator: ","), "dispatched": reroute.dispatched.map(\.department).joined(separator: ","),
                ], on: connection, logger: logger)
        }
        guard let record = try await issue(issueID, tenant: tenant, zone: routing.timeZone, unmasked: unmasked) else {
            throw IssueError.notFound(issueID)
        }
        return record
    }

    /// Withdraws a task the issue no longer gives its department: its timers end, an event says why.
    func withdraw(
        _ taskID: Int64, tenant: String, now: Date, actor: String, details: [String: String], on connection: PostgresConnection
    ) async throws {
        try await connection.query(
            "UPDATE tasks SET state = 'withdrawn', row_version = row_version + 1 WHERE task_id = \(taskID)", logger: database.logger)
        try await TimerStore.disarmAll(tenant: tenant, subjectKind: "task", subjectID: String(taskID), on: connection, logger: database.logger)
        try await EventLog.append(
            tenant: tenant, subject: ("task", String(taskID)), kind: "task.withdrawn", actor: actor, at: now, details: details, on: connection,
            logger: database.logger)
    }

    /// Writes tasks with their deadlines, arms their timers and records their dispatch.
    ///
    /// - Parameter rules: why each department is on the issue; by default the routing's explanation.
    func dispatch(
        _ tasks: [RoutedTask], issue issueID: Int64, decision: RoutingDecision, compound: String, reportedAt: Date, listID: Int64,
        tenant: String, routing: TenantRouting.Tenant, now: Date, actor: String, rules: [String: String]? = nil,
        on connection: PostgresConnection
    ) async throws {
        let logger = database.logger
        let rules = rules ?? Self.rules(decision, routing: routing, compound: compound, reportedAt: reportedAt)
        let teams = tasks.map(\.department).filter { code in routing.rosters.teams.contains { $0.team == code } }
        let overrides = try await RosterStore.overrides(teams: teams, after: now, on: connection, logger: logger)
        // What the whistle to each department says of the issue.
        var about = DispatchRow.NoticeSubject(compound: compound, building: nil, household: nil, issueType: nil, description: "", routing: routing)
        for try await r in try await connection.query(
            "SELECT building_code, household, issue_type, description FROM issues WHERE tenant_id = \(tenant) AND issue_id = \(issueID)",
            logger: logger
        ).decode((String?, String?, String?, String).self) {
            about = DispatchRow.NoticeSubject(compound: compound, building: r.0, household: r.1, issueType: r.2, description: r.3, routing: routing)
        }
        for task in tasks {
            let row = DispatchRow(task, rule: rules[task.department] ?? "", routing: routing, now: now, overrides: overrides)
            let deadlines = row.deadlines
            let rows = try await connection.query(
                """
                INSERT INTO tasks (tenant_id, issue_id, department_code, role, list_id, rule, dispatched_at, acknowledge_due,
                                   rectify_due, original_rectify_due, rectify_working_days, acknowledge_hours, limits_source, ladder_id, assignee)
                VALUES (\(tenant), \(issueID), \(task.department), \(task.role.rawValue), \(listID), \(row.rule), \(now),
                        \(row.acknowledgeDue), \(deadlines?.rectifyDue), \(deadlines?.rectifyDue), \(row.rectifyWorkingDays),
                        \(task.limits.acknowledgeHours), \(task.limitsSource.rawValue),
                        (SELECT ladder_id FROM escalation_ladders WHERE tenant_id = \(tenant) AND checksum = \(routing.ladderChecksum)),
                        \(row.assignee))
                RETURNING task_id
                """, logger: logger)
            var taskID: Int64 = 0
            for try await value in rows.decode(Int64.self) { taskID = value }
            let subject = String(taskID)
            if let due = row.acknowledgeDue {
                try await TimerStore.arm(
                    TimerKey(tenant: tenant, subjectKind: "task", subjectID: subject, kind: "acknowledge"), due: due, on: connection, logger: logger)
            }
            if let due = deadlines?.rectifyDue {
                try await TimerStore.arm(
                    TimerKey(tenant: tenant, subjectKind: "task", subjectID: subject, kind: "rectify"), due: due, on: connection, logger: logger)
            }
            for timer in row.timers {
                let details = String(decoding: try JSONEncoder.sorted.encode(timer.details), as: UTF8.self)
                try await TimerStore.arm(
                    TimerKey(tenant: tenant, subjectKind: "task", subjectID: subject, kind: timer.kind), due: timer.at, details: details,
                    on: connection, logger: logger)
            }
            var details = row.dispatchedDetails(zone: routing.timeZone)
            details["issue"] = String(issueID)
            try await EventLog.append(
                tenant: tenant, subject: ("task", subject), kind: "task.dispatched", actor: actor, at: now, details: details, on: connection,
                logger: logger)
            if let problem = row.deadlineProblem {
                // The task is dispatched all the same; the office sees that its deadline could not be set.
                try await EventLog.append(
                    tenant: tenant, subject: ("task", subject), kind: "task.deadlineUnset", actor: "whistle", at: now,
                    details: ["issue": String(issueID), "reason": problem], on: connection, logger: logger)
            }
            for stopped in row.unscheduledLadders {
                try await stopped.record(task: taskID, issue: issueID, tenant: tenant, at: now, on: connection, logger: logger)
            }
            let (message, recipients) = row.notice(about, routing: routing, issue: "#\(issueID)", task: "#\(taskID)")
            try await OutboxStore.enqueue(
                recipients.deliveries, message: message, tenant: tenant, escalation: nil, eventKind: "task.dispatched", now: now, on: connection,
                logger: logger)
            if recipients.reachesNobody {
                try await EventLog.append(
                    tenant: tenant, subject: ("task", subject), kind: "task.unnotified", actor: "whistle", at: now,
                    details: ["issue": String(issueID), "reason": recipients.unreachable.joined(separator: "；")], on: connection, logger: logger)
            }
        }
    }

    /// Merges an issue into another (duplicate_of): its open tasks are withdrawn, its reporter will
    /// get the other's outcome, and both trails say so.
    public func merge(
        _ issueID: Int64, into targetID: Int64, expectedVersion: Int?, tenant: String, routing: TenantRouting.Tenant, now: Date, actor: String,
        unmasked: Bool = false
    ) async throws -> IssueRecord {
        guard issueID != targetID else {
            throw IssueError.invalid([IssueIntake.FieldProblem(field: "into", reason: "不能把问题合并到它自己")])
        }
        let logger = database.logger
        try await database.withTenant(tenant) { connection in
            // Both rows locked in id order, so two merges of the same pair cannot deadlock.
            let rows = try await connection.query(
                """
                SELECT issue_id, state, row_version FROM issues WHERE issue_id IN (\(issueID), \(targetID)) ORDER BY issue_id FOR UPDATE
                """, logger: logger)
            var states: [Int64: (String, Int)] = [:]
            for try await (id, state, version) in rows.decode((Int64, String, Int).self) { states[id] = (state, version) }
            guard let (state, version) = states[issueID] else { throw IssueError.notFound(issueID) }
            guard let (targetState, _) = states[targetID] else {
                throw IssueError.invalid([IssueIntake.FieldProblem(field: "into", reason: "没有编号为 \(targetID) 的问题")])
            }
            if let expectedVersion, expectedVersion != version {
                throw IssueError.versionConflict(expected: expectedVersion, current: version)
            }
            guard state == "triage" || state == "open" else {
                throw IssueError.issueNotAllowed(state: state, reason: "问题当前为 \(state),不能合并")
            }
            guard targetState != "merged" else {
                throw IssueError.invalid([IssueIntake.FieldProblem(field: "into", reason: "问题 \(targetID) 已并入其他问题,请合并到最终的问题")])
            }
            let live = try await connection.query(
                "SELECT task_id, department_code FROM tasks WHERE issue_id = \(issueID) AND state NOT IN ('withdrawn', 'closed')", logger: logger)
            var withdrawn: [(Int64, String)] = []
            for try await task in live.decode((Int64, String).self) { withdrawn.append(task) }
            for (taskID, department) in withdrawn {
                try await self.withdraw(
                    taskID, tenant: tenant, now: now, actor: actor,
                    details: ["issue": String(issueID), "department": department, "reason": "merged", "into": String(targetID)], on: connection)
            }
            try await connection.query(
                """
                UPDATE issues SET state = 'merged', duplicate_of = \(targetID), row_version = row_version + 1, triage_reason = NULL
                WHERE issue_id = \(issueID)
                """, logger: logger)
            try await EventLog.append(
                tenant: tenant, subject: ("issue", String(issueID)), kind: "issue.merged", actor: actor, at: now,
                details: ["into": String(targetID)], on: connection, logger: logger)
            try await EventLog.append(
                tenant: tenant, subject: ("issue", String(targetID)), kind: "issue.mergedFrom", actor: actor, at: now,
                details: ["from": String(issueID)], on: connection, logger: logger)
            try await self.notifyReporters(of: issueID, outcome: .merged(into: targetID), tenant: tenant, routing: routing, now: now, on: connection)
            // Merged into an issue already closed: its reporter hears that outcome at once.
            if targetState == "closed" {
                try await self.notifyReporters(of: issueID, outcome: .closed, tenant: tenant, routing: routing, now: now, on: connection)
            }
        }
        guard let record = try await issue(issueID, tenant: tenant, zone: routing.timeZone, unmasked: unmasked) else {
            throw IssueError.notFound(issueID)
        }
        return record
    }

    private func listID(for decision: RoutingDecision, tenant: String, on connection: PostgresConnection) async throws -> Int64? {
        guard let version = Self.version(of: decision) else { return nil }
        let rows = try await connection.query(
            "SELECT list_id FROM liability_lists WHERE version = \(version) ORDER BY list_id DESC LIMIT 1", logger: database.logger)
        for try await id in rows.decode(Int64.self) { return id }
        throw IssueError.listNotLoaded(tenant: tenant, version: version)
    }

    static func version(of decision: RoutingDecision) -> String? {
        switch decision {
        case .routed(let plan): return plan.listVersion
        case .triage(_, let version): return version
        }
    }

    static func rules(_ decision: RoutingDecision, routing: TenantRouting.Tenant, compound: String, reportedAt: Date) -> [String: String] {
        guard let explanation = try? RouteExplanation(decision, router: routing.router, compound: compound, reportedAt: reportedAt) else { return [:] }
        return Dictionary(explanation.tasks.map { ($0.department.code, $0.rule) }, uniquingKeysWith: { first, _ in first })
    }
}
