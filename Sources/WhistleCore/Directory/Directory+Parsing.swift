extension Directory {
    /// Parses and validates a `directory.yaml`.
    ///
    /// Structural problems stop at the first one (the rest of the document may not make sense);
    /// reference problems (duplicate codes, unknown territories, shared aliases …) are all collected.
    public static func parse(_ text: String, file: String) throws(ConfigErrors) -> Directory {
        var problems: [ConfigError] = []
        do throws(ConfigError) {
            let root = try ConfigNode.parse(text, file: file)
            try root.allowKeys(["tenant", "territories", "propertyCompanies", "departments", "defaultChannels", "reporterChannels"])
            let tenant = try parseTenant(root.required("tenant"))
            var territoryNodes: [(Territory, ConfigNode)] = []
            for node in try root.list("territories") {
                territoryNodes.append((try parseTerritory(node), node))
            }
            var companyNodes: [(PropertyCompany, ConfigNode)] = []
            for node in try root.list("propertyCompanies") {
                try node.allowKeys(["code", "name", "aliases", "sample"])
                let company = PropertyCompany(
                    code: try code(node), name: try node.string("name"),
                    aliases: try node.strings("aliases"), sample: try node.optionalBool("sample") ?? false)
                companyNodes.append((company, node))
            }
            var departmentNodes: [(Department, ConfigNode)] = []
            for node in try root.list("departments") {
                departmentNodes.append((try parseDepartment(node), node))
            }
            var directory = Directory(
                tenant: tenant, territories: territoryNodes.map(\.0),
                propertyCompanies: companyNodes.map(\.0), departments: departmentNodes.map(\.0),
                defaultChannels: try parseChannels(root.list("defaultChannels")))
            if let node = try root.optional("reporterChannels") {
                for key in try node.keys() {
                    guard Channel(rawValue: key) != nil else {
                        throw try node.required(key).error("'\(key)' is not an intake channel: \(Channel.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    directory.reporterChannels[key] = try parseChannels(node.list(key))
                }
            }
            problems = validate(directory, root: root, territories: territoryNodes, companies: companyNodes, departments: departmentNodes)
            if problems.isEmpty { return directory }
        } catch {
            problems = [error]
        }
        throw ConfigErrors(problems)
    }

    /// Codes appear in URLs and in other files, so they are kept to a safe alphabet.
    static func code(_ node: ConfigNode, key: String = "code") throws(ConfigError) -> String {
        let field = try node.required(key)
        let value = try field.string()
        guard isValidCode(value) else {
            throw field.error("'\(value)' is not a valid code: use lowercase letters, digits and '-', starting with a letter or digit")
        }
        return value
    }

    /// Whether `value` is a valid code: `^[a-z0-9][a-z0-9-]*$`, at most 64 characters.
    public static func isValidCode(_ value: String) -> Bool {
        guard let first = value.unicodeScalars.first, value.unicodeScalars.count <= 64 else { return false }
        func allowed(_ s: Unicode.Scalar) -> Bool { ("a"..."z").contains(s) || ("0"..."9").contains(s) }
        return allowed(first) && value.unicodeScalars.allSatisfy { allowed($0) || $0 == "-" }
    }

    private static func parseTenant(_ node: ConfigNode) throws(ConfigError) -> Tenant {
        try node.allowKeys(["code", "name", "kind", "parent", "timeZone", "calendar", "source"])
        return Tenant(
            code: try code(node), name: try node.string("name"), kind: try node.required("kind").oneOf(Tenant.Kind.self),
            parent: try node.optionalString("parent"), timeZone: try node.optionalString("timeZone") ?? "Asia/Shanghai",
            calendar: try node.optionalString("calendar") ?? "cn", source: try node.string("source"))
    }

    private static func parseTerritory(_ node: ConfigNode) throws(ConfigError) -> Territory {
        try node.allowKeys(["code", "name", "kind", "aliases", "sample", "communities"])
        var communities: [Community] = []
        for communityNode in try node.list("communities") {
            try communityNode.allowKeys(["code", "name", "sample", "compounds"])
            var compounds: [Compound] = []
            for compoundNode in try communityNode.list("compounds") {
                compounds.append(try parseCompound(compoundNode))
            }
            communities.append(
                Community(
                    code: try code(communityNode), name: try communityNode.string("name"),
                    sample: try communityNode.optionalBool("sample") ?? false, compounds: compounds))
        }
        return Territory(
            code: try code(node), name: try node.string("name"), kind: try node.required("kind").oneOf(Territory.Kind.self),
            aliases: try node.strings("aliases"), sample: try node.optionalBool("sample") ?? false, communities: communities)
    }

    private static func count(_ node: ConfigNode, _ key: String) throws(ConfigError) -> Int? {
        guard let field = try node.optional(key) else { return nil }
        let value = try field.int()
        guard value >= 0 else { throw field.error("must not be negative") }
        return value
    }

    /// A building's household numbers: a list (`[101, 102, …]`), or `{floors: n, perFloor: m}`
    /// for the usual numbering, floor then unit (101 … n0m).
    private static func units(_ node: ConfigNode) throws(ConfigError) -> [String] {
        guard let field = try node.optional("units") else { return [] }
        if field.isMapping {
            try field.allowKeys(["floors", "perFloor"])
            let floors = try field.int("floors")
            let perFloor = try field.int("perFloor")
            guard (1...200).contains(floors), (1...99).contains(perFloor) else { throw field.error("floors 1–200 and perFloor 1–99") }
            return (1...floors).flatMap { floor in (1...perFloor).map { String(format: "%d%02d", floor, $0) } }
        }
        let units = try field.strings()
        guard Set(units).count == units.count else { throw field.error("a unit is listed twice") }
        return units
    }

    private static func parseCompound(_ node: ConfigNode) throws(ConfigError) -> Compound {
        try node.allowKeys(["code", "name", "address", "propertyCompany", "households", "sample", "buildings"])
        var buildings: [Building] = []
        for buildingNode in try node.list("buildings") {
            try buildingNode.allowKeys(["code", "name", "households", "units"])
            let units = try self.units(buildingNode)
            let households = try count(buildingNode, "households")
            if let households, !units.isEmpty, households != units.count {
                throw try buildingNode.required("households").error("\(households) households, but \(units.count) units are listed")
            }
            buildings.append(Building(code: try code(buildingNode), name: try buildingNode.string("name"), households: households, units: units))
        }
        return Compound(
            code: try code(node), name: try node.string("name"), address: try node.optionalString("address"),
            propertyCompany: try node.optionalString("propertyCompany"), households: try count(node, "households"),
            sample: try node.optionalBool("sample") ?? false, buildings: buildings)
    }

    private static func parseDepartment(_ node: ConfigNode) throws(ConfigError) -> Department {
        try node.allowKeys(["code", "name", "kind", "aliases", "territory", "parent", "sample", "people", "channels"])
        var people: [Person] = []
        for personNode in try node.list("people") {
            try personNode.allowKeys(["role", "title", "name", "contacts", "channels"])
            var contacts: [Contact] = []
            for contactNode in try personNode.list("contacts") {
                try contactNode.allowKeys(["channel", "address"])
                contacts.append(
                    Contact(channel: try contactNode.required("channel").oneOf(Contact.Channel.self), address: try contactNode.string("address")))
            }
            people.append(
                Person(
                    role: try personNode.required("role").oneOf(Person.Role.self), title: try personNode.string("title"),
                    name: try personNode.optionalString("name"), contacts: contacts, channels: try parseChannels(personNode.list("channels"))))
        }
        return Department(
            code: try code(node), name: try node.string("name"), kind: try node.required("kind").oneOf(Department.Kind.self),
            aliases: try node.strings("aliases"), territory: try node.optionalString("territory"), parent: try node.optionalString("parent"),
            sample: try node.optionalBool("sample") ?? false, people: people, channels: try parseChannels(node.list("channels")))
    }

    /// `{kind: dingtalk, url: …, secret: … | secretEnv: …, format: text|markdown}`; `log` takes no url.
    private static func parseChannels(_ nodes: [ConfigNode]) throws(ConfigError) -> [NotifyChannel] {
        var channels: [NotifyChannel] = []
        for node in nodes {
            try node.allowKeys(["kind", "url", "secret", "secretEnv", "format"])
            let kind = try node.required("kind").oneOf(NotifyChannel.Kind.self)
            var url = ""
            if kind == .log {
                if let given = try node.optional("url") { throw given.error("the log channel takes no url") }
            } else {
                let urlNode = try node.required("url")
                url = try urlNode.string()
                guard url.hasPrefix("https://") || url.hasPrefix("http://") else {
                    throw urlNode.error("'\(url)' is not an http(s) address")
                }
            }
            let secret = try node.optionalString("secret")
            let secretEnv = try node.optionalString("secretEnv")
            if secret != nil, secretEnv != nil, let both = try node.optional("secretEnv") {
                throw both.error("give secret or secretEnv, not both")
            }
            if kind == .wecom || kind == .log, secret != nil || secretEnv != nil {
                throw node.error("a \(kind.rawValue) channel is not signed: it takes no secret")
            }
            channels.append(
                NotifyChannel(
                    kind: kind, url: url, secret: secret, secretEnv: secretEnv,
                    format: try node.optional("format")?.oneOf(NotifyChannel.Format.self) ?? .markdown))
        }
        return channels
    }

    private static func validate(
        _ directory: Directory, root: ConfigNode,
        territories: [(Territory, ConfigNode)], companies: [(PropertyCompany, ConfigNode)], departments: [(Department, ConfigNode)]
    ) -> [ConfigError] {
        var problems: [ConfigError] = []
        func unique<T>(_ entries: [(T, ConfigNode)], _ what: String, _ key: (T) -> String) {
            var seen: [String: ConfigNode] = [:]
            for (entry, node) in entries {
                let code = key(entry)
                if let first = seen[code] {
                    problems.append(node.error("duplicate \(what) code '\(code)' (first at line \(first.line))"))
                } else {
                    seen[code] = node
                }
            }
        }
        unique(territories, "territory", \.code)
        unique(companies, "property company", \.code)
        unique(departments, "department", \.code)

        // Communities and compounds are addressed by code across the tenant, so codes are unique tenant-wide.
        var communityCodes: [String: String] = [:]
        var compoundCodes: [String: String] = [:]
        let territoryCodes = Set(territories.map(\.0.code))
        let companyCodes = Set(companies.map(\.0.code))
        for (territory, node) in territories {
            for community in territory.communities {
                if let other = communityCodes[community.code] {
                    problems.append(node.error("community code '\(community.code)' is used twice (also under territory '\(other)')"))
                }
                communityCodes[community.code] = territory.code
                for compound in community.compounds {
                    if let other = compoundCodes[compound.code] {
                        problems.append(node.error("compound code '\(compound.code)' is used twice (also in community '\(other)')"))
                    }
                    compoundCodes[compound.code] = community.code
                    if let company = compound.propertyCompany, !companyCodes.contains(company) {
                        problems.append(node.error("compound '\(compound.code)' names property company '\(company)', which propertyCompanies does not define"))
                    }
                    var buildingCodes = Set<String>()
                    for building in compound.buildings where !buildingCodes.insert(building.code).inserted {
                        problems.append(node.error("compound '\(compound.code)' has building code '\(building.code)' twice"))
                    }
                }
            }
        }

        let departmentCodes = Set(departments.map(\.0.code))
        // Lists name departments by short names; an alias that means two departments would route silently wrong.
        var names: [String: String] = [:]
        for (department, node) in departments {
            switch (department.kind, department.territory) {
            case (.territorial, nil):
                problems.append(node.error("department '\(department.code)' is territorial and needs 'territory'"))
            case (.territorial, let territory?) where !territoryCodes.contains(territory):
                problems.append(node.error("department '\(department.code)' names territory '\(territory)', which territories does not define"))
            case (let kind, _?) where kind != .territorial:
                problems.append(node.error("department '\(department.code)' is \(kind.rawValue); only territorial departments have a territory"))
            default:
                break
            }
            if let parent = department.parent {
                if parent == department.code {
                    problems.append(node.error("department '\(department.code)' cannot be its own parent"))
                } else if !departmentCodes.contains(parent) {
                    problems.append(node.error("department '\(department.code)' names parent '\(parent)', which departments does not define"))
                }
            }
            for name in Set([department.name] + department.aliases) {
                if let other = names[name], other != department.code {
                    problems.append(node.error("the name '\(name)' means both department '\(other)' and department '\(department.code)'"))
                } else {
                    names[name] = department.code
                }
            }
        }
        return problems
    }
}
