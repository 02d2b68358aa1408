import WhistleCore
import WhistleStore

extension IssueRecord {
    /// What reading this issue asks of the role matrix: the departments on it and whoever reported
    /// it or an issue merged into it.
    var readAccess: AccessPolicy.Operation {
        .readIssue(departments: Set(tasks.map(\.department)), reporters: Set([reportedBy].compactMap { $0 } + mergedReporters))
    }
}
