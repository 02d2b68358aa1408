import Testing
@testable import WhistleCore

@Suite("Multipart bodies and image sniffing")
struct MultipartTests {
    static func body(boundary: String, parts: [(name: String, filename: String?, type: String?, data: [UInt8])]) -> [UInt8] {
        var body: [UInt8] = []
        for part in parts {
            body += Array("--\(boundary)\r\n".utf8)
            var disposition = "Content-Disposition: form-data; name=\"\(part.name)\""
            if let filename = part.filename { disposition += "; filename=\"\(filename)\"" }
            body += Array("\(disposition)\r\n".utf8)
            if let type = part.type { body += Array("Content-Type: \(type)\r\n".utf8) }
            body += Array("\r\n".utf8) + part.data + Array("\r\n".utf8)
        }
        return body + Array("--\(boundary)--\r\n".utf8)
    }

    @Test("parts keep their names, file names and exact bytes, line breaks included")
    func parses() throws {
        let binary: [UInt8] = [0xFF, 0xD8, 0xFF, 0x0D, 0x0A, 0x2D, 0x2D, 0x00, 0x42]
        let body = Self.body(boundary: "XyZ", parts: [("photo", "楼道.jpg", "image/jpeg", binary), ("note", nil, nil, Array("说明".utf8))])
        let parts = try Multipart.parse(body, boundary: "XyZ")
        #expect(parts.count == 2)
        #expect(parts[0].name == "photo")
        #expect(parts[0].filename == "楼道.jpg")
        #expect(parts[0].contentType == "image/jpeg")
        #expect(parts[0].data == binary)
        #expect(String(decoding: parts[1].data, as: UTF8.self) == "说明")
        #expect(Multipart.boundary(contentType: "multipart/form-data; boundary=\"XyZ\"") == "XyZ")
        #expect(Multipart.boundary(contentType: "application/json") == nil)
        #expect(throws: Multipart.Error.self) { try Multipart.parse(Array("no boundary here".utf8), boundary: "XyZ") }
        #expect(throws: Multipart.Error.self) { try Multipart.parse(Array("--XyZ\r\nContent-Disposition: form-data\r\n\r\nx".utf8), boundary: "XyZ") }
    }

    @Test("JPEG, PNG and WebP are recognised by their bytes; anything else is not an image")
    func sniffs() {
        #expect(ImageKind.sniff([0xFF, 0xD8, 0xFF, 0xE0]) == .jpeg)
        #expect(ImageKind.sniff([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0]) == .png)
        #expect(ImageKind.sniff(Array("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8)) == .webp)
        #expect(ImageKind.sniff(Array("GIF89a".utf8)) == nil)
        #expect(ImageKind.sniff(Array("<svg xmlns=".utf8)) == nil)
        #expect(ImageKind.sniff([]) == nil)
    }
}
