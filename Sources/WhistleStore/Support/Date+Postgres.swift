import Foundation

extension Date {
    /// The moment as PostgreSQL keeps it (whole microseconds), so what is answered before a
    /// write and what is read after it are the same.
    var postgresPrecision: Date {
        Date(timeIntervalSince1970: (timeIntervalSince1970 * 1_000_000).rounded() / 1_000_000)
    }

    /// Microseconds since the Unix epoch: how `whistle_intake` takes moments in JSON, exactly.
    var unixMicroseconds: Int64 { Int64((timeIntervalSince1970 * 1_000_000).rounded()) }
}
