import Foundation
import WhistleCore

/// An issue with its tasks, as the API returns it. Personal data is masked.
public struct IssueRecord: Codable, Sendable, Hashable {
    public struct Triage: Codable, Sendable, Hashable {
        public var reason: String
        public var message: String
    }

    public var id: Int64
    public var tenant: String
    public var state: String
    public var channel: String
    public var compound: String
    public var building: String?
    public var household: String?
    public var type: String?
    public var typeName: String?
    public var listVersion: String?
    public var listID: Int64?
    public var description: String
    public var reportedAt: String
    public var receivedAt: String
    public var reporter: IssueIntake.Reporter
    /// The credential that reported it.
    public var reportedBy: Int64?
    /// Open issues of the same compound and type within the window, or of the same household and type.
    public var possibleDuplicates: [Int64] = []
    /// The issue this one was merged into.
    public var duplicateOf: Int64?
    /// Issues merged into this one, and the credentials that reported them (they get its outcome).
    public var mergedFrom: [Int64] = []
    public var mergedReporters: [Int64] = []
    public var channelDetails: [String: String]
    public var triage: Triage?
    public var tasks: [TaskRecord]
    /// Before-photos of the issue and after-photos of its tasks.
    public var photos: [IssueStore.PhotoRecord] = []
    public var rowVersion: Int
}

/// One department's task of an issue.
public struct TaskRecord: Codable, Sendable, Hashable {
    public var id: Int64
    public var department: String
    public var departmentName: String
    public var role: String
    public var roleName: String
    public var state: String
    /// Why the department is on the issue: list version, entry and reference.
    public var rule: String
    public var listID: Int64
    public var dispatchedAt: String
    public var acknowledgeDue: String?
    public var rectifyDue: String?
    public var rectifyWorkingDays: Int?
    public var limitsSource: String
    /// The deadline before any extension.
    public var originalRectifyDue: String?
    public var extensions: Int
    public var pendingExtension: String?
    public var measures: String?
    public var disputeReason: String?
    public var rejectionReason: String?
    /// For a specialist team: the member on duty it went to (rosters.yaml), as handed on since.
    public var assignee: String?
    /// What can be done to the task now (the lifecycle's rules, before roles).
    public var allowedActions: [String]
    public var rowVersion: Int
}

/// One entry of an issue's trail.
public struct EventRecord: Codable, Sendable, Hashable {
    public var id: Int64
    public var subjectKind: String
    public var subjectID: String
    public var kind: String
    public var actor: String
    public var occurredAt: String
    public var details: String
}
