import Foundation

/// A ZIP archive written as it goes (entries stored, not compressed): each call returns the
/// bytes to send next, so an archive of any size never sits in memory. Sizes and CRC-32 follow
/// each entry in a data descriptor; the central directory comes at the end (APPNOTE 6.3).
public struct ZipStream: Sendable {
    struct Entry {
        var name: [UInt8]
        var offset: UInt32
        var crc: UInt32
        var size: UInt32
    }

    private var entries: [Entry] = []
    private var offset: UInt32 = 0
    private var current: Entry?

    public init() {}

    /// The local header of a new entry.
    public mutating func begin(_ name: String) -> [UInt8] {
        let bytes = Array(name.utf8)
        current = Entry(name: bytes, offset: offset, crc: 0, size: 0)
        var out: [UInt8] = []
        out.le32(0x0403_4b50)
        out.le16(20)  // version needed
        out.le16(0x0808)  // data descriptor follows; names are UTF-8
        out.le16(0)  // stored
        out.le16(0)
        out.le16(0x21)  // 1980-01-01
        out.le32(0)
        out.le32(0)
        out.le32(0)
        out.le16(UInt16(bytes.count))
        out.le16(0)
        out += bytes
        offset &+= UInt32(out.count)
        return out
    }

    /// Data of the current entry, passed through (its CRC and size are counted).
    public mutating func write(_ data: [UInt8]) -> [UInt8] {
        if var entry = current {
            entry.crc = CRC32.update(entry.crc, data)
            entry.size &+= UInt32(data.count)
            current = entry
        }
        offset &+= UInt32(data.count)
        return data
    }

    /// The data descriptor that ends the current entry.
    public mutating func end() -> [UInt8] {
        guard let entry = current else { return [] }
        var out: [UInt8] = []
        out.le32(0x0807_4b50)
        out.le32(entry.crc)
        out.le32(entry.size)
        out.le32(entry.size)
        offset &+= UInt32(out.count)
        entries.append(entry)
        current = nil
        return out
    }

    /// The central directory and its end record.
    public mutating func finish() -> [UInt8] {
        var out: [UInt8] = []
        let start = offset
        for entry in entries {
            out.le32(0x0201_4b50)
            out.le16(20)
            out.le16(20)
            out.le16(0x0808)
            out.le16(0)
            out.le16(0)
            out.le16(0x21)
            out.le32(entry.crc)
            out.le32(entry.size)
            out.le32(entry.size)
            out.le16(UInt16(entry.name.count))
            out.le16(0)
            out.le16(0)
            out.le16(0)
            out.le16(0)
            out.le32(0)
            out.le32(entry.offset)
            out += entry.name
        }
        let size = UInt32(out.count)
        out.le32(0x0605_4b50)
        out.le16(0)
        out.le16(0)
        out.le16(UInt16(entries.count))
        out.le16(UInt16(entries.count))
        out.le32(size)
        out.le32(start)
        out.le16(0)
        return out
    }
}

/// CRC-32 (IEEE 802.3), as ZIP uses it.
public enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    public static func update(_ crc: UInt32, _ data: [UInt8]) -> UInt32 {
        var c = ~crc
        for byte in data { c = table[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
        return ~c
    }
}

extension [UInt8] {
    mutating func le16(_ value: UInt16) { append(UInt8(value & 0xFF)); append(UInt8(value >> 8)) }
    mutating func le32(_ value: UInt32) { for shift in stride(from: 0, to: 32, by: 8) { append(UInt8((value >> UInt32(shift)) & 0xFF)) } }
}
