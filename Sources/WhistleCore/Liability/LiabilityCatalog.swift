/// Every version of one tenant's liability list, in the order they came into force.
public struct LiabilityCatalog: Sendable, Hashable {
    public private(set) var versions: [LiabilityList]

    /// No versions: every issue of the tenant goes to triage.
    public static let empty = LiabilityCatalog(checked: [])

    private init(checked: [LiabilityList]) { versions = checked }

    /// Orders `versions` by effective date and rejects two that would be in force on the same day.
    public init(_ versions: [LiabilityList]) throws(ConfigErrors) {
        let sorted = versions.sorted { ($0.effective, $0.version) < ($1.effective, $1.version) }
        var problems: [ConfigError] = []
        var names: [String: LiabilityList] = [:]
        for list in sorted {
            if let other = names[list.version] {
                problems.append(ConfigError(file: list.file, reason: "version '\(list.version)' is also defined in \(other.file)"))
            }
            names[list.version] = list
        }
        for (earlier, later) in zip(sorted, sorted.dropFirst()) {
            if earlier.effective == later.effective {
                problems.append(
                    ConfigError(
                        file: later.file, line: later.effectiveLine, column: later.effectiveLine > 0 ? 1 : 0,
                        reason: "overlapping effective dates: versions '\(earlier.version)' and '\(later.version)' both take effect on \(later.effective)"))
            } else if let until = earlier.until, until >= later.effective {
                problems.append(
                    ConfigError(
                        file: earlier.file, line: earlier.effectiveLine, column: earlier.effectiveLine > 0 ? 1 : 0,
                        reason: "overlapping effective dates: version '\(earlier.version)' runs until \(until), but '\(later.version)' takes effect on \(later.effective)"))
            }
        }
        guard problems.isEmpty else { throw ConfigErrors(problems) }
        self.versions = sorted
    }

    /// The version in force on `date`: the latest to take effect on or before it, unless it has run out.
    public func version(on date: CivilDate) -> LiabilityList? {
        guard let list = versions.last(where: { $0.effective <= date }) else { return nil }
        if let until = list.until, until < date { return nil }
        return list
    }

    public func version(named name: String) -> LiabilityList? {
        versions.first { $0.version == name }
    }
}
