import Foundation
import Hummingbird
import WhistleCore
import WhistleStore

/// The ledgers (台账) in the seeds' layouts, streamed as `.xlsx` or CSV: seed 000's 附件2
/// (`ledgers/inspection.xlsx|csv`) and 附件3 with its platform line (`ledgers/visits.xlsx|csv`),
/// seed 003's 附件2 per 攻坚行动 (`ledgers/campaign.xlsx|csv?campaign=…`) and seed 002's 附件3
/// (`ledgers/compounds.xlsx|csv`). `whistle ledger export` writes the same files.
struct LedgerRoutes: Sendable {
    let routing: TenantRouting
    let store: LedgerStore
    let clock: @Sendable () -> Date

    func add(to tenants: RouterGroup<WhistleRequestContext>) {
        tenants.get("ledgers/:file") { request, context -> Response in
            let principal = try context.require(.exportLedger)
            let (tenant, routing) = try self.routing.tenant(context)
            let file = context.parameters.get("file") ?? ""
            let parts = file.split(separator: ".", maxSplits: 1).map(String.init)
            let codes = LedgerStore.codes
            guard parts.count == 2, codes.contains(parts[0]), LedgerWriter.Format(rawValue: parts[1]) != nil else {
                let known = codes.flatMap { ["\($0).xlsx", "\($0).csv"] }.joined(separator: ", ")
                throw Problem.notFound("没有台账“\(file)”;可用:\(known)")
            }
            let query = request.uri.queryParameters
            let zone = routing.timeZone
            let now = clock()
            let from = try RequestBody.moment(query["from"].map(String.init), field: "from", zone: zone) ?? Date(timeIntervalSince1970: 0)
            let to = try RequestBody.moment(query["to"].map(String.init), field: "to", zone: zone) ?? now
            let host = request.head.authority.map { "http://\($0)" } ?? ""
            let export: LedgerStore.Export
            do {
                export = try LedgerStore.Export.make(
                    code: parts[0], format: parts[1], routing: routing, from: from, to: to, territory: query["territory"].map(String.init),
                    compound: query["compound"].map(String.init), campaign: query["campaign"].map(String.init),
                    contact: query["contact"].map(String.init) ?? "", phone: query["phone"].map(String.init) ?? "", now: now,
                    unmasked: AccessPolicy.allows(principal, .seePersonalData), photoURL: { "\(host)/v1/tenants/\(tenant)/photos/\($0)" })
            } catch let error as LedgerStore.ExportError {
                throw Problem.invalidParameter(error.field.name, error.field.reason)
            }
            let store = self.store
            // Page by page: the ledger is never held whole, whatever its length.
            let body = ResponseBody { output in
                try await store.export(export, tenant: tenant, routing: routing) { bytes in try await output.write(ByteBuffer(bytes: bytes)) }
                try await output.finish(nil)
            }
            let type = export.format == .xlsx ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" : "text/csv; charset=utf-8"
            return Response(
                status: .ok,
                headers: [
                    .contentType: type,
                    .contentDisposition:
                        "attachment; filename=\"\(export.fileName)\"; filename*=UTF-8''\(Self.percentEncoded(export.title)).\(export.format.rawValue)",
                ], body: body)
        }
    }

    static func percentEncoded(_ text: String) -> String {
        text.utf8.map { String(format: "%%%02X", $0) }.joined()
    }
}
