/// Finds the department a list or a spreadsheet means by a name as people write it.
///
/// A name matches a department's code, name or alias, compared by `ChineseText.matchingKey`
/// (script, width, spaces). When that finds nothing, the jurisdiction's prefix is tried off and on
/// (`发改局` finds `县发改局`, `县民政局` finds `民政局`), because documents drop it after the first
/// department of a sentence. Territorial placeholders (各乡镇(街道), 属地 …) are recognised first.
public struct DepartmentResolver: Sendable {
    /// What a name resolved to.
    public enum Resolution: Sendable, Hashable {
        case department(String)
        case territorial
        case unknown
        /// Several departments answer to the name; their codes.
        case ambiguous([String])
    }

    /// The placeholders every list understands.
    public static let standardPlaceholders = ["各乡镇(街道)", "各镇(街道)", "各镇(街)", "各镇街", "各镇办", "各乡镇", "各街道", "属地", "各镇(园区)"]

    private var index: [String: [String]] = [:]
    private var placeholders: Set<String>
    private var prefixes: [String]
    private var names: [String: String] = [:]

    /// - Parameters:
    ///   - directory: the tenant's departments.
    ///   - placeholders: extra territorial placeholders a list declares.
    public init(directory: Directory, placeholders: [String] = []) {
        self.placeholders = Set((Self.standardPlaceholders + placeholders).map(ChineseText.matchingKey))
        switch directory.tenant.kind {
        case .county: prefixes = ["县"]
        case .district: prefixes = ["区"]
        case .city: prefixes = ["市"]
        }
        for department in directory.departments {
            names[department.code] = department.name
            for key in Set(([department.code, department.name] + department.aliases).map(ChineseText.matchingKey)) {
                index[key, default: []].append(department.code)
            }
        }
    }

    /// The department's name, for messages.
    public func name(of code: String) -> String? { names[code] }

    /// What `written` stands for.
    public func resolve(_ written: String) -> Resolution {
        let key = ChineseText.matchingKey(written)
        if placeholders.contains(key) { return .territorial }
        if let found = lookup(key) { return found }
        for prefix in prefixes {
            if key.hasPrefix(prefix), let found = lookup(String(key.dropFirst(prefix.count))) { return found }
            if let found = lookup(prefix + key) { return found }
        }
        return .unknown
    }

    private func lookup(_ key: String) -> Resolution? {
        guard let codes = index[key], !codes.isEmpty else { return nil }
        return codes.count == 1 ? .department(codes[0]) : .ambiguous(codes.sorted())
    }
}
