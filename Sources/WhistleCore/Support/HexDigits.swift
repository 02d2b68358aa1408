/// Bytes as lowercase hex, two digits a byte: token hashes, checksums, signatures, seeds.
///
/// Written out by hand: `String(format: "%02x")` per byte cost about 5% of the daemon's CPU
/// on every authenticated request (the token's hash).
public enum HexDigits {
    private static let digits = Array("0123456789abcdef".utf8)

    public static func lowercase(_ bytes: some Sequence<UInt8>) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
