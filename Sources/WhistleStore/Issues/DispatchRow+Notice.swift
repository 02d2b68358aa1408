import Foundation
import WhistleCore

extension DispatchRow {
    /// What the whistle says of the issue, looked up once for all its tasks.
    struct NoticeSubject: Sendable {
        var compound: String
        /// Building and household, as names where the directory has them.
        var place: String
        var issueType: String?
        var description: String

        init(compound code: String, building: String?, household: String?, issueType: String?, description: String, routing: TenantRouting.Tenant) {
            let entry = routing.directory.compounds.first { $0.compound.code == code }
            let buildingName = building.map { code in entry?.compound.buildings.first { $0.code == code }?.name ?? code }
            compound = entry?.compound.name ?? code
            place = [buildingName, household].compactMap { $0 }.joined(separator: " ")
            self.issueType = routing.typeName(issueType)
            self.description = description
        }
    }

    /// The whistle to the task's department (`DispatchNotice`): the message, and whom it reaches
    /// through which channels. A team's task with an officer on duty goes to the team's channels
    /// with that officer @-mentioned, as a hand-off does; any other to the department's handler
    /// and liaison. `issue` and `task` are the numbers, or the stand-ins the intake's statement
    /// replaces.
    func notice(
        _ subject: NoticeSubject, routing: TenantRouting.Tenant, issue: String = DispatchNotice.issueNumber, task: String = DispatchNotice.taskNumber
    ) -> (message: NotificationMessage, recipients: EscalationRecipients) {
        let directory = routing.directory
        let department = directory.departments.first { $0.code == self.task.department }
        let member = assignee.flatMap { code in routing.rosters.teams.first { $0.team == self.task.department }?.members.first { $0.code == code } }
        let facts = DispatchNotice.Facts(
            department: routing.departmentNames[self.task.department] ?? self.task.department, compound: subject.compound, place: subject.place,
            issueType: subject.issueType, description: subject.description, role: self.task.role, rule: rule, acknowledgeDue: acknowledgeDue,
            rectifyDue: deadlines?.rectifyDue, rectifyUnset: deadlineProblem != nil, onDuty: assignee.map { member?.name ?? $0 }, issue: issue,
            task: task, timeZone: routing.timeZone)
        let recipients =
            if let assignee, let department {
                EscalationRecipients.onDuty(member?.name ?? assignee, mobile: member?.mobile, team: department, in: directory)
            } else {
                EscalationRecipients.resolve(DispatchNotice.targets, department: self.task.department, in: directory)
            }
        return (DispatchNotice.message(facts), recipients)
    }
}
