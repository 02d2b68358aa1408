import Foundation
import WhistleCore

extension DispatchRow {
    /// The whistle to the task's department (`DispatchNotice`): the message, and whom it reaches
    /// through which channels. A team's task with an officer on duty goes to the team's channels
    /// with that officer @-mentioned, as a hand-off does; any other to the department's handler
    /// and liaison. `issue` and `task` are the numbers, or the stand-ins the intake's statement
    /// replaces.
    func notice(
        compound: String, building: String?, household: String?, issueType: String?, description: String, routing: TenantRouting.Tenant,
        issue: String = DispatchNotice.issueNumber, task: String = DispatchNotice.taskNumber
    ) -> (message: NotificationMessage, recipients: EscalationRecipients) {
        let directory = routing.directory
        let entry = directory.compounds.first { $0.compound.code == compound }
        let buildingName = building.map { code in entry?.compound.buildings.first { $0.code == code }?.name ?? code }
        let department = directory.departments.first { $0.code == self.task.department }
        let member = assignee.flatMap { code in routing.rosters.teams.first { $0.team == self.task.department }?.members.first { $0.code == code } }
        let facts = DispatchNotice.Facts(
            department: routing.departmentNames[self.task.department] ?? self.task.department, compound: entry?.compound.name ?? compound,
            place: [buildingName, household].compactMap { $0 }.joined(separator: " "), issueType: routing.typeName(issueType),
            description: description, role: self.task.role, rule: rule, acknowledgeDue: acknowledgeDue, rectifyDue: deadlines?.rectifyDue,
            rectifyUnset: deadlineProblem != nil, onDuty: assignee.map { member?.name ?? $0 }, issue: issue, task: task, timeZone: routing.timeZone)
        var recipients: EscalationRecipients
        if let assignee, let department {
            recipients = EscalationRecipients()
            let person = member?.name ?? assignee
            recipients.people = [person]
            recipients.deliveries = directory.channels(of: department).map {
                EscalationRecipients.Delivery(
                    department: department.code, departmentName: department.name, channel: $0, mentions: member?.mobile.map { [$0] } ?? [],
                    people: [person])
            }
            if recipients.deliveries.isEmpty { recipients.unreachable = ["当班人员\(person)：\(department.name)未配置通知渠道"] }
        } else {
            recipients = EscalationRecipients.resolve(DispatchNotice.targets, department: self.task.department, in: directory)
        }
        return (DispatchNotice.message(facts), recipients)
    }
}
