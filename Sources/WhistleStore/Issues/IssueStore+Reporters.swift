import Foundation
import Logging
import PostgresNIO
import WhistleCore

extension IssueStore {
    /// What a reporter is told.
    enum ReporterOutcome: Sendable {
        /// The issue (or the one it was merged into) was closed (销号).
        case closed
        /// The issue was merged into another, which will be worked instead.
        case merged(into: Int64)
    }

    /// Tells the reporters of an issue the outcome through the channels of the intake channel
    /// they came through (`reporterChannels`): for `.closed`, also the reporters of every issue
    /// merged into it. Each issue told gets `issue.reporterNotified`; one whose channel has no
    /// way to reach its reporter gets `issue.reporterUnnotified`, never a silent skip.
    func notifyReporters(
        of issueID: Int64, outcome: ReporterOutcome, tenant: String, routing: TenantRouting.Tenant, now: Date, on connection: PostgresConnection
    ) async throws {
        let logger = database.logger
        let scope: PostgresQuery
        switch outcome {
        case .closed:
            scope = "SELECT issue_id, channel, compound_code, description, reporter::text, reported_at FROM issues WHERE issue_id = \(issueID) OR duplicate_of = \(issueID) ORDER BY issue_id"
        case .merged:
            scope = "SELECT issue_id, channel, compound_code, description, reporter::text, reported_at FROM issues WHERE issue_id = \(issueID)"
        }
        let rows = try await connection.query(scope, logger: logger)
        var reports: [(id: Int64, channel: String, compound: String, description: String, reporter: String, reportedAt: Date)] = []
        for try await row in rows.decode((Int64, String, String, String, String, Date).self) { reports.append(row) }
        let measures: [String]
        if case .closed = outcome {
            let done = try await connection.query(
                "SELECT measures FROM tasks WHERE issue_id = \(issueID) AND state = 'closed' AND measures IS NOT NULL ORDER BY task_id", logger: logger)
            var found: [String] = []
            for try await text in done.decode(String.self) { found.append(text) }
            measures = found
        } else {
            measures = []
        }
        let zone = routing.timeZone
        for report in reports {
            let reporter = (try? JSONDecoder().decode(IssueIntake.Reporter.self, from: Data(report.reporter.utf8))) ?? IssueIntake.Reporter()
            let channels = routing.directory.reporterChannels[report.channel] ?? []
            let compound = routing.directory.compounds.first { $0.compound.code == report.compound }?.compound.name ?? report.compound
            let channelName = Channel(rawValue: report.channel)?.chineseName ?? report.channel
            var lines = ["\(EscalationNotice.chineseMoment(report.reportedAt, in: zone)) 经\(channelName)反映的\(compound)问题（#\(report.id)）：\(report.description)"]
            let title: String
            switch outcome {
            case .closed:
                title = "问题办结告知"
                lines.append(report.id == issueID ? "已整改验收并销号。" : "已并入问题 #\(issueID) 一并办理，现已整改验收并销号。")
                if !measures.isEmpty { lines.append("整改措施：" + measures.joined(separator: "；")) }
            case .merged(let target):
                title = "问题合并告知"
                lines.append("与问题 #\(target) 为同一问题，已合并办理，办结后另行告知。")
            }
            if reporter.name != nil || reporter.phone != nil {
                lines.append("反映人：\([reporter.name, reporter.phone].compactMap { $0 }.joined(separator: " "))，请按渠道规定回复。")
            }
            let kindName: String
            switch outcome {
            case .closed: kindName = "closed"
            case .merged: kindName = "merged"
            }
            guard !channels.isEmpty else {
                try await EventLog.append(
                    tenant: tenant, subject: ("issue", String(report.id)), kind: "issue.reporterUnnotified", actor: "whistle", at: now,
                    details: ["outcome": kindName, "channel": report.channel, "reason": "“\(channelName)”渠道未配置告知方式（reporterChannels）"],
                    on: connection, logger: logger)
                continue
            }
            let deliveries = channels.map {
                EscalationRecipients.Delivery(
                    department: "reporter:\(report.channel)", departmentName: "\(channelName)反映人", channel: $0, mentions: [], people: [])
            }
            try await OutboxStore.enqueue(
                deliveries, message: NotificationMessage(title: title, lines: lines), tenant: tenant, escalation: nil,
                eventKind: "issue.reporterNotified", now: now, on: connection, logger: logger)
            try await EventLog.append(
                tenant: tenant, subject: ("issue", String(report.id)), kind: "issue.reporterNotified", actor: "whistle", at: now,
                details: ["outcome": kindName, "channel": report.channel, "about": String(issueID)], on: connection, logger: logger)
        }
    }
}
