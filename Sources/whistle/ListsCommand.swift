import ArgumentParser
import Foundation
import WhistleCore
import WhistleStore

/// `whistle lists …`: check, import and compare liability-list versions.
struct ListsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lists", abstract: "Check, import and compare liability lists (责任清单).",
        subcommands: [Check.self, Import.self, Diff.self])

    /// The folder of a tenant: from --tenant and the configuration, or from the file's place.
    static func tenantFolder(tenant: String?, config: String?) -> URL? {
        guard let tenant else { return nil }
        var common = CommonOptions()
        common.config = config
        return common.configDirectory.appendingPathComponent("tenants").appendingPathComponent(tenant)
    }

    static func check(_ path: String, tenant: String?, config: String?) throws -> (list: LiabilityList, files: ConfigDirectory.TenantFiles) {
        let file = URL(fileURLWithPath: path)
        guard FileManager.default.fileExists(atPath: file.path) else { throw CommandFailure("\(path): no such file") }
        do throws(ConfigErrors) {
            return try ConfigDirectory.checkList(file, tenantFolder: tenantFolder(tenant: tenant, config: config))
        } catch {
            for problem in error.errors { printError(problem.description) }
            throw CommandFailure("\(path) has \(error.errors.count) problem(s); nothing would be loaded from it")
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Validate list versions against their tenant's directory and the other versions; problems are printed as file:line:column: reason.")

        @Argument(help: "List files (config/tenants/<tenant>/liability/<version>.yaml).")
        var files: [String]

        @Option(name: .long, help: "The tenant, when a file is not in its tenant's liability/ folder.")
        var tenant: String?

        @Option(name: .long, help: "The configuration folder (env WHISTLE_CONFIG_DIR; default: config).")
        var config: String?

        func run() async throws {
            try await reportingFailures {
                var failed = 0
                for path in files {
                    do {
                        let (list, files) = try ListsCommand.check(path, tenant: tenant, config: config)
                        let departments = Set(list.types.flatMap(\.assignments).map(\.target)).count
                        let classes = Dictionary(grouping: list.types, by: \.problemClass).map { "\($0.key.chineseName) \($0.value.count)" }.sorted()
                        print(
                            "ok  \(path): \(files.directory.tenant.name) version \(list.version), effective \(list.effective), \(list.types.count) issue types (\(classes.joined(separator: ", "))), \(departments) departments")
                    } catch let error as CommandFailure {
                        printError("error: \(error.description)")
                        failed += 1
                    }
                }
                if failed > 0 { throw ExitCode.failure }
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Convert a spreadsheet (CSV: UTF-8 with or without BOM, or GB18030/GBK) with the columns 问题事项, 牵头部门, 责任部门, 配合单位, 整改时限 … into a list version.",
            discussion: """
                Every department name must resolve through the tenant's directory (code, name or alias); each
                one that does not is reported with its row and column, and nothing is written. Without --out the
                version is written to config/tenants/<tenant>/liability/<version>.yaml; --out - prints it.
                """)

        @Argument(help: "The CSV file.")
        var file: String

        @Option(name: .long, help: "The tenant whose directory resolves the departments.")
        var tenant: String

        @Option(name: .long, help: "The version name (the file name of the list), e.g. 2024-01.")
        var version: String

        @Option(name: .long, help: "The first day the version is in force (YYYY-MM-DD).")
        var effective: String

        @Option(name: .long, help: "The title of the list.")
        var title: String

        @Option(name: .long, help: "The document the list comes from.")
        var source: String

        @Option(name: .long, help: "utf-8 or gb18030 (default: detected).")
        var encoding: String?

        @Option(name: .long, help: "The class of rows without a 问题大类 cell (default: other).")
        var `class`: String = "other"

        @Option(name: .long, help: "Codes of rows without a 编码 cell are <prefix>-<row>.")
        var codePrefix: String = "t"

        @Option(name: .long, help: "Where to write the YAML; - for standard output.")
        var out: String?

        @Flag(name: .long, help: "Replace an existing file.")
        var force = false

        @Option(name: .long, help: "The configuration folder (env WHISTLE_CONFIG_DIR; default: config).")
        var config: String?

        func run() async throws {
            try await reportingFailures {
                var common = CommonOptions()
                common.config = config
                let folder = common.configDirectory.appendingPathComponent("tenants").appendingPathComponent(tenant)
                guard let effective = CivilDate(effective) else { throw CommandFailure("--effective '\(effective)' is not a date (YYYY-MM-DD)") }
                guard let problemClass = ProblemClass(name: self.class) else {
                    throw CommandFailure("--class '\(self.class)' is not a problem class (\(ProblemClass.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                let requested: SpreadsheetText.Encoding?
                if let encoding {
                    guard let value = SpreadsheetText.Encoding(rawValue: encoding.lowercased()) ?? (["gbk", "gb2312"].contains(encoding.lowercased()) ? .gb18030 : nil) else {
                        throw CommandFailure("--encoding '\(encoding)' is not utf-8 or gb18030")
                    }
                    requested = value
                } else {
                    requested = nil
                }
                guard let data = FileManager.default.contents(atPath: file) else { throw CommandFailure("\(file): cannot be read") }
                let files: ConfigDirectory.TenantFiles
                do throws(ConfigErrors) {
                    files = try ConfigDirectory.tenantFiles(folder)
                } catch {
                    for problem in error.errors { printError(problem.description) }
                    throw CommandFailure("tenant '\(tenant)' cannot be read from \(folder.path)")
                }
                let decoded: (text: String, encoding: SpreadsheetText.Encoding)
                do throws(SpreadsheetText.DecodingError) {
                    decoded = try SpreadsheetText.decode(data, encoding: requested)
                } catch {
                    throw CommandFailure("\(file): \(error.description)")
                }
                let rows: [CSV.Row]
                do throws(CSV.Error) {
                    rows = try CSV.parse(decoded.text)
                } catch {
                    throw CommandFailure("\(file): \(error.description)")
                }
                let header = ListSpreadsheet.Header(
                    version: version, effective: effective, title: title, source: source, codePrefix: codePrefix, defaultClass: problemClass)
                let converted: ListSpreadsheet.Result
                do throws(ListSpreadsheet.Problems) {
                    converted = try ListSpreadsheet(directory: files.directory, deadlines: files.deadlines, file: file).convert(rows, header: header)
                    for warning in converted.warnings { printError("warning: \(warning.description)") }
                } catch {
                    for problem in error.problems { printError(problem.description) }
                    throw CommandFailure("\(file) has \(error.problems.count) problem(s); nothing was written")
                }
                // The YAML must read back as the same list: the file is what the daemon will load.
                do throws(ConfigErrors) {
                    _ = try LiabilityList.parse(converted.yaml, file: "\(version).yaml", version: version, directory: files.directory, deadlines: files.deadlines)
                } catch {
                    for problem in error.errors { printError("internal: \(problem.description)") }
                    throw CommandFailure("the generated YAML does not read back; nothing was written")
                }
                if out == "-" {
                    print(converted.yaml, terminator: "")
                    return
                }
                let target = out.map { URL(fileURLWithPath: $0) }
                    ?? folder.appendingPathComponent("liability").appendingPathComponent("\(version).yaml")
                if FileManager.default.fileExists(atPath: target.path) && !force {
                    throw CommandFailure("\(target.path) exists; choose another --version or pass --force")
                }
                try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                try converted.yaml.write(to: target, atomically: true, encoding: .utf8)
                print("wrote \(target.path): \(converted.list.types.count) issue types (\(rows.count) rows read, \(decoded.encoding.rawValue))")
                print("next: whistle lists check \(target.path)")
            }
        }
    }

    struct Diff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "diff", abstract: "Show what changed between two list versions, entry by entry.")

        @Argument(help: "The older version's file.")
        var old: String

        @Argument(help: "The newer version's file.")
        var new: String

        @Option(name: .long, help: "The tenant, when the files are not in its liability/ folder.")
        var tenant: String?

        @Option(name: .long, help: "The configuration folder (env WHISTLE_CONFIG_DIR; default: config).")
        var config: String?

        func run() async throws {
            try await reportingFailures {
                let (before, files) = try ListsCommand.check(old, tenant: tenant, config: config)
                let (after, _) = try ListsCommand.check(new, tenant: tenant, config: config)
                let resolver = DepartmentResolver(directory: files.directory)
                let diff = ListDiff(from: before, to: after) { resolver.name(of: $0) ?? $0 }
                print(diff.text)
            }
        }
    }
}
