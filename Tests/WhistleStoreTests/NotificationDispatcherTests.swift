import Foundation
import Logging
import PostgresNIO
import Synchronization
import Testing
import WhistleCore
import WhistleTestSupport
@testable import WhistleStore

/// The channel formats and signatures, and the dispatcher's rate limit, retries and leases.
@Suite("Notification channels and the dispatcher")
struct NotificationDispatcherTests {
    let logger = TestPostgres.logger
    static let robotURL = "https://oapi.dingtalk.com/robot/send?access_token=abc"
    static let hookURL = "https://office.example/hook"

    static func record(_ mentions: [String] = [], channel: NotifyChannel.Kind = .dingtalk) -> OutboxRecord {
        OutboxRecord(
            id: 1, tenant: "suixi", deliveryKey: "3f1c1e1a-0000-4000-8000-000000000001", escalation: 9, eventKind: "task.escalated",
            department: "zjj", channel: channel, endpoint: robotURL,
            message: NotificationMessage(title: "催办", lines: ["县住建局：请立即办理。"]), mentions: mentions, state: "sending", attempts: 1,
            createdAt: Date(), nextAttemptAt: Date(), lastError: nil, deliveredAt: nil)
    }

    @Test("DingTalk's signature and the webhook's match values computed independently (Python's hmac)")
    func signatures() {
        #expect(DingTalkSignature.sign(secret: "SEC000000000000000000000", timestamp: "1790000000000") == "i8egKr4XA5QkA5mBS2edK7dZX1vwxbqJC5mPznS8i%2BQ%3D")
        let body = Data(#"{"a":1}"#.utf8)
        #expect(WebhookSignature.sign(secret: "whsec", timestamp: "1790000000", body: body) == "10eafca9f78117bc724863bcd4b5c7d926c944a32a6ab8e96770849ab3e84a49")
        let now = Date(timeIntervalSince1970: 1_790_000_100)
        let signature = "sha256=10eafca9f78117bc724863bcd4b5c7d926c944a32a6ab8e96770849ab3e84a49"
        #expect(WebhookSignature.verify(secret: "whsec", timestamp: "1790000000", body: body, signature: signature, now: now))
        #expect(!WebhookSignature.verify(secret: "whsec", timestamp: "1790000000", body: Data(#"{"a":2}"#.utf8), signature: signature, now: now))
        // A replayed request outside the window is refused even with its good signature.
        #expect(!WebhookSignature.verify(secret: "whsec", timestamp: "1790000000", body: body, signature: signature, now: now.addingTimeInterval(600)))
    }

    @Test("each channel's request: DingTalk signed in the URL with @mobiles, WeCom text when it must mention, the webhook signed over timestamp and body")
    func requests() throws {
        let now = Date(timeIntervalSince1970: 1_790_000_000)
        let robot = NotifyChannel(kind: .dingtalk, url: Self.robotURL, secret: "SEC000000000000000000000")
        var request = try ChannelRequest.make(for: Self.record(["1380"]), channel: robot, secret: robot.secret, now: now)
        #expect(request.url == Self.robotURL + "&timestamp=1790000000000&sign=i8egKr4XA5QkA5mBS2edK7dZX1vwxbqJC5mPznS8i%2BQ%3D")
        var json = try #require(try JSONSerialization.jsonObject(with: request.body) as? [String: Any])
        #expect(json["msgtype"] as? String == "markdown")
        #expect((json["at"] as? [String: Any])?["atMobiles"] as? [String] == ["1380"])
        #expect(((json["markdown"] as? [String: Any])?["text"] as? String)?.hasSuffix("@1380") == true)
        #expect(request.headers.contains { $0.name == "Idempotency-Key" && $0.value == Self.record().deliveryKey })

        var text = robot
        text.format = .text
        request = try ChannelRequest.make(for: Self.record(), channel: text, secret: nil, now: now)
        #expect(request.url == Self.robotURL)
        json = try #require(try JSONSerialization.jsonObject(with: request.body) as? [String: Any])
        #expect(((json["text"] as? [String: Any])?["content"] as? String)?.hasPrefix("【催办】") == true)

        let wecom = NotifyChannel(kind: .wecom, url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k")
        json = try #require(
            try JSONSerialization.jsonObject(with: try ChannelRequest.make(for: Self.record(), channel: wecom, secret: nil, now: now).body) as? [String: Any])
        #expect(json["msgtype"] as? String == "markdown")
        json = try #require(
            try JSONSerialization.jsonObject(with: try ChannelRequest.make(for: Self.record(["1380"]), channel: wecom, secret: nil, now: now).body)
                as? [String: Any])
        #expect(json["msgtype"] as? String == "text")
        #expect((json["text"] as? [String: Any])?["mentioned_mobile_list"] as? [String] == ["1380"])

        let hook = NotifyChannel(kind: .webhook, url: Self.hookURL, secret: "whsec")
        request = try ChannelRequest.make(for: Self.record(), channel: hook, secret: "whsec", now: now)
        let signature = try #require(request.headers.first { $0.name == "X-Whistle-Signature" }?.value)
        #expect(WebhookSignature.verify(secret: "whsec", timestamp: "1790000000", body: request.body, signature: signature, now: now))
        let body = try JSONDecoder().decode(WebhookBody.self, from: request.body)
        #expect(body.id == Self.record().deliveryKey && body.escalation == 9 && body.title == "催办")
    }

    @Test("robots' answers: errcode 0 is taken, any other code or HTTP status is a failure to retry")
    func answers() {
        #expect(ChannelRequest.accepted(kind: .dingtalk, status: 200, body: Data(#"{"errcode":0,"errmsg":"ok"}"#.utf8)).ok)
        let limited = ChannelRequest.accepted(kind: .dingtalk, status: 200, body: Data(#"{"errcode":130101,"errmsg":"send too fast"}"#.utf8))
        #expect(!limited.ok && limited.reason == "errcode 130101: send too fast")
        #expect(!ChannelRequest.accepted(kind: .wecom, status: 200, body: Data("<html>".utf8)).ok)
        #expect(!ChannelRequest.accepted(kind: .webhook, status: 503, body: Data()).ok)
        #expect(ChannelRequest.accepted(kind: .webhook, status: 204, body: Data()).ok)
    }

    /// 濉溪县 with 县住建局 on a DingTalk robot and the office on a webhook.
    func routing() throws -> TenantRouting {
        var config = try ConfigDirectory.read(TestPostgres.configDirectory)
        let index = try #require(config.tenants.firstIndex { $0.directory.tenant.code == "suixi" })
        for (position, department) in config.tenants[index].directory.departments.enumerated() {
            if department.code == "zjj" {
                config.tenants[index].directory.departments[position].channels = [NotifyChannel(kind: .dingtalk, url: Self.robotURL, secret: "s")]
            }
            if department.code == "zhuanban-office" {
                config.tenants[index].directory.departments[position].channels = [NotifyChannel(kind: .webhook, url: Self.hookURL, secret: "w")]
            }
        }
        return TenantRouting(config)
    }

    func enqueue(_ db: TestDatabase, count: Int, department: String, channel: NotifyChannel, at now: Date) async throws {
        try await db.database.withSystemTransaction { connection in
            for index in 0..<count {
                try await OutboxStore.enqueue(
                    [EscalationRecipients.Delivery(department: department, departmentName: department, channel: channel, mentions: [], people: [])],
                    message: NotificationMessage(title: "消息 \(index)", lines: []), tenant: "suixi", escalation: nil, eventKind: "test", now: now,
                    on: connection, logger: logger)
            }
        }
    }

    final class Recorder: Sendable {
        let sent = Mutex<[(url: String, title: String, key: String)]>([])
        let failing = Atomic<Bool>(false)

        var transport: NotificationDispatcher.Transport {
            { request, _ in
                let json = (try? JSONSerialization.jsonObject(with: request.body) as? [String: Any]) ?? [:]
                let title = ((json["markdown"] as? [String: Any])?["title"] as? String) ?? (json["title"] as? String) ?? ""
                let key = request.headers.first { $0.name == "Idempotency-Key" }?.value ?? ""
                if self.failing.load(ordering: .relaxed) { return (502, Data()) }
                self.sent.withLock { $0.append((request.url, title, key)) }
                return (200, Data(#"{"errcode": 0, "errmsg": "ok"}"#.utf8))
            }
        }
    }

    @Test("a robot gets at most 20 a minute, in order; the rest wait their turn and none is dropped; another endpoint is not held up")
    func rateLimit() async throws {
        let db = try await TestPostgres.migratedDatabase("outbox_rate")
        try await db.loadSampleConfiguration()
        let start = Date(timeIntervalSince1970: 1_790_000_000)
        let clock = ManualClock(now: start)
        let recorder = Recorder()
        try await enqueue(db, count: 30, department: "zjj", channel: NotifyChannel(kind: .dingtalk, url: Self.robotURL, secret: "s"), at: start)
        try await enqueue(db, count: 5, department: "zhuanban-office", channel: NotifyChannel(kind: .webhook, url: Self.hookURL, secret: "w"), at: start)
        let dispatcher = NotificationDispatcher(
            database: db.database, routing: try routing(), clock: clock, transport: recorder.transport, logger: logger)
        await dispatcher.deliverDue()
        func count(_ prefix: String) -> Int { recorder.sent.withLock { $0.filter { $0.url.hasPrefix(prefix) }.count } }
        #expect(count(Self.robotURL) == 20)
        #expect(count(Self.hookURL) == 5)
        clock.advance(by: 59)
        await dispatcher.deliverDue()
        #expect(count(Self.robotURL) == 20)
        clock.advance(by: 2)
        await dispatcher.deliverDue()
        #expect(count(Self.robotURL) == 30)
        let titles = recorder.sent.withLock { $0.filter { $0.url.hasPrefix(Self.robotURL) }.map(\.title) }
        #expect(titles == (0..<30).map { "消息 \($0)" })
        #expect(try await db.scalar("SELECT count(*)::int FROM outbox WHERE state = 'delivered'", as: Int.self) == 35)
    }

    @Test("failures back off, then the delivery is dead; an endpoint no longer in the directory is dead at once")
    func retriesThenDead() async throws {
        let db = try await TestPostgres.migratedDatabase("outbox_retry")
        try await db.loadSampleConfiguration()
        let start = Date(timeIntervalSince1970: 1_790_000_000)
        let clock = ManualClock(now: start)
        let recorder = Recorder()
        recorder.failing.store(true, ordering: .relaxed)
        try await enqueue(db, count: 1, department: "zjj", channel: NotifyChannel(kind: .dingtalk, url: Self.robotURL, secret: "s"), at: start)
        try await enqueue(db, count: 1, department: "zjj", channel: NotifyChannel(kind: .webhook, url: "https://gone.example/hook"), at: start)
        var settings = NotificationSettings()
        settings.maxAttempts = 3
        settings.backoffBaseSeconds = 30
        let dispatcher = NotificationDispatcher(
            database: db.database, routing: try routing(), settings: settings, clock: clock, transport: recorder.transport, jitter: { 1 },
            logger: logger)
        await dispatcher.deliverDue()
        func row(_ endpoint: String) async throws -> (String, Int, Date) {
            let rows = try await db.client.query("SELECT state, attempts, next_attempt_at FROM outbox WHERE endpoint = \(endpoint)", logger: logger)
            for try await value in rows.decode((String, Int, Date).self) { return value }
            throw CancellationError()
        }
        #expect(try await row("https://gone.example/hook").0 == "dead")
        var (state, attempts, next) = try await row(Self.robotURL)
        #expect(state == "pending" && attempts == 1 && next == start.addingTimeInterval(30))
        clock.advance(by: 29)
        await dispatcher.deliverDue()
        #expect(try await row(Self.robotURL).1 == 1)  // not before its time
        clock.advance(by: 1)
        await dispatcher.deliverDue()
        (state, attempts, next) = try await row(Self.robotURL)
        #expect(state == "pending" && attempts == 2 && next == start.addingTimeInterval(30 + 60))
        clock.advance(by: 60)
        await dispatcher.deliverDue()
        (state, attempts, _) = try await row(Self.robotURL)
        #expect(state == "dead" && attempts == 3)
    }

    @Test("a delivery claimed by a dispatcher that died is taken over when its lease runs out, with the same key, and sent once")
    func leaseTakeover() async throws {
        let db = try await TestPostgres.migratedDatabase("outbox_lease")
        try await db.loadSampleConfiguration()
        let start = Date(timeIntervalSince1970: 1_790_000_000)
        let clock = ManualClock(now: start)
        try await enqueue(db, count: 2, department: "zjj", channel: NotifyChannel(kind: .dingtalk, url: Self.robotURL, secret: "s"), at: start)
        // The first dispatcher claims both, then dies before sending.
        let claimed = try await db.database.withSystemTransaction { connection in
            try await OutboxStore.claim(now: start, perMinute: 20, leaseSeconds: 60, limit: 10, on: connection, logger: logger)
        }
        #expect(claimed.count == 2)
        let recorder = Recorder()
        let dispatcher = NotificationDispatcher(
            database: db.database, routing: try routing(), clock: clock, transport: recorder.transport, logger: logger)
        clock.advance(by: 30)
        await dispatcher.deliverDue()
        #expect(recorder.sent.withLock { $0.count } == 0)  // still leased
        clock.advance(by: 31)
        await dispatcher.deliverDue()
        await dispatcher.deliverDue()
        #expect(recorder.sent.withLock { $0.map(\.key) }.sorted() == claimed.map(\.deliveryKey).sorted())
        #expect(try await db.scalar("SELECT count(*)::int FROM outbox WHERE state = 'delivered' AND attempts = 2", as: Int.self) == 2)
    }
}
