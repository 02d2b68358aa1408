import Foundation
import WhistleCore

/// The configuration folder read from disk: daemon settings and every tenant's files.
public struct ConfigDirectory: Sendable {
    /// One tenant's parsed files, with the text they came from (its checksum makes loading idempotent).
    public struct TenantFiles: Sendable {
        public var directory: Directory
        public var directoryFile: String
        public var directoryText: String
        /// The tenant's own days off and on (`calendar.yaml` in its folder), if it has any.
        public var localDays: WorkCalendar.LocalAdjustments?
        /// The tenant's deadline defaults and allowed ranges (`deadlines.yaml`), or the standard ones.
        public var deadlines: TenantDeadlines = .standard
        /// The tenant's escalation ladder (`escalation.yaml`), or seed 001's standard one.
        public var escalation: EscalationLadder = .standard
        /// Its specialist teams' members and rotations (`rosters.yaml`), if any.
        public var rosters: TeamRosters = .empty
        /// How it judges field work and property companies (`assessment.yaml`), or the defaults.
        public var assessment: AssessmentRules = .standard
        /// Its campaigns with their phases, targets and monthly report (`campaigns.yaml`), if any.
        public var campaigns: [CampaignPlan] = []
        /// Every version of its liability list (`liability/*.yaml`).
        public var lists: LiabilityCatalog = .empty
        /// The text of each list version by version name, so the database keeps what routed a task.
        public var listTexts: [String: ListFile] = [:]
    }

    /// A liability-list file as read.
    public struct ListFile: Sendable, Hashable {
        public var path: String
        public var text: String
    }

    public var root: URL
    public var settings: DaemonSettings
    public var tenants: [TenantFiles]
    /// The working-day calendars of `calendars/`, by file name without `.yaml` (`cn`).
    public var calendars: [String: WorkCalendar]

    /// The calendar a tenant counts working days in: its named calendar with its local days.
    public func calendar(for tenant: String) -> WorkCalendar? {
        guard let files = tenants.first(where: { $0.directory.tenant.code == tenant }),
            let base = calendars[files.directory.tenant.calendar]
        else { return nil }
        return files.localDays.map { base.merged(with: $0) } ?? base
    }

    /// The files of `tenant`.
    public func tenant(_ code: String) -> TenantFiles? {
        tenants.first { $0.directory.tenant.code == code }
    }

    /// A router for `tenant` over its directory, lists and deadline settings.
    public func router(for tenant: String) -> IssueRouter? {
        self.tenant(tenant).map { IssueRouter(directory: $0.directory, catalog: $0.lists, deadlines: $0.deadlines) }
    }

    /// Reads and validates everything under `root`, reporting every broken file, not only the first.
    public static func read(_ root: URL) throws(ConfigErrors) -> ConfigDirectory {
        let fm = FileManager.default
        var problems: [ConfigError] = []
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: root.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ConfigErrors([ConfigError(file: root.path, reason: "the configuration folder does not exist")])
        }
        var settings = DaemonSettings()
        let settingsFile = root.appendingPathComponent("whistle.yaml")
        if fm.fileExists(atPath: settingsFile.path) {
            do {
                settings = try DaemonSettings.parse(try readText(settingsFile), file: settingsFile.path)
            } catch {
                problems.append(error)
            }
        }
        var calendars: [String: WorkCalendar] = [:]
        let calendarsRoot = root.appendingPathComponent(settings.calendarsDirectory)
        let calendarFiles = ((try? fm.contentsOfDirectory(atPath: calendarsRoot.path)) ?? []).sorted()
        for name in calendarFiles where name.hasSuffix(".yaml") && !name.hasPrefix(".") {
            let file = calendarsRoot.appendingPathComponent(name)
            do {
                calendars[String(name.dropLast(5))] = try WorkCalendar.parse(try readText(file), file: file.path)
            } catch {
                problems += Self.problems(of: error, file: file.path)
            }
        }
        var tenants: [TenantFiles] = []
        let tenantsRoot = root.appendingPathComponent(settings.tenantsDirectory)
        let folders = ((try? fm.contentsOfDirectory(atPath: tenantsRoot.path)) ?? []).sorted()
        for folder in folders where !folder.hasPrefix(".") {
            let file = tenantsRoot.appendingPathComponent(folder).appendingPathComponent("directory.yaml")
            guard fm.fileExists(atPath: file.path) else {
                problems.append(ConfigError(file: tenantsRoot.appendingPathComponent(folder).path, reason: "a tenant folder needs a directory.yaml"))
                continue
            }
            do {
                let text = try readText(file)
                let directory = try Directory.parse(text, file: file.path)
                if directory.tenant.code != folder {
                    problems.append(ConfigError(file: file.path, reason: "tenant code '\(directory.tenant.code)' differs from its folder name '\(folder)'"))
                }
                if calendars[directory.tenant.calendar] == nil {
                    problems.append(
                        ConfigError(
                            file: file.path,
                            reason: "tenant '\(directory.tenant.code)' counts working days in calendar '\(directory.tenant.calendar)', which \(settings.calendarsDirectory)/ does not hold"))
                }
                var localDays: WorkCalendar.LocalAdjustments?
                let localFile = tenantsRoot.appendingPathComponent(folder).appendingPathComponent("calendar.yaml")
                if fm.fileExists(atPath: localFile.path) {
                    localDays = try WorkCalendar.LocalAdjustments.parse(try readText(localFile), file: localFile.path)
                }
                var files = TenantFiles(directory: directory, directoryFile: file.path, directoryText: text, localDays: localDays)
                let folderURL = tenantsRoot.appendingPathComponent(folder)
                problems += Self.readLists(into: &files, folder: folderURL)
                tenants.append(files)
            } catch {
                problems += Self.problems(of: error, file: file.path)
            }
        }
        guard problems.isEmpty else { throw ConfigErrors(problems) }
        return ConfigDirectory(root: root, settings: settings, tenants: tenants, calendars: calendars)
    }

    /// One line per calendar that runs out within `WorkCalendar.coverageWarningDays` of `now`:
    /// deadlines past its last year cannot be set until the next year's notice is added.
    public func calendarWarnings(now: Date) -> [String] {
        calendars.keys.sorted().compactMap { name -> String? in
            let calendar = calendars[name]!
            let today = CivilDate(now, in: calendar.timeZone)
            guard calendar.coverageRunsOut(on: today), let end = calendar.coverageEnd else { return nil }
            let left = today.days(to: end)
            let file = "\(settings.calendarsDirectory)/\(name).yaml"
            if left < 0 {
                return "calendar '\(name)' (\(calendar.name)) ended on \(end): no deadline after it can be set; add \(end.year + 1) from the State Council's notice to \(file) and restart the daemon, which then counts the deadlines it could not"
            }
            return "calendar '\(name)' (\(calendar.name)) covers working days only until \(end), \(left) day(s) from now; add \(end.year + 1) from the State Council's notice to \(file) before then (a deadline falling after it is left unset until the daemon restarts with that year)"
        }
    }

    /// A reading error as the problems it stands for.
    static func problems(of error: any Error, file: String) -> [ConfigError] {
        switch error {
        case let error as ConfigError: [error]
        case let errors as ConfigErrors: errors.errors
        default: [ConfigError(file: file, reason: "\(error)")]
        }
    }

    static func readText(_ file: URL) throws(ConfigError) -> String {
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw ConfigError(file: file.path, reason: "cannot be read")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: file.path, reason: "is not UTF-8 text")
        }
        return text
    }
}

extension ConfigDirectory {
    /// What would keep notifications from going out, for `config check` and the daemon's start:
    /// a `secretEnv` that is not set, departments no channel reaches.
    public func channelWarnings(environment: [String: String]) -> [String] {
        var warnings: [String] = []
        for files in tenants {
            let directory = files.directory
            let code = directory.tenant.code
            var unset: Set<String> = []
            for department in directory.departments {
                for channel in directory.channels(of: department) + department.people.flatMap(\.channels) {
                    if let name = channel.secretEnv, (environment[name] ?? "").isEmpty { unset.insert(name) }
                }
            }
            for name in unset.sorted() {
                warnings.append("\(code): the environment variable \(name) (a channel's secretEnv) is not set; that channel's messages will fail until it is")
            }
            let silent = directory.departments.filter { directory.channels(of: $0).isEmpty && $0.people.allSatisfy(\.channels.isEmpty) }
            if !silent.isEmpty {
                warnings.append(
                    "\(code): \(silent.count) department(s) have no notification channel (\(silent.prefix(5).map(\.code).joined(separator: ", "))\(silent.count > 5 ? ", …" : "")); their escalations will be recorded as unnotified")
            }
        }
        return warnings
    }
}

extension ConfigDirectory {
    /// Rosters with hours nobody covers in the coming `days`, up to the calendar's last covered
    /// day (or that the calendar cannot count at all), for `config check` and the daemon's start.
    public func rosterWarnings(now: Date, days: Int = 28) -> [String] {
        var warnings: [String] = []
        for files in tenants {
            let code = files.directory.tenant.code
            guard !files.rosters.teams.isEmpty, let calendar = calendar(for: code) else { continue }
            let zone = TimeZone(identifier: files.directory.tenant.timeZone) ?? WorkCalendar.defaultTimeZone
            // Only as far as the calendar counts: its running out is the calendar's own warning.
            let to = calendar.cut(now.addingTimeInterval(Double(days) * 86_400), from: now)
            for team in files.rosters.teams {
                do throws(WorkCalendarError) {
                    let gaps = try team.roster.gaps(from: now, to: to, calendar: calendar)
                    if let first = gaps.first {
                        warnings.append(
                            "\(code)/\(team.team): \(gaps.count) stretch(es) nobody is on duty for in the coming \(days) days, the first \(ISOMoment.format(first.start, in: zone)) – \(ISOMoment.format(first.end, in: zone))")
                    }
                } catch {
                    warnings.append("\(code)/\(team.team): the roster cannot be counted: \(error)")
                }
            }
        }
        return warnings
    }
}
