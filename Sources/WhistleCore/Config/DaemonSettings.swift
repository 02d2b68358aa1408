/// The daemon's own settings: `config/whistle.yaml`.
public struct DaemonSettings: Sendable, Hashable {
    public var httpHost: String = "127.0.0.1"
    public var httpPort: Int = 8080
    /// `postgres://…`; nil means the embedded cluster under `dataDirectory`.
    public var databaseURL: String?
    /// The embedded cluster's data folder, relative to the working directory unless absolute.
    public var dataDirectory: String = ".whistle/pgdata"
    public var poolSize: Int = 20
    /// The folder of tenant configurations, relative to the configuration folder.
    public var tenantsDirectory: String = "tenants"
    public var calendarsDirectory: String = "calendars"
    public var scheduler = SchedulerSettings()
    public var notifications = NotificationSettings()
    /// Reports of the same type in the same compound within this many days are flagged as possible duplicates.
    public var duplicateWindowDays: Int = 7
    /// The largest photo accepted, in bytes.
    public var maxPhotoBytes: Int = 10 * 1024 * 1024

    public init() {}

    /// Parses `whistle.yaml`; every key is optional.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> DaemonSettings {
        var settings = DaemonSettings()
        let root = try ConfigNode.parse(text, file: file)
        try root.allowKeys(["http", "database", "tenants", "calendars", "scheduler", "intake", "notifications"])
        if let http = try root.optional("http") {
            try http.allowKeys(["host", "port"])
            settings.httpHost = try http.optionalString("host") ?? settings.httpHost
            if let port = try http.optional("port") {
                settings.httpPort = try port.int()
                guard (0...65535).contains(settings.httpPort) else { throw port.error("must be between 0 and 65535") }
            }
        }
        if let database = try root.optional("database") {
            try database.allowKeys(["url", "dataDir", "poolSize"])
            settings.databaseURL = try database.optionalString("url")
            settings.dataDirectory = try database.optionalString("dataDir") ?? settings.dataDirectory
            if let pool = try database.optional("poolSize") {
                settings.poolSize = try pool.int()
                guard (1...500).contains(settings.poolSize) else { throw pool.error("must be between 1 and 500") }
            }
        }
        if let intake = try root.optional("intake") {
            try intake.allowKeys(["duplicateWindowDays", "maxPhotoMegabytes"])
            if let size = try intake.optional("maxPhotoMegabytes") {
                let megabytes = try size.int()
                guard (1...50).contains(megabytes) else { throw size.error("must be between 1 and 50") }
                settings.maxPhotoBytes = megabytes * 1024 * 1024
            }
            if let window = try intake.optional("duplicateWindowDays") {
                settings.duplicateWindowDays = try window.int()
                guard (0...365).contains(settings.duplicateWindowDays) else { throw window.error("must be between 0 and 365 days") }
            }
        }
        if let notifications = try root.optional("notifications") {
            settings.notifications = try NotificationSettings.parse(notifications)
        }
        if let scheduler = try root.optional("scheduler") {
            settings.scheduler = try SchedulerSettings.parse(scheduler)
        }
        settings.tenantsDirectory = try root.optionalString("tenants") ?? settings.tenantsDirectory
        settings.calendarsDirectory = try root.optionalString("calendars") ?? settings.calendarsDirectory
        return settings
    }
}
