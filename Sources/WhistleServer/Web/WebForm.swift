import Foundation
import Hummingbird
import WhistleCore

/// The fields of a submitted form: `application/x-www-form-urlencoded`, or the text parts of
/// `multipart/form-data` (the photo upload) with its files kept aside.
struct WebForm: Sendable {
    var fields: [String: String] = [:]

    subscript(_ name: String) -> String? {
        fields[name]
    }

    /// A field with surrounding blanks removed; nil when empty.
    func text(_ name: String) -> String? {
        guard let value = fields[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    /// Forms carry at most this much (photos excepted: `WebRoutes.maxUploadBytes`).
    static let maxFormBytes = 64 * 1024

    /// Reads the form of `request`, whose body was already collected by the session middleware.
    static func read(_ request: Request, body: ByteBuffer) -> WebForm {
        let contentType = request.headers[.contentType] ?? ""
        let bytes = Array(body.readableBytesView)
        if let boundary = Multipart.boundary(contentType: contentType) {
            var form = WebForm()
            for part in (try? Multipart.parse(bytes, boundary: boundary)) ?? [] where part.filename == nil {
                form.fields[part.name] = String(decoding: part.data, as: UTF8.self)
            }
            return form
        }
        return WebForm(fields: urlEncoded(String(decoding: bytes, as: UTF8.self)))
    }

    /// `a=1&b=%E4%B8%AD+x` → ["a": "1", "b": "中 x"]; the first of a repeated name wins.
    static func urlEncoded(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let pieces = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            let name = decode(pieces[0])
            if fields[name] == nil { fields[name] = pieces.count > 1 ? decode(pieces[1]) : "" }
        }
        return fields
    }
}
