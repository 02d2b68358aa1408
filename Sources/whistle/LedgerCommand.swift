import ArgumentParser
import Foundation
import WhistleCore
import WhistleStore

/// `whistle ledger export`: a ledger in a seed's layout to a file, as the API serves it.
struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger", abstract: "Export the ledgers (台账) in the seeds' layouts.", subcommands: [Export.self])

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export", abstract: "Write a ledger to a file (.xlsx or .csv), page by page, whatever its length.",
            discussion: """
                Layouts: inspection (000 附件2 排查整治台账), visits (000 附件3 走访台账, with the platform line at its foot),
                campaign (003 附件2 攻坚行动整治工作台账; name the 攻坚行动 with --campaign), compounds (002 附件3
                住宅小区项目整治台账: one project per compound, every problem with its category). Owners' names are masked
                unless --unmasked is given. Works on the daemon's database (the running daemon's embedded server).
                """)

        @OptionGroup var common: CommonOptions

        @Option(name: .long, help: "The tenant.")
        var tenant: String

        @Option(name: .long, help: "inspection, visits, campaign or compounds.")
        var layout: String

        @Option(name: .long, help: "Reports from this date (YYYY-MM-DD, from its start) or moment (ISO 8601); by default all.")
        var from: String?

        @Option(name: .long, help: "Reports up to this date (to its end) or moment; by default now.")
        var to: String?

        @Option(name: .long, help: "Only this territory's compounds.")
        var territory: String?

        @Option(name: .long, help: "Only this compound.")
        var compound: String?

        @Option(name: .long, help: "For --layout campaign: the 攻坚行动 (a tag of the list's types, e.g. 车辆停放).")
        var campaign: String?

        @Option(name: .long, help: "The heading line's 联系人.")
        var contact: String = ""

        @Option(name: .long, help: "The heading line's 联系电话.")
        var phone: String = ""

        @Option(name: .long, help: "xlsx or csv; by default from the --out file's extension.")
        var format: String?

        @Option(name: .long, help: "Where photos' links point (the daemon's address).")
        var baseURL: String = "http://127.0.0.1:8080"

        @Flag(name: .long, help: "Show owners' names (for the office; masked otherwise).")
        var unmasked = false

        @Option(name: .long, help: "The file to write.")
        var out: String

        func run() async throws {
            try await reportingFailures {
                let config = try common.readConfiguration()
                let routing = TenantRouting(config)
                guard let entry = routing.tenants[tenant] else {
                    throw CommandFailure("--tenant '\(tenant)' is not a tenant of \(common.configDirectory.path): \(routing.tenants.keys.sorted().joined(separator: ", "))")
                }
                let zone = entry.timeZone
                func moment(_ text: String?, _ option: String, end: Bool) throws -> Date? {
                    guard let text else { return nil }
                    guard let moment = ISOMoment.parse(text, in: zone, dayEnds: end) else {
                        throw CommandFailure("--\(option) '\(text)' is neither a date (YYYY-MM-DD) nor an ISO 8601 moment")
                    }
                    return moment
                }
                let now = Date()
                let from = try moment(from, "from", end: false) ?? Date(timeIntervalSince1970: 0)
                let to = try moment(to, "to", end: true) ?? now
                let format = format ?? URL(fileURLWithPath: out).pathExtension.lowercased()
                let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
                let tenant = tenant
                let export: LedgerStore.Export
                do {
                    export = try LedgerStore.Export.make(
                        code: layout, format: format, routing: entry, from: from, to: to, territory: territory, compound: compound, campaign: campaign,
                        contact: contact, phone: phone, now: now, unmasked: unmasked, photoURL: { "\(base)/v1/tenants/\(tenant)/photos/\($0)" })
                } catch let error as LedgerStore.ExportError {
                    throw CommandFailure("--\(error.field.name): \(error.field.reason)")
                }
                // Written to a temporary file beside the target and moved into place: a failed
                // export never leaves half a ledger under the name asked for.
                let target = URL(fileURLWithPath: out)
                let partial = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).partial")
                guard FileManager.default.createFile(atPath: partial.path, contents: nil) else {
                    throw CommandFailure("cannot write \(partial.path)")
                }
                let handle = try FileHandle(forWritingTo: partial)
                let started = Date()
                let rows: Int
                do {
                    rows = try await common.withDatabase { database, _ in
                        try await LedgerStore(database: database).export(export, tenant: tenant, routing: entry) { bytes in
                            try handle.write(contentsOf: bytes)
                        }
                    }
                    try handle.close()
                    _ = try? FileManager.default.removeItem(at: target)
                    try FileManager.default.moveItem(at: partial, to: target)
                } catch {
                    try? handle.close()
                    try? FileManager.default.removeItem(at: partial)
                    throw error
                }
                let size = (try? FileManager.default.attributesOfItem(atPath: target.path)[.size] as? Int) ?? 0
                FileHandle.standardError.write(
                    Data("\(export.title): \(rows) rows, \(size) bytes in \(String(format: "%.1f", Date().timeIntervalSince(started))) s → \(target.path)\n".utf8))
            }
        }
    }
}
