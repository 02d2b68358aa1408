/// How notifications are delivered: the `notifications:` section of `whistle.yaml`.
///
/// A failed delivery is tried again after an exponential backoff with jitter (half to all of
/// `backoffBaseSeconds · 2^(attempt-1)`, at most `backoffCapSeconds`); after `maxAttempts` it is
/// dead, listed by the API, which can send it again. Robots take about 20 messages a minute, so
/// each endpoint gets at most `perEndpointPerMinute` attempts in any minute; the rest wait.
public struct NotificationSettings: Sendable, Hashable {
    public var maxAttempts: Int = 10
    public var backoffBaseSeconds: Int = 30
    public var backoffCapSeconds: Int = 3600
    public var perEndpointPerMinute: Int = 20
    /// How long one HTTP attempt may take.
    public var timeoutSeconds: Int = 10
    /// How often the outbox is looked at when nothing wakes the dispatcher.
    public var pollSeconds: Int = 2
    /// The longest a claimed delivery is held before another dispatcher may take it over.
    public var leaseSeconds: Int = 60

    public init() {}

    /// The wait before attempt `attempt + 1`, after `attempt` failed ones; `unit` in [0, 1) is the jitter's draw.
    public func backoff(afterAttempt attempt: Int, unit: Double) -> Double {
        let exponent = min(max(attempt - 1, 0), 30)
        let full = min(Double(backoffCapSeconds), Double(backoffBaseSeconds) * Double(1 << exponent))
        return full / 2 + full / 2 * min(max(unit, 0), 1)
    }

    static func parse(_ node: ConfigNode) throws(ConfigError) -> NotificationSettings {
        var settings = NotificationSettings()
        try node.allowKeys(["maxAttempts", "backoffBaseSeconds", "backoffCapSeconds", "perEndpointPerMinute", "timeoutSeconds", "pollSeconds", "leaseSeconds"])
        func read(_ key: String, _ range: ClosedRange<Int>, into value: inout Int) throws(ConfigError) {
            guard let child = try node.optional(key) else { return }
            let number = try child.int()
            guard range.contains(number) else {
                throw child.error("must be between \(range.lowerBound) and \(range.upperBound)")
            }
            value = number
        }
        try read("maxAttempts", 1...100, into: &settings.maxAttempts)
        try read("backoffBaseSeconds", 1...86_400, into: &settings.backoffBaseSeconds)
        try read("backoffCapSeconds", 1...(7 * 86_400), into: &settings.backoffCapSeconds)
        try read("perEndpointPerMinute", 1...10_000, into: &settings.perEndpointPerMinute)
        try read("timeoutSeconds", 1...300, into: &settings.timeoutSeconds)
        try read("pollSeconds", 1...3600, into: &settings.pollSeconds)
        try read("leaseSeconds", 5...3600, into: &settings.leaseSeconds)
        guard settings.leaseSeconds > settings.timeoutSeconds else {
            throw node.error("leaseSeconds must be longer than timeoutSeconds, or a slow delivery could be sent twice")
        }
        return settings
    }
}
