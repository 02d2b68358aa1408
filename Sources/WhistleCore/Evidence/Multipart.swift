/// `multipart/form-data` bodies (RFC 7578), as phones and browsers upload photos.
public enum Multipart {
    public struct Part: Sendable, Hashable {
        public var name: String
        public var filename: String?
        public var contentType: String?
        public var data: [UInt8]
    }

    public enum Error: Swift.Error, Sendable, Hashable, CustomStringConvertible {
        case noBoundary
        case malformed(String)

        public var description: String {
            switch self {
            case .noBoundary: return "Content-Type 须为 multipart/form-data 并带 boundary"
            case .malformed(let reason): return "multipart 格式有误:\(reason)"
            }
        }
    }

    /// The boundary of a `multipart/form-data; boundary=…` content type.
    public static func boundary(contentType: String) -> String? {
        let parts = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.first?.lowercased() == "multipart/form-data" else { return nil }
        for part in parts.dropFirst() where part.lowercased().hasPrefix("boundary=") {
            var value = String(part.dropFirst("boundary=".count))
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value.isEmpty || value.count > 70 ? nil : value
        }
        return nil
    }

    /// The parts of `body`, in order.
    public static func parse(_ body: [UInt8], boundary: String) throws(Multipart.Error) -> [Part] {
        let delimiter = Array("--\(boundary)".utf8)
        guard var position = find(delimiter, in: body, from: 0) else { throw .malformed("找不到分隔符") }
        var parts: [Part] = []
        while true {
            position += delimiter.count
            // "--" after a delimiter ends the body.
            if body.count >= position + 2, body[position] == 45, body[position + 1] == 45 { return parts }
            guard body.count >= position + 2, body[position] == 13, body[position + 1] == 10 else { throw .malformed("分隔符后缺少换行") }
            position += 2
            guard let headerEnd = find([13, 10, 13, 10], in: body, from: position) else { throw .malformed("缺少头部结束标记") }
            let headers = String(decoding: body[position..<headerEnd], as: UTF8.self)
            let contentStart = headerEnd + 4
            guard let next = find([13, 10] + delimiter, in: body, from: contentStart) else { throw .malformed("缺少结束分隔符") }
            var name: String?
            var filename: String?
            var contentType: String?
            for line in headers.split(separator: "\r\n") {
                let pair = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard pair.count == 2 else { continue }
                switch pair[0].lowercased() {
                case "content-disposition":
                    name = parameter("name", in: pair[1])
                    filename = parameter("filename", in: pair[1])
                case "content-type":
                    contentType = pair[1]
                default:
                    break
                }
            }
            guard let name else { throw .malformed("部件缺少 name") }
            parts.append(Part(name: name, filename: filename, contentType: contentType, data: Array(body[contentStart..<next])))
            position = next + 2
        }
    }

    static func parameter(_ key: String, in header: String) -> String? {
        for item in header.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let pair = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, pair[0].lowercased() == key else { continue }
            var value = pair[1]
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value
        }
        return nil
    }

    /// The first index of `needle` in `haystack` at or after `start`.
    public static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count else { return nil }
        var index = start
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == needle[0] {
                var matched = true
                for offset in 1..<needle.count where haystack[index + offset] != needle[offset] {
                    matched = false
                    break
                }
                if matched { return index }
            }
            index += 1
        }
        return nil
    }
}

/// The image formats phones send, recognised by their first bytes, never by a declared type.
public enum ImageKind: String, Sendable, Hashable, CaseIterable {
    case jpeg, png, webp

    public var contentType: String {
        switch self {
        case .jpeg: return "image/jpeg"
        case .png: return "image/png"
        case .webp: return "image/webp"
        }
    }

    /// The format of `bytes`, or nil when they are not a JPEG, PNG or WebP image.
    public static func sniff(_ bytes: [UInt8]) -> ImageKind? {
        if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF { return .jpeg }
        if bytes.count >= 8, bytes.prefix(8).elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if bytes.count >= 12, bytes.prefix(4).elementsEqual(Array("RIFF".utf8)), bytes[8..<12].elementsEqual(Array("WEBP".utf8)) { return .webp }
        return nil
    }
}
