extension LiabilityList {
    /// Parses and validates one version of a liability list.
    ///
    /// Structural problems (unknown keys, a missing name) stop at the first one; the problems of
    /// content are all collected: an unknown or ambiguous department, a duplicate code, a type
    /// without a lead, an unknown class, a limit outside the tenant's range. Nothing is returned
    /// unless the whole file is right.
    ///
    /// - Parameters:
    ///   - version: the version the file name gives (`2023-05` for `2023-05.yaml`); the file may
    ///     repeat it but not contradict it.
    ///   - directory: the tenant's directory, which every department reference must resolve in.
    ///   - deadlines: the tenant's deadline settings, whose ranges every limit must lie in.
    public static func parse(
        _ text: String, file: String, version: String, directory: Directory, deadlines: TenantDeadlines = .standard
    ) throws(ConfigErrors) -> LiabilityList {
        var problems: [ConfigError] = []
        do throws(ConfigError) {
            let root = try ConfigNode.parse(text, file: file)
            try root.allowKeys(["version", "effective", "until", "title", "source", "territorialPlaceholders", "types"])
            if let node = try root.optional("version"), try node.string() != version {
                problems.append(node.error("version '\(try node.string())' differs from the file name's '\(version)'"))
            }
            guard Directory.isValidCode(version) || version.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }) else {
                throw ConfigError(file: file, reason: "'\(version)' is not a valid version name: use letters, digits, '-' and '.'")
            }
            let effective = try date(root.required("effective"))
            var until: CivilDate?
            if let node = try root.optional("until") { until = try date(node) }
            if let until, until < effective {
                problems.append(try root.required("until").error("the last day \(until) is before the effective date \(effective)"))
            }
            let resolver = DepartmentResolver(directory: directory, placeholders: try root.strings("territorialPlaceholders"))
            let typeNodes = try root.list("types")
            if typeNodes.isEmpty {
                problems.append(root.error("a list needs at least one issue type under 'types'"))
            }
            var types: [IssueType] = []
            var seen: [String: Int] = [:]
            for node in typeNodes {
                let (type, typeProblems) = try parseType(node, resolver: resolver, deadlines: deadlines)
                problems += typeProblems
                if let first = seen[type.code] {
                    problems.append(try node.required("code").error("duplicate code '\(type.code)' (first used on line \(first))"))
                } else {
                    seen[type.code] = node.line
                }
                types.append(type)
            }
            if problems.isEmpty {
                var list = LiabilityList(
                    version: version, effective: effective, until: until, title: try root.string("title"),
                    source: try root.string("source"), types: types, file: file)
                list.effectiveLine = try root.required("effective").line
                return list
            }
        } catch {
            problems.append(error)
        }
        throw ConfigErrors(problems)
    }

    private static func date(_ node: ConfigNode) throws(ConfigError) -> CivilDate {
        let text = try node.string()
        guard let date = CivilDate(text) else { throw node.error("'\(text)' is not a date (YYYY-MM-DD)") }
        return date
    }

    private static func parseType(
        _ node: ConfigNode, resolver: DepartmentResolver, deadlines: TenantDeadlines
    ) throws(ConfigError) -> (IssueType, [ConfigError]) {
        try node.allowKeys(["code", "name", "class", "tags", "aliases", "keywords", "lead", "responsible", "supporting", "deadline", "note"])
        var problems: [ConfigError] = []
        let code = try Directory.code(node)
        let classNode = try node.required("class")
        let className = try classNode.string()
        let problemClass = ProblemClass(name: className)
        if problemClass == nil {
            problems.append(
                classNode.error("'\(className)' is not a problem class: use one of \(ProblemClass.allCases.map { "\($0.rawValue) (\($0.chineseName))" }.joined(separator: ", "))"))
        }
        var assignments: [Assignment] = []
        var leadsWritten = 0
        for column in [Assignment.Column.lead, .responsible, .supporting] {
            guard let columnNode = try node.optional(column.rawValue) else { continue }
            let items: [ConfigNode]
            if case .scalar = columnNode.node { items = [columnNode] } else { items = try columnNode.items() }
            if column == .lead { leadsWritten = items.count }
            for (index, item) in items.enumerated() {
                let written = try item.string()
                switch resolver.resolve(written) {
                case .department(let department):
                    assignments.append(Assignment(column: column, position: index + 1, target: .department(department), written: written))
                case .territorial:
                    assignments.append(Assignment(column: column, position: index + 1, target: .territorial, written: written))
                case .unknown:
                    problems.append(item.error("unknown department '\(written)': no department of the directory has this code, name or alias"))
                case .ambiguous(let codes):
                    problems.append(item.error("'\(written)' could mean several departments (\(codes.joined(separator: ", "))): write the full name or the code"))
                }
            }
        }
        if leadsWritten == 0 {
            problems.append(node.error("issue type '\(code)' has no lead department (牵头部门)"))
        }
        var limits = DeadlineLimits()
        if let deadline = try node.optional("deadline") {
            do {
                limits = try TenantDeadlines.limits(deadline, within: deadlines)
            } catch {
                problems.append(error)
            }
        }
        let type = IssueType(
            code: code, name: try node.string("name"), problemClass: problemClass ?? .other, tags: try node.strings("tags"),
            aliases: try node.strings("aliases"), keywords: try node.strings("keywords"), assignments: assignments,
            limits: limits, note: try node.optionalString("note"), line: node.line)
        return (type, problems)
    }
}
