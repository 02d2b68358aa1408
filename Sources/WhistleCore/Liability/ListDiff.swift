/// What changed between two versions of a liability list, entry by entry (matched by code).
public struct ListDiff: Sendable, Hashable {
    public enum Change: Sendable, Hashable {
        case added(code: String, name: String)
        case removed(code: String, name: String)
        /// The fields that differ, each with its old and new value as people read them.
        case changed(code: String, name: String, fields: [Field])
    }

    public struct Field: Sendable, Hashable {
        public var name: String
        public var old: String
        public var new: String
    }

    public var from: String
    public var to: String
    public var changes: [Change]

    public var isEmpty: Bool { changes.isEmpty }

    public init(from old: LiabilityList, to new: LiabilityList, names: (String) -> String = { $0 }) {
        from = old.version
        to = new.version
        var changes: [Change] = []
        for type in new.types {
            guard let before = old.type(type.code) else {
                changes.append(.added(code: type.code, name: type.name))
                continue
            }
            var fields: [Field] = []
            func compare(_ name: String, _ a: String, _ b: String) {
                if a != b { fields.append(Field(name: name, old: a, new: b)) }
            }
            compare("name", before.name, type.name)
            compare("class", before.problemClass.chineseName, type.problemClass.chineseName)
            compare("tags", before.tags.joined(separator: "、"), type.tags.joined(separator: "、"))
            compare("aliases", before.aliases.joined(separator: "、"), type.aliases.joined(separator: "、"))
            compare("keywords", before.keywords.joined(separator: "、"), type.keywords.joined(separator: "、"))
            for column in [Assignment.Column.lead, .responsible, .supporting] {
                // Leads are compared in order (the first leads); the other columns as sets.
                func targets(_ type: IssueType) -> [String] {
                    let items = type.assignments.filter { $0.column == column }.sorted { $0.position < $1.position }.map { assignment in
                        switch assignment.target {
                        case .department(let code): return names(code)
                        case .territorial: return "属地"
                        }
                    }
                    return column == .lead ? items : items.sorted()
                }
                compare(column.rawValue, targets(before).joined(separator: "、"), targets(type).joined(separator: "、"))
            }
            compare("acknowledgeHours", before.limits.acknowledgeHours.map(String.init) ?? "—", type.limits.acknowledgeHours.map(String.init) ?? "—")
            compare("rectifyWorkingDays", before.limits.rectifyWorkingDays.map(String.init) ?? "—", type.limits.rectifyWorkingDays.map(String.init) ?? "—")
            if !fields.isEmpty { changes.append(.changed(code: type.code, name: type.name, fields: fields)) }
        }
        for type in old.types where new.type(type.code) == nil {
            changes.append(.removed(code: type.code, name: type.name))
        }
        self.changes = changes
    }

    /// One line per added or removed entry, and one per changed field.
    public var text: String {
        var lines = ["--- \(from)", "+++ \(to)"]
        for change in changes {
            switch change {
            case .added(let code, let name): lines.append("+ \(code) \(name)")
            case .removed(let code, let name): lines.append("- \(code) \(name)")
            case .changed(let code, let name, let fields):
                lines.append("~ \(code) \(name)")
                for field in fields { lines.append("    \(field.name): \(field.old) → \(field.new)") }
            }
        }
        if changes.isEmpty { lines.append("(no changes)") }
        return lines.joined(separator: "\n")
    }
}
