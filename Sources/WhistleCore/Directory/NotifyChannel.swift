/// Where a department, a leader or the office is notified: a robot of a group chat or a webhook.
/// Chosen per department (and per person) in `directory.yaml`; the directory's `defaultChannels`
/// serve departments that name none.
public struct NotifyChannel: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// A generic webhook: a JSON body signed with HMAC-SHA256 over timestamp and body.
        case webhook
        /// A DingTalk custom robot (钉钉自定义机器人), signed with timestamp + "\n" + secret.
        case dingtalk
        /// A WeCom group robot (企业微信群机器人); its key is in the URL.
        case wecom
        /// The daemon's log, for development.
        case log
    }

    public enum Format: String, Sendable, Hashable, Codable, CaseIterable {
        case text, markdown
    }

    public var kind: Kind
    /// The robot's or webhook's address; empty for `log`.
    public var url: String
    /// The signing secret, written in the file (prefer `secretEnv` outside development).
    public var secret: String?
    /// The environment variable that holds the signing secret.
    public var secretEnv: String?
    public var format: Format

    public init(kind: Kind, url: String = "", secret: String? = nil, secretEnv: String? = nil, format: Format = .markdown) {
        self.kind = kind
        self.url = url
        self.secret = secret
        self.secretEnv = secretEnv
        self.format = format
    }

    /// What the outbox names the endpoint by: one rate limit and one queue per address.
    public var endpoint: String { kind == .log ? "log" : url }
}
