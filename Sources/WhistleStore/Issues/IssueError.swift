import WhistleCore

/// Why an issue request was refused; the HTTP layer maps each to a problem.
public enum IssueError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Fields that cannot be used; nothing was written.
    case invalid([IssueIntake.FieldProblem])
    /// The idempotency key was used before with another body.
    case idempotencyConflict(key: String, issue: Int64)
    case notFound(Int64)
    /// The row changed since the caller read it (compare-and-set on row_version).
    case versionConflict(expected: Int, current: Int)
    case taskNotFound(Int64)
    /// The lifecycle does not allow the action now.
    case refused(TaskLifecycle.Refusal)
    /// A return visit before the issue closed, or another step the issue's state does not allow.
    case issueNotAllowed(state: String, reason: String)
    /// The list version that routes the issue is not in the database (the daemon loads it at start).
    case listNotLoaded(tenant: String, version: String)

    public var description: String {
        switch self {
        case .invalid(let problems): return problems.map { "\($0.field): \($0.reason)" }.joined(separator: "; ")
        case .idempotencyConflict(let key, let issue): return "Idempotency-Key '\(key)' was used for issue \(issue) with another body"
        case .notFound(let id): return "no issue \(id)"
        case .versionConflict(let expected, let current): return "the issue is at version \(current), not \(expected)"
        case .listNotLoaded(let tenant, let version): return "liability list \(version) of \(tenant) is not loaded"
        case .taskNotFound(let id): return "no task \(id)"
        case .refused(let refusal): return refusal.description
        case .issueNotAllowed(_, let reason): return reason
        }
    }
}
