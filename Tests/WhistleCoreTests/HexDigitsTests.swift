import Foundation
import Testing
import WhistleCore

@Suite("Hex digits")
struct HexDigitsTests {
    @Test("every byte prints as printf's %02x prints it, in order")
    func everyByte() {
        let bytes = (0...255).map(UInt8.init)
        #expect(HexDigits.lowercase(bytes) == bytes.map { String(format: "%02x", $0) }.joined())
        #expect(HexDigits.lowercase([0x0a, 0xf0]) == "0af0")
        #expect(HexDigits.lowercase([UInt8]()) == "")
    }
}
