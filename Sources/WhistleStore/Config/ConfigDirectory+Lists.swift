import Foundation
import WhistleCore

extension ConfigDirectory {
    /// Reads `deadlines.yaml`, `escalation.yaml`, `rosters.yaml`, `assessment.yaml`, `campaigns.yaml` and every `liability/*.yaml` of a tenant folder; a
    /// list with any problem is not loaded, and overlapping versions load none.
    static func readLists(into files: inout TenantFiles, folder: URL) -> [ConfigError] {
        let fm = FileManager.default
        var problems: [ConfigError] = []
        let escalationFile = folder.appendingPathComponent("escalation.yaml")
        if fm.fileExists(atPath: escalationFile.path) {
            do {
                files.escalation = try EscalationLadder.parse(try readText(escalationFile), file: escalationFile.path)
            } catch {
                problems += Self.problems(of: error, file: escalationFile.path)
            }
        }
        let rostersFile = folder.appendingPathComponent("rosters.yaml")
        if fm.fileExists(atPath: rostersFile.path) {
            do {
                let zone = TimeZone(identifier: files.directory.tenant.timeZone) ?? WorkCalendar.defaultTimeZone
                files.rosters = try TeamRosters.parse(try readText(rostersFile), file: rostersFile.path, directory: files.directory, timeZone: zone)
            } catch {
                problems += Self.problems(of: error, file: rostersFile.path)
            }
        }
        let campaignsFile = folder.appendingPathComponent("campaigns.yaml")
        if fm.fileExists(atPath: campaignsFile.path) {
            do {
                files.campaigns = try CampaignPlan.parse(try readText(campaignsFile), file: campaignsFile.path)
            } catch {
                problems += Self.problems(of: error, file: campaignsFile.path)
            }
        }
        let assessmentFile = folder.appendingPathComponent("assessment.yaml")
        if fm.fileExists(atPath: assessmentFile.path) {
            do {
                files.assessment = try AssessmentRules.parse(try readText(assessmentFile), file: assessmentFile.path)
            } catch {
                problems += Self.problems(of: error, file: assessmentFile.path)
            }
        }
        let deadlinesFile = folder.appendingPathComponent("deadlines.yaml")
        if fm.fileExists(atPath: deadlinesFile.path) {
            do {
                files.deadlines = try TenantDeadlines.parse(try readText(deadlinesFile), file: deadlinesFile.path)
            } catch {
                return problems + Self.problems(of: error, file: deadlinesFile.path)
            }
        }
        let listsFolder = folder.appendingPathComponent("liability")
        let names = ((try? fm.contentsOfDirectory(atPath: listsFolder.path)) ?? []).sorted()
        var lists: [LiabilityList] = []
        for name in names where !name.hasPrefix(".") {
            let file = listsFolder.appendingPathComponent(name)
            guard name.hasSuffix(".yaml") else {
                problems.append(ConfigError(file: file.path, reason: "a liability list is a .yaml file named after its version (convert spreadsheets with 'whistle lists import')"))
                continue
            }
            do {
                let text = try readText(file)
                let version = String(name.dropLast(5))
                lists.append(try LiabilityList.parse(text, file: file.path, version: version, directory: files.directory, deadlines: files.deadlines))
                files.listTexts[version] = ListFile(path: file.path, text: text)
            } catch {
                problems += Self.problems(of: error, file: file.path)
            }
        }
        do {
            files.lists = try LiabilityCatalog(lists)
        } catch {
            problems += error.errors
        }
        problems += territorialGaps(files)
        return problems
    }

    /// A list that names the territorial department must find one for every compound's territory.
    static func territorialGaps(_ files: TenantFiles) -> [ConfigError] {
        let usesPlaceholder = files.lists.versions.flatMap(\.types).flatMap(\.assignments).contains { $0.target == .territorial }
        guard usesPlaceholder else { return [] }
        let covered = Set(files.directory.departments.filter { $0.kind == .territorial }.compactMap(\.territory))
        return files.directory.territories.filter { !$0.communities.isEmpty && !covered.contains($0.code) }.map {
            ConfigError(
                file: files.directoryFile,
                reason: "territory '\($0.code)' (\($0.name)) has compounds but no territorial department, and the liability list routes to 属地")
        }
    }

    /// Checks one list file against its tenant's directory, deadline settings and the other versions
    /// in its folder, without reading the rest of the configuration.
    ///
    /// - Parameter tenantFolder: the tenant's folder; by default the file's grandparent
    ///   (`tenants/<tenant>/liability/<version>.yaml`).
    public static func checkList(_ file: URL, tenantFolder: URL? = nil) throws(ConfigErrors) -> (list: LiabilityList, files: TenantFiles) {
        let folder = tenantFolder ?? file.deletingLastPathComponent().deletingLastPathComponent()
        let directoryFile = folder.appendingPathComponent("directory.yaml")
        guard FileManager.default.fileExists(atPath: directoryFile.path) else {
            throw ConfigErrors([
                ConfigError(file: file.path, reason: "cannot find its tenant's directory.yaml in \(folder.path); name the tenant with --tenant")
            ])
        }
        var files = try readDirectory(folder)
        var problems = readLists(into: &files, folder: folder)
        let version = file.deletingPathExtension().lastPathComponent
        var list: LiabilityList?
        do {
            let text = try readText(file)
            list = try LiabilityList.parse(text, file: file.path, version: version, directory: files.directory, deadlines: files.deadlines)
        } catch {
            problems = problems.filter { $0.file != file.path }
            problems += Self.problems(of: error, file: file.path)
        }
        if let list, !files.lists.versions.contains(where: { $0.file == file.path || $0.version == list.version }) {
            // A file outside the tenant's folder is checked as if it were added to it.
            do {
                files.lists = try LiabilityCatalog(files.lists.versions + [list])
            } catch {
                problems += error.errors
            }
        }
        guard let list, problems.isEmpty else { throw ConfigErrors(problems) }
        return (list, files)
    }
}

extension ConfigDirectory {
    /// One tenant folder read on its own: its directory, deadline settings and lists.
    public static func tenantFiles(_ folder: URL) throws(ConfigErrors) -> TenantFiles {
        var files = try readDirectory(folder)
        let problems = readLists(into: &files, folder: folder)
        guard problems.isEmpty else { throw ConfigErrors(problems) }
        return files
    }

    private static func readDirectory(_ folder: URL) throws(ConfigErrors) -> TenantFiles {
        let directoryFile = folder.appendingPathComponent("directory.yaml")
        do {
            let text = try readText(directoryFile)
            return TenantFiles(directory: try Directory.parse(text, file: directoryFile.path), directoryFile: directoryFile.path, directoryText: text)
        } catch {
            throw ConfigErrors(problems(of: error, file: directoryFile.path))
        }
    }
}
