import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Synchronization
import WhistleCore
import WhistleTestSupport

/// Real HTTP receivers on loopback for the three robot formats, each checking what the real one
/// checks: the generic webhook's HMAC over timestamp and body within a replay window, DingTalk's
/// signed timestamp, WeCom's key. Signatures are recomputed here from the secrets, not with the
/// daemon's code. A receiver can be taken down (it answers 503) and brought back.
final class LoopbackReceivers: Sendable {
    struct Received: Sendable, Hashable {
        /// webhook, dingtalk or wecom, and the path's name (office, zjj, leader …).
        var kind: String
        var name: String
        var deliveryKey: String
        var title: String
        var text: String
        var mentions: [String]
    }

    let clock: ManualClock
    let secrets: [String: String]
    private let received = Mutex<[Received]>([])
    private let refused = Mutex<[String]>([])
    private let down = Mutex<Set<String>>([])
    private let attempts = Mutex<Int>(0)
    private let port = Mutex<Int?>(nil)

    /// `secrets` by receiver name: the webhook's and DingTalk robots' signing secrets, WeCom's key.
    init(clock: ManualClock, secrets: [String: String]) {
        self.clock = clock
        self.secrets = secrets
    }

    var all: [Received] { received.withLock { $0 } }
    var refusals: [String] { refused.withLock { $0 } }
    var attemptCount: Int { attempts.withLock { $0 } }

    func setDown(_ name: String, _ isDown: Bool) {
        down.withLock { if isDown { $0.insert(name) } else { $0.remove(name) } }
    }

    func base() -> String { "http://127.0.0.1:\(port.withLock { $0 } ?? 0)" }

    /// Runs the receivers for the duration of `body`.
    func serving<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        let router = Router()
        router.post("/hook/:name") { request, context -> Response in
            try await self.webhook(request, name: context.parameters.get("name") ?? "")
        }
        router.post("/robot/send") { request, _ -> Response in try await self.dingtalk(request) }
        router.post("/cgi-bin/webhook/send") { request, _ -> Response in try await self.wecom(request) }
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in self.port.withLock { $0 = channel.localAddress?.port } }, logger: Logger(label: "receivers"))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            while port.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(10)) }
            defer { group.cancelAll() }
            return try await body()
        }
    }

    private func answer(_ status: HTTPResponse.Status, _ json: String) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: json)))
    }

    private func isDown(_ name: String) -> Bool {
        attempts.withLock { $0 += 1 }
        return down.withLock { $0.contains(name) }
    }

    private func refuse(_ reason: String) -> Response {
        refused.withLock { $0.append(reason) }
        return answer(.unauthorized, #"{"error": "refused"}"#)
    }

    static func hmac(_ key: String, _ message: Data) -> Data {
        Data(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(key.utf8))))
    }

    private func webhook(_ request: Request, name: String) async throws -> Response {
        let body = Data(buffer: try await request.body.collect(upTo: 1 << 20))
        if isDown(name) { return answer(.serviceUnavailable, "{}") }
        guard let secret = secrets[name],
            let timestamp = request.headers[HTTPField.Name("X-Whistle-Timestamp")!],
            let signature = request.headers[HTTPField.Name("X-Whistle-Signature")!],
            let key = request.headers[HTTPField.Name("Idempotency-Key")!]
        else { return refuse("webhook \(name): headers missing") }
        // The replay window: five minutes either side of the receiver's clock.
        guard let seconds = Double(timestamp), abs(clock.now().timeIntervalSince1970 - seconds) <= 300 else {
            return refuse("webhook \(name): timestamp \(timestamp) outside the window")
        }
        let expected = "sha256=" + Self.hmac(secret, Data("\(timestamp).".utf8) + body).map { String(format: "%02x", $0) }.joined()
        guard signature == expected else { return refuse("webhook \(name): bad signature") }
        let json = try JSONSerialization.jsonObject(with: body) as? [String: Any] ?? [:]
        guard json["id"] as? String == key else { return refuse("webhook \(name): id is not the delivery key") }
        received.withLock {
            $0.append(
                Received(
                    kind: "webhook", name: name, deliveryKey: key, title: json["title"] as? String ?? "", text: json["text"] as? String ?? "",
                    mentions: json["mentions"] as? [String] ?? []))
        }
        return answer(.ok, "{}")
    }

    private func dingtalk(_ request: Request) async throws -> Response {
        let body = Data(buffer: try await request.body.collect(upTo: 1 << 20))
        let query = request.uri.queryParameters
        let name = query["access_token"].map(String.init) ?? ""
        if isDown(name) { return answer(.ok, #"{"errcode": 130101, "errmsg": "send too fast"}"#) }
        guard let secret = secrets[name], let timestamp = query["timestamp"].map(String.init), let sign = query["sign"].map(String.init) else {
            return refuse("dingtalk \(name): timestamp or sign missing")
        }
        // DingTalk refuses a timestamp more than an hour from its own time.
        guard let milliseconds = Double(timestamp), abs(clock.now().timeIntervalSince1970 * 1000 - milliseconds) <= 3_600_000 else {
            return refuse("dingtalk \(name): timestamp \(timestamp) too far")
        }
        let expected = Self.hmac(secret, Data("\(timestamp)\n\(secret)".utf8)).base64EncodedString()
        guard sign == expected || sign.removingPercentEncoding == expected else { return refuse("dingtalk \(name): bad sign") }
        let json = try JSONSerialization.jsonObject(with: body) as? [String: Any] ?? [:]
        let type = json["msgtype"] as? String ?? ""
        let content = json[type] as? [String: Any] ?? [:]
        let at = json["at"] as? [String: Any] ?? [:]
        received.withLock {
            $0.append(
                Received(
                    kind: "dingtalk", name: name, deliveryKey: request.headers[HTTPField.Name("Idempotency-Key")!] ?? "",
                    title: content["title"] as? String ?? "", text: content["text"] as? String ?? content["content"] as? String ?? "",
                    mentions: at["atMobiles"] as? [String] ?? []))
        }
        return answer(.ok, #"{"errcode": 0, "errmsg": "ok"}"#)
    }

    private func wecom(_ request: Request) async throws -> Response {
        let body = Data(buffer: try await request.body.collect(upTo: 1 << 20))
        let key = request.uri.queryParameters["key"].map(String.init) ?? ""
        guard let name = secrets.first(where: { $0.value == key && $0.key.hasPrefix("wecom") })?.key else {
            return answer(.ok, #"{"errcode": 93000, "errmsg": "invalid webhook url"}"#)
        }
        if isDown(name) { return answer(.serviceUnavailable, "") }
        let json = try JSONSerialization.jsonObject(with: body) as? [String: Any] ?? [:]
        let type = json["msgtype"] as? String ?? ""
        guard type == "text" || type == "markdown", let content = json[type] as? [String: Any], let text = content["content"] as? String else {
            return answer(.ok, #"{"errcode": 40008, "errmsg": "invalid message type"}"#)
        }
        received.withLock {
            $0.append(
                Received(
                    kind: "wecom", name: name, deliveryKey: request.headers[HTTPField.Name("Idempotency-Key")!] ?? "", title: "",
                    text: text, mentions: content["mentioned_mobile_list"] as? [String] ?? []))
        }
        return answer(.ok, #"{"errcode": 0, "errmsg": "ok"}"#)
    }
}
