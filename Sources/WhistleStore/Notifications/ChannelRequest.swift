import Crypto
import Foundation
import WhistleCore

/// The HTTP request one delivery makes on its channel: the webhook's signed JSON, a DingTalk
/// robot's signed URL and message, a WeCom robot's message. Pure, so the formats are tested.
public struct ChannelRequest: Sendable, Hashable {
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: Data

    public static func == (lhs: ChannelRequest, rhs: ChannelRequest) -> Bool {
        lhs.url == rhs.url && lhs.body == rhs.body && lhs.headers.map { "\($0.name):\($0.value)" } == rhs.headers.map { "\($0.name):\($0.value)" }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(url)
        hasher.combine(body)
    }

    /// The request for `record` on `channel`, signed at `now` with `secret`.
    public static func make(for record: OutboxRecord, channel: NotifyChannel, secret: String?, now: Date) throws -> ChannelRequest {
        let encoder = JSONEncoder.sorted
        let milliseconds = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
        var headers: [(String, String)] = [("Content-Type", "application/json; charset=utf-8"), ("Idempotency-Key", record.deliveryKey)]
        switch channel.kind {
        case .webhook:
            let body = try encoder.encode(
                WebhookBody(
                    id: record.deliveryKey, tenant: record.tenant, kind: record.eventKind, escalation: record.escalation,
                    department: record.department, title: record.message.title, text: record.message.text(),
                    markdown: record.message.markdown(), document: record.message.document, mentions: record.mentions))
            let seconds = String(milliseconds / 1000)
            headers.append(("X-Whistle-Delivery", record.deliveryKey))
            headers.append(("X-Whistle-Timestamp", seconds))
            if let secret {
                headers.append(("X-Whistle-Signature", "sha256=" + WebhookSignature.sign(secret: secret, timestamp: seconds, body: body)))
            }
            return ChannelRequest(url: channel.url, headers: headers, body: body)
        case .dingtalk:
            let at = DingTalkBody.At(atMobiles: record.mentions, isAtAll: false)
            let body: Data
            if channel.format == .markdown {
                body = try encoder.encode(
                    DingTalkBody(
                        msgtype: "markdown", markdown: .init(title: record.message.title, text: record.message.markdown(mentions: record.mentions)), at: at))
            } else {
                body = try encoder.encode(DingTalkBody(msgtype: "text", text: .init(content: record.message.text(mentions: record.mentions)), at: at))
            }
            var url = channel.url
            if let secret {
                let timestamp = String(milliseconds)
                url += (url.contains("?") ? "&" : "?") + "timestamp=\(timestamp)&sign=\(DingTalkSignature.sign(secret: secret, timestamp: timestamp))"
            }
            return ChannelRequest(url: url, headers: headers, body: body)
        case .wecom:
            // WeCom's markdown cannot @ by mobile: a message that must mention someone goes as text.
            let body: Data
            if channel.format == .markdown && record.mentions.isEmpty {
                body = try encoder.encode(WeComBody(msgtype: "markdown", markdown: .init(content: record.message.markdown())))
            } else {
                body = try encoder.encode(
                    WeComBody(msgtype: "text", text: .init(content: record.message.text(), mentioned_mobile_list: record.mentions)))
            }
            return ChannelRequest(url: channel.url, headers: headers, body: body)
        case .log:
            return ChannelRequest(url: "", headers: [], body: Data(record.message.text(mentions: record.mentions).utf8))
        }
    }

    /// Whether a robot's answer says the message was taken: DingTalk and WeCom answer 200 with
    /// `errcode` 0; any other code (a rate limit, a bad signature) is a failure to retry.
    public static func accepted(kind: NotifyChannel.Kind, status: Int, body: Data) -> (ok: Bool, reason: String?) {
        guard (200..<300).contains(status) else { return (false, "HTTP \(status)") }
        guard kind == .dingtalk || kind == .wecom else { return (true, nil) }
        struct Answer: Decodable {
            var errcode: Int?
            var errmsg: String?
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: body) else { return (false, "unreadable answer") }
        if answer.errcode == 0 { return (true, nil) }
        return (false, "errcode \(answer.errcode.map(String.init) ?? "?"): \(answer.errmsg ?? "")")
    }
}

/// The generic webhook's body.
public struct WebhookBody: Codable, Sendable, Hashable {
    /// The delivery key: the same for every attempt of one notification.
    public var id: String
    public var tenant: String
    public var kind: String
    public var escalation: Int64?
    public var department: String
    public var title: String
    public var text: String
    public var markdown: String
    public var document: EscalationDocument?
    public var mentions: [String]
}

struct DingTalkBody: Encodable {
    struct Markdown: Encodable {
        var title: String
        var text: String
    }

    struct Text: Encodable {
        var content: String
    }

    struct At: Encodable {
        var atMobiles: [String]
        var isAtAll: Bool
    }

    var msgtype: String
    var markdown: Markdown?
    var text: Text?
    var at: At

    init(msgtype: String, markdown: Markdown? = nil, text: Text? = nil, at: At) {
        self.msgtype = msgtype
        self.markdown = markdown
        self.text = text
        self.at = at
    }
}

struct WeComBody: Encodable {
    struct Markdown: Encodable {
        var content: String
    }

    struct Text: Encodable {
        var content: String
        var mentioned_mobile_list: [String]
    }

    var msgtype: String
    var markdown: Markdown?
    var text: Text?

    init(msgtype: String, markdown: Markdown? = nil, text: Text? = nil) {
        self.msgtype = msgtype
        self.markdown = markdown
        self.text = text
    }
}

/// The generic webhook's signature: hex HMAC-SHA256 of `"<timestamp>.<body>"` with the shared
/// secret, sent as `X-Whistle-Signature: sha256=<hex>` beside `X-Whistle-Timestamp` (Unix seconds).
/// A receiver refuses a timestamp outside its replay window.
public enum WebhookSignature {
    public static func sign(secret: String, timestamp: String, body: Data) -> String {
        var message = Data("\(timestamp).".utf8)
        message.append(body)
        let code = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
        return HexDigits.lowercase(code)
    }

    /// What a receiver checks: the signature matches and the timestamp is within `window` seconds of `now`.
    public static func verify(
        secret: String, timestamp: String, body: Data, signature: String, now: Date, window: TimeInterval = 300
    ) -> Bool {
        guard let seconds = TimeInterval(timestamp), abs(now.timeIntervalSince1970 - seconds) <= window else { return false }
        let expected = "sha256=" + sign(secret: secret, timestamp: timestamp, body: body)
        // Compared in full: both are fixed-length hex.
        return expected.utf8.count == signature.utf8.count && zip(expected.utf8, signature.utf8).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// DingTalk's custom-robot signature: base64 of HmacSHA256(secret, "<timestamp ms>\n<secret>"),
/// URL-encoded, sent as `&timestamp=…&sign=…`.
public enum DingTalkSignature {
    public static func sign(secret: String, timestamp: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data("\(timestamp)\n\(secret)".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        let base64 = Data(code).base64EncodedString()
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return base64.addingPercentEncoding(withAllowedCharacters: allowed) ?? base64
    }
}
