#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Text as spreadsheets save it: UTF-8 with or without a byte-order mark, or GB18030 (which
/// includes GBK and GB2312) as Excel saves "CSV" on a Chinese Windows.
public enum SpreadsheetText {
    public enum Encoding: String, Sendable, CaseIterable {
        case utf8 = "utf-8"
        case gb18030
    }

    public enum DecodingError: Error, Sendable, Hashable, CustomStringConvertible {
        /// The bytes are neither UTF-8 nor GB18030; the offset of the first that is not.
        case undecodable(Encoding, offset: Int)

        public var description: String {
            switch self {
            case .undecodable(let encoding, let offset):
                return "the file is not \(encoding.rawValue) text (byte \(offset + 1) cannot be read); save it as CSV UTF-8 or as CSV from a Chinese Excel"
            }
        }
    }

    /// Decodes `data`, detecting the encoding unless `encoding` is given: a UTF-8 byte-order mark or
    /// valid UTF-8 means UTF-8; anything else is read as GB18030.
    public static func decode(_ data: Data, encoding: Encoding? = nil) throws(DecodingError) -> (text: String, encoding: Encoding) {
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        if encoding != .gb18030 {
            if let text = String(validating: bytes, as: UTF8.self) { return (text, .utf8) }
            if encoding == .utf8 {
                var iterator = bytes.makeIterator()
                var decoder = UTF8()
                var offset = 0
                loop: while true {
                    switch decoder.decode(&iterator) {
                    case .scalarValue(let scalar): offset += String(scalar).utf8.count
                    case .emptyInput: break loop
                    case .error: break loop
                    }
                }
                throw .undecodable(.utf8, offset: offset)
            }
        }
        return (try gb18030(bytes), .gb18030)
    }

    private static func gb18030(_ bytes: [UInt8]) throws(DecodingError) -> String {
        switch convert(bytes, from: "GB18030", to: "UTF-8") {
        case .success(let output): return String(decoding: output, as: UTF8.self)
        case .failure(let offset): throw .undecodable(.gb18030, offset: offset)
        }
    }

    /// `text` in GB18030, for tests and for exports to old Excel versions.
    public static func encodeGB18030(_ text: String) -> Data? {
        if case .success(let output) = convert(Array(text.utf8), from: "UTF-8", to: "GB18030") { return Data(output) }
        return nil
    }

    private enum Conversion {
        case success([UInt8])
        /// The offset of the first byte that could not be converted.
        case failure(Int)
    }

    private static func convert(_ bytes: [UInt8], from source: String, to target: String) -> Conversion {
        let converter = iconv_open(target, source)
        guard converter != iconv_t(bitPattern: -1) else { return .failure(0) }
        defer { iconv_close(converter) }
        var input = bytes
        // GB18030 takes at most 4 bytes per character and UTF-8 at most 4, against at least 1 and 2.
        var output = [UInt8](repeating: 0, count: bytes.count * 4 + 16)
        var inLeft = input.count
        var outLeft = output.count
        let failed = input.withUnsafeMutableBufferPointer { inBuffer -> Bool in
            output.withUnsafeMutableBufferPointer { outBuffer -> Bool in
                var inPointer = UnsafeMutableRawPointer(inBuffer.baseAddress)?.assumingMemoryBound(to: CChar.self)
                var outPointer = UnsafeMutableRawPointer(outBuffer.baseAddress)?.assumingMemoryBound(to: CChar.self)
                return iconv(converter, &inPointer, &inLeft, &outPointer, &outLeft) == -1
            }
        }
        if failed || inLeft > 0 { return .failure(bytes.count - inLeft) }
        return .success(Array(output[0..<(output.count - outLeft)]))
    }
}
