import Foundation
import WhistleCore

extension LedgerStore {
    /// Which ledger: one of the layouts (000 附件2, 附件3), seed 003's campaign ledger for a 攻坚行动,
    /// or seed 002's compound ledger (附件3 住宅小区项目整治台账) under its title.
    public enum Ledger: Sendable, Hashable {
        case layout(LedgerLayout)
        case campaign(String)
        case compounds(title: String)
    }

    /// What a caller can get wrong when asking for a ledger; the HTTP layer and the command line
    /// turn it into their own errors.
    public enum ExportError: Error, Sendable, Equatable {
        case unknownLedger(String, known: [String])
        case unknownFormat(String)
        case unknownTerritory(String)
        case unknownCompound(String)
        case campaignRequired(known: [String])
        case emptyPeriod

        /// The field at fault, and why, in the words users read.
        public var field: (name: String, reason: String) {
            switch self {
            case .unknownLedger(let code, let known): ("layout", "没有台账“\(code)”；可用：\(known.joined(separator: "、"))")
            case .unknownFormat(let format): ("format", "格式“\(format)”不可用，可选：xlsx、csv")
            case .unknownTerritory(let code): ("territory", "没有代码为 '\(code)' 的镇街")
            case .unknownCompound(let code): ("compound", "没有代码为 '\(code)' 的小区")
            case .campaignRequired(let known): ("campaign", "须指定攻坚行动，可选：\(known.joined(separator: "、"))")
            case .emptyPeriod: ("to", "须晚于 from")
            }
        }
    }

    /// A ledger ready to export: what, in which format, over which scope, with its heading.
    public struct Export: Sendable {
        public var ledger: Ledger
        public var format: LedgerWriter.Format
        public var scope: Scope
        /// 所属区县、镇办: the tenant, or the tenant and the territory.
        public var district: String
        public var contact: String
        public var phone: String
        public var date: String
        /// Whether owners' names are shown (the reader's role may see personal data).
        public var unmasked: Bool
        /// A photo's link, by its SHA-256.
        public var photoURL: @Sendable (String) -> String

        /// The file name users get: `inspection-ledger.xlsx`.
        public var fileName: String {
            switch ledger {
            case .layout(let layout): "\(layout.code)-ledger.\(format.rawValue)"
            case .campaign: "campaign-ledger.\(format.rawValue)"
            case .compounds: "compounds-ledger.\(format.rawValue)"
            }
        }

        /// The sheet's Chinese name, for a download's `filename*`.
        public var title: String {
            switch ledger {
            case .layout(let layout): layout.sheetName
            case .campaign(let campaign): "\(campaign)攻坚行动整治工作台账"
            case .compounds(let title): title
            }
        }

        /// Checks a request for a ledger against the tenant's directory and lists.
        /// - Parameters:
        ///   - code: `inspection`, `visits`, `campaign` or `compounds`.
        ///   - campaign: for `campaign`, the 攻坚行动 (a tag of the list's types).
        public static func make(
            code: String, format: String, routing: TenantRouting.Tenant, from: Date, to: Date, territory: String?, compound: String?,
            campaign: String?, contact: String, phone: String, now: Date, unmasked: Bool, photoURL: @escaping @Sendable (String) -> String
        ) throws(ExportError) -> Export {
            let codes = LedgerStore.codes
            guard codes.contains(code) else { throw .unknownLedger(code, known: codes) }
            guard let format = LedgerWriter.Format(rawValue: format) else { throw .unknownFormat(format) }
            guard to > from else { throw .emptyPeriod }
            let directory = routing.directory
            if let compound, !directory.compounds.contains(where: { $0.compound.code == compound }) { throw .unknownCompound(compound) }
            let district: String
            if let territory {
                guard let town = directory.territories.first(where: { $0.code == territory }) else { throw .unknownTerritory(territory) }
                district = "\(directory.tenant.name) \(town.name)"
            } else {
                district = directory.tenant.name
            }
            let compounds = directory.compounds
                .filter { (territory == nil || $0.territory == territory) && (compound == nil || $0.compound.code == compound) }.map(\.compound.code)
            let ledger: Ledger
            if code == "campaign" {
                let campaigns = LedgerStore.campaigns(routing)
                guard let campaign, campaigns.contains(campaign) else { throw .campaignRequired(known: campaigns) }
                ledger = .campaign(campaign)
            } else if code == "compounds" {
                // 002 附件3 is named after the campaign (永宁县2023年物业提升“123”专项行动住宅小区项目整治台账).
                ledger = .compounds(title: (routing.campaigns.first?.name ?? "") + "住宅小区项目整治台账")
            } else {
                ledger = .layout(LedgerStore.layouts.first { $0.code == code }!)
            }
            return Export(
                ledger: ledger, format: format, scope: Scope(from: from, to: to, compounds: compounds), district: district, contact: contact, phone: phone,
                date: LedgerStore.chineseDay(now, in: routing.timeZone), unmasked: unmasked, photoURL: photoURL)
        }
    }

    /// The layouts exported by code (`inspection`, `visits`).
    public static let layouts = [LedgerLayout.inspection, .visits]

    /// Every ledger's code: the layouts, `campaign` (003 附件2) and `compounds` (002 附件3).
    public static let codes = layouts.map(\.code) + ["campaign", "compounds"]

    /// Writes the ledger through `write`, page by page (keyset pages of 500), so that a ledger of
    /// any length is never held whole.
    /// - Returns: the number of problems (rows) written.
    @discardableResult
    public func export(
        _ export: Export, tenant: String, routing: TenantRouting.Tenant, write: ([UInt8]) async throws -> Void
    ) async throws -> Int {
        let rows: Int
        switch export.ledger {
        case .campaign, .compounds:
            // Seed 003's 附件2 (one ledger per 攻坚行动) and 002's 附件3: one numbered project per compound.
            let form: ProjectLedgerWriter.Form
            switch export.ledger {
            case .campaign(let campaign): form = .campaign(campaign)
            case .compounds(let title): form = .compounds(title: title)
            case .layout: preconditionFailure("a layout is not a project ledger")
            }
            var ledger = ProjectLedgerWriter(format: export.format, form: form, locality: export.district, date: export.date)
            try await write(ledger.start())
            rows = try await Self.stream(
                write: write, page: { try await projectPage(form, tenant: tenant, routing: routing, scope: export.scope, after: $0) },
                add: { ledger.add($0) })
            try await write(ledger.finish())
        case .layout(let layout):
            var ledger = LedgerWriter(
                layout: layout, format: export.format, district: export.district, contact: export.contact, phone: export.phone, date: export.date)
            // 附件3's foot: households of the compounds and those registered on the platform (from the visits).
            var footer: String?
            if layout == .visits {
                let coverage = try await FieldWorkStore(database: database).coverage(tenant: tenant, routing: routing, from: nil, to: nil)
                    .filter { $0.level == "compound" && export.scope.compounds.contains($0.code) }
                let households = coverage.compactMap(\.households).reduce(0, +)
                footer = "智慧物业综合信息平台注册户数（小区共 \(households) 户，已注册 \(coverage.map(\.registered).reduce(0, +)) 户）"
            }
            try await write(ledger.start())
            rows = try await Self.stream(
                write: write,
                page: {
                    try await self.page(
                        layout, tenant: tenant, routing: routing, scope: export.scope, after: $0, unmasked: export.unmasked, photoURL: export.photoURL)
                }, add: { ledger.add($0) })
            try await write(ledger.finish(footer: footer))
        }
        return rows
    }

    /// Page after page until the last: each page's rows through `add`, written in one piece.
    /// - Returns: the number of rows.
    private static func stream<Row>(
        write: ([UInt8]) async throws -> Void, page: (Cursor?) async throws -> (rows: [Row], next: Cursor?), add: (Row) -> [UInt8]
    ) async throws -> Int {
        var rows = 0
        var cursor: Cursor?
        repeat {
            let next = try await page(cursor)
            var bytes: [UInt8] = []
            for row in next.rows { bytes += add(row) }
            if !bytes.isEmpty { try await write(bytes) }
            rows += next.rows.count
            cursor = next.next
        } while cursor != nil
        return rows
    }
}
