import Foundation

/// Text comparison that ignores what a spreadsheet or a typist varies and a reader does not notice.
public enum ChineseText {
    /// The form two names are compared in: Simplified characters, half-width letters, digits and
    /// brackets, lowercase, without whitespace. `縣住建局` and `县住建局`, `各鄉鎮（街道）` and
    /// `各乡镇(街道)` have the same key.
    public static func matchingKey(_ text: String) -> String {
        var result = simplified(text)
        if let half = result.applyingTransform(.fullwidthToHalfwidth, reverse: false) {
            result = half
        }
        result = result.lowercased()
        result.unicodeScalars.removeAll { CharacterSet.whitespacesAndNewlines.contains($0) || $0 == "\u{3000}" }
        return result
    }

    /// `text` in Simplified characters (ICU's Traditional-Simplified transform); ASCII is returned as is.
    public static func simplified(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value >= 0x2E80 }) else { return text }
        return text.applyingTransform(StringTransform(rawValue: "Traditional-Simplified"), reverse: false) ?? text
    }
}
