import Foundation
import Hummingbird
import WhistleCore
import WhistleStore

/// The ledgers (台账) in the seeds' layouts, streamed as `.xlsx` or CSV: so far seed 000's 附件2,
/// the inspection-and-rectification ledger (`ledgers/inspection.xlsx|csv`).
struct LedgerRoutes: Sendable {
    let routing: TenantRouting
    let store: LedgerStore
    let clock: @Sendable () -> Date

    func add(to tenants: RouterGroup<WhistleRequestContext>) {
        tenants.get("ledgers/:file") { request, context -> Response in
            _ = try context.require(.exportLedger)
            let (tenant, routing) = try self.routing.tenant(context)
            let file = context.parameters.get("file") ?? ""
            let format: LedgerWriter.Format
            switch file {
            case "inspection.xlsx": format = .xlsx
            case "inspection.csv": format = .csv
            default: throw Problem.notFound("没有台账“\(file)”;可用:inspection.xlsx, inspection.csv(附件2 排查整治台账)")
            }
            let query = request.uri.queryParameters
            let zone = routing.timeZone
            let now = clock()
            let from = try RequestBody.moment(query["from"].map(String.init), field: "from", zone: zone) ?? Date(timeIntervalSince1970: 0)
            let to = try RequestBody.moment(query["to"].map(String.init), field: "to", zone: zone) ?? now
            guard to > from else { throw Problem.invalidParameter("to", "须晚于 from") }
            let territory = query["territory"].map(String.init)
            let district: String
            if let territory {
                guard let town = routing.directory.territories.first(where: { $0.code == territory }) else {
                    throw Problem.invalidParameter("territory", "没有代码为 '\(territory)' 的镇街")
                }
                district = "\(routing.directory.tenant.name) \(town.name)"
            } else {
                district = routing.directory.tenant.name
            }
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = zone
            let today = calendar.dateComponents([.year, .month, .day], from: now)
            let writer = LedgerWriter(
                format: format, district: district, contact: query["contact"].map(String.init) ?? "", phone: query["phone"].map(String.init) ?? "",
                date: "\(today.year!)年\(today.month!)月\(today.day!)日")
            let host = request.head.authority.map { "http://\($0)" } ?? ""
            let photoURL: @Sendable (String) -> String = { "\(host)/v1/tenants/\(tenant)/photos/\($0)" }
            let store = self.store
            // Page by page: the ledger is never held whole, whatever its length.
            let body = ResponseBody { output in
                var ledger = writer
                try await output.write(ByteBuffer(bytes: ledger.start()))
                var cursor: LedgerStore.Cursor?
                repeat {
                    let page = try await store.inspectionPage(
                        tenant: tenant, routing: routing, from: from, to: to, territory: territory, after: cursor, photoURL: photoURL)
                    var bytes: [UInt8] = []
                    for row in page.rows { bytes += ledger.add(row) }
                    if !bytes.isEmpty { try await output.write(ByteBuffer(bytes: bytes)) }
                    cursor = page.next
                } while cursor != nil
                try await output.write(ByteBuffer(bytes: ledger.finish()))
                try await output.finish(nil)
            }
            let type = format == .xlsx ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" : "text/csv; charset=utf-8"
            let name = "inspection-ledger.\(format.rawValue)"
            return Response(
                status: .ok,
                headers: [
                    .contentType: type,
                    .contentDisposition: "attachment; filename=\"\(name)\"; filename*=UTF-8''%E6%8E%92%E6%9F%A5%E6%95%B4%E6%B2%BB%E5%8F%B0%E8%B4%A6.\(format.rawValue)",
                ], body: body)
        }
    }
}
