/// How the deadline scheduler keeps and fires its timers: the `scheduler:` section of `whistle.yaml`.
///
/// The lease is the longest a firing transaction may hold the timers it claimed. A daemon that
/// dies while firing loses its claim at once (PostgreSQL ends its session and rolls back); a
/// daemon that hangs loses it after `leaseSeconds`, when the server ends the transaction. Either
/// way the other daemons' sweep, every `sweepSeconds`, fires what was left.
public struct SchedulerSettings: Sendable, Hashable {
    /// Timers due within this many seconds are kept in the in-memory wheel.
    public var horizonSeconds: Int = 24 * 3600
    /// How often the wheel is topped up with the timers that came within the horizon.
    public var refillSeconds: Int = 15 * 60
    /// How often due timers are claimed even without a wake-up (another daemon's left-overs).
    public var sweepSeconds: Int = 5
    /// The longest one firing transaction may hold its claim.
    public var leaseSeconds: Int = 30
    /// Timers claimed and fired per transaction.
    public var batchSize: Int = 500

    public init() {}

    static func parse(_ node: ConfigNode) throws(ConfigError) -> SchedulerSettings {
        var settings = SchedulerSettings()
        try node.allowKeys(["horizonSeconds", "refillSeconds", "sweepSeconds", "leaseSeconds", "batchSize"])
        func read(_ key: String, _ range: ClosedRange<Int>, into value: inout Int) throws(ConfigError) {
            guard let child = try node.optional(key) else { return }
            let number = try child.int()
            guard range.contains(number) else {
                throw child.error("must be between \(range.lowerBound) and \(range.upperBound)")
            }
            value = number
        }
        try read("horizonSeconds", 60...(30 * 24 * 3600), into: &settings.horizonSeconds)
        try read("refillSeconds", 1...(24 * 3600), into: &settings.refillSeconds)
        try read("sweepSeconds", 1...3600, into: &settings.sweepSeconds)
        try read("leaseSeconds", 1...3600, into: &settings.leaseSeconds)
        try read("batchSize", 1...10_000, into: &settings.batchSize)
        guard settings.refillSeconds < settings.horizonSeconds else {
            throw node.error("refillSeconds must be shorter than horizonSeconds, or timers could come due unseen")
        }
        return settings
    }
}
