import Foundation
import Hummingbird
import WhistleCore
import WhistleStore

/// The ledgers (台账) in the seeds' layouts, streamed as `.xlsx` or CSV: so far seed 000's 附件2
/// (`ledgers/inspection.xlsx|csv`) and 附件3 with its platform line (`ledgers/visits.xlsx|csv`).
struct LedgerRoutes: Sendable {
    let routing: TenantRouting
    let store: LedgerStore
    let fieldWork: FieldWorkStore
    let clock: @Sendable () -> Date

    static let layouts = [LedgerLayout.inspection, .visits]

    func add(to tenants: RouterGroup<WhistleRequestContext>) {
        tenants.get("ledgers/:file") { request, context -> Response in
            let principal = try context.require(.exportLedger)
            let (tenant, routing) = try self.routing.tenant(context)
            let file = context.parameters.get("file") ?? ""
            let parts = file.split(separator: ".", maxSplits: 1).map(String.init)
            let codes = Self.layouts.map(\.code) + ["campaign"]
            guard parts.count == 2, codes.contains(parts[0]), let format = LedgerWriter.Format(rawValue: parts[1]) else {
                let known = codes.flatMap { ["\($0).xlsx", "\($0).csv"] }.joined(separator: ", ")
                throw Problem.notFound("没有台账“\(file)”;可用:\(known)")
            }
            let query = request.uri.queryParameters
            let zone = routing.timeZone
            let now = clock()
            let from = try RequestBody.moment(query["from"].map(String.init), field: "from", zone: zone) ?? Date(timeIntervalSince1970: 0)
            let to = try RequestBody.moment(query["to"].map(String.init), field: "to", zone: zone) ?? now
            guard to > from else { throw Problem.invalidParameter("to", "须晚于 from") }
            let territory = query["territory"].map(String.init)
            let compound = query["compound"].map(String.init)
            if let compound, !routing.directory.compounds.contains(where: { $0.compound.code == compound }) {
                throw Problem.invalidParameter("compound", "没有代码为 '\(compound)' 的小区")
            }
            let compounds = routing.directory.compounds
                .filter { (territory == nil || $0.territory == territory) && (compound == nil || $0.compound.code == compound) }.map(\.compound.code)
            let district: String
            if let territory {
                guard let town = routing.directory.territories.first(where: { $0.code == territory }) else {
                    throw Problem.invalidParameter("territory", "没有代码为 '\(territory)' 的镇街")
                }
                district = "\(routing.directory.tenant.name) \(town.name)"
            } else {
                district = routing.directory.tenant.name
            }
            let date = LedgerStore.chineseDay(now, in: zone)
            let filename = "attachment; filename=\"\(parts[0])-ledger.\(format.rawValue)\""
            let type = format == .xlsx ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" : "text/csv; charset=utf-8"
            let store = self.store
            if parts[0] == "campaign" {
                // Seed 003's 附件2: one ledger per 攻坚行动, one numbered project per compound.
                let campaigns = LedgerStore.campaigns(routing)
                guard let campaign = query["campaign"].map(String.init), campaigns.contains(campaign) else {
                    throw Problem.invalidParameter("campaign", "须指定攻坚行动，可选：\(campaigns.joined(separator: "、"))")
                }
                let writer = ProjectLedgerWriter(format: format, campaign: campaign, locality: district, date: date)
                let scope = LedgerStore.Scope(from: from, to: to, compounds: compounds)
                let body = ResponseBody { output in
                    var ledger = writer
                    try await output.write(ByteBuffer(bytes: ledger.start()))
                    var cursor: LedgerStore.Cursor?
                    repeat {
                        let page = try await store.projectPage(campaign: campaign, tenant: tenant, routing: routing, scope: scope, after: cursor)
                        var bytes: [UInt8] = []
                        for row in page.rows { bytes += ledger.add(row) }
                        if !bytes.isEmpty { try await output.write(ByteBuffer(bytes: bytes)) }
                        cursor = page.next
                    } while cursor != nil
                    try await output.write(ByteBuffer(bytes: ledger.finish()))
                    try await output.finish(nil)
                }
                return Response(status: .ok, headers: [.contentType: type, .contentDisposition: filename], body: body)
            }
            guard let layout = Self.layouts.first(where: { $0.code == parts[0] }) else { throw Problem.notFound("没有台账“\(file)”") }
            let writer = LedgerWriter(
                layout: layout, format: format, district: district, contact: query["contact"].map(String.init) ?? "", phone: query["phone"].map(String.init) ?? "",
                date: date)
            let host = request.head.authority.map { "http://\($0)" } ?? ""
            let photoURL: @Sendable (String) -> String = { "\(host)/v1/tenants/\(tenant)/photos/\($0)" }
            let unmasked = AccessPolicy.allows(principal, .seePersonalData)
            // 附件3's foot: households of the compounds and those registered on the platform (from the visits).
            var footer: String?
            if layout == .visits {
                let rows = try await fieldWork.coverage(tenant: tenant, routing: routing, from: nil, to: nil)
                    .filter { $0.level == "compound" && compounds.contains($0.code) }
                let households = rows.compactMap(\.households).reduce(0, +)
                footer = "智慧物业综合信息平台注册户数（小区共 \(households) 户，已注册 \(rows.map(\.registered).reduce(0, +)) 户）"
            }
            let scope = LedgerStore.Scope(from: from, to: to, compounds: compounds)
            let foot = footer
            // Page by page: the ledger is never held whole, whatever its length.
            let body = ResponseBody { output in
                var ledger = writer
                try await output.write(ByteBuffer(bytes: ledger.start()))
                var cursor: LedgerStore.Cursor?
                repeat {
                    let page = try await store.page(
                        layout, tenant: tenant, routing: routing, scope: scope, after: cursor, unmasked: unmasked, photoURL: photoURL)
                    var bytes: [UInt8] = []
                    for row in page.rows { bytes += ledger.add(row) }
                    if !bytes.isEmpty { try await output.write(ByteBuffer(bytes: bytes)) }
                    cursor = page.next
                } while cursor != nil
                try await output.write(ByteBuffer(bytes: ledger.finish(footer: foot)))
                try await output.finish(nil)
            }
            let name = "\(layout.code)-ledger.\(format.rawValue)"
            return Response(
                status: .ok,
                headers: [
                    .contentType: type,
                    .contentDisposition: "attachment; filename=\"\(name)\"; filename*=UTF-8''\(Self.percentEncoded(layout.sheetName)).\(format.rawValue)",
                ], body: body)
        }
    }

    static func percentEncoded(_ text: String) -> String {
        text.utf8.map { String(format: "%%%02X", $0) }.joined()
    }
}
