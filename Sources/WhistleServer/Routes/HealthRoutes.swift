import Hummingbird
import Prometheus
import WhistleStore

/// `/healthz` (the process answers), `/readyz` (database reachable, migrations current, deadline
/// scheduler armed) and `/metrics`.
struct HealthRoutes: Sendable {
    let database: Database
    let migrator: Migrator
    let registry: PrometheusCollectorRegistry
    let scheduler: TimerScheduler?
    let warnings: @Sendable () -> [String]

    struct Health: ResponseEncodable {
        var status: String
    }

    struct Readiness: ResponseEncodable {
        var status: String
        var database: String
        var migrations: String
        var tenants: Int
        /// Timers in the scheduler's wheel, when this daemon runs a scheduler.
        var timers: Int?
        var warnings: [String]
    }

    func add(to router: Router<some RequestContext>) {
        router.get("/healthz") { _, _ in
            Health(status: "ok")
        }
        router.get("/readyz") { _, _ -> Readiness in
            guard await database.ping() else {
                throw Problem.unavailable("数据库无法连接(database unreachable)。")
            }
            let status: Migrator.Status
            do {
                status = try await migrator.status()
            } catch {
                throw Problem.unavailable("无法核对数据库迁移:\(error)")
            }
            guard status.isCurrent else {
                throw Problem.unavailable("数据库迁移未完成,待执行:\(status.pending.map(String.init).joined(separator: ", "))。")
            }
            if let scheduler, !scheduler.status.isArmed {
                throw Problem.unavailable("截止时间调度器正在装载定时器(deadline scheduler not armed yet)。")
            }
            let tenants = try await DirectoryStore(database: database).tenantCodes().count
            return Readiness(
                status: "ready", database: "ok", migrations: "current", tenants: tenants, timers: scheduler?.status.wheelCount,
                warnings: warnings())
        }
        router.get("/metrics") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
    }
}
