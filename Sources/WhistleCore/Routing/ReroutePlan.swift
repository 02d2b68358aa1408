/// What reclassifying an issue does to its tasks: departments that stay keep their task and its
/// history, departments no longer responsible have theirs withdrawn, new ones are dispatched.
public struct ReroutePlan: Sendable, Hashable {
    /// A department that keeps its task; its role may change with the new entry.
    public struct Kept: Sendable, Hashable {
        public var department: String
        public var previousRole: TaskRole
        public var task: RoutedTask
    }

    public var kept: [Kept]
    /// Departments whose open tasks are withdrawn.
    public var withdrawn: [String]
    /// Tasks to dispatch.
    public var dispatched: [RoutedTask]

    /// - Parameters:
    ///   - current: the departments holding an open task of the issue, with their roles.
    ///   - next: the plan of the new type (empty when the issue goes to triage).
    public init(current: [(department: String, role: TaskRole)], next: [RoutedTask]) {
        var kept: [Kept] = []
        var dispatched: [RoutedTask] = []
        for task in next {
            if let held = current.first(where: { $0.department == task.department }) {
                kept.append(Kept(department: task.department, previousRole: held.role, task: task))
            } else {
                dispatched.append(task)
            }
        }
        self.kept = kept
        self.dispatched = dispatched
        withdrawn = current.map(\.department).filter { department in !next.contains { $0.department == department } }
    }
}
