import Crypto
import Foundation
import WhistleCore

/// SHA-256 of `bytes` as 64 lowercase hex digits: checksums of files, token hashes, photo keys.
func sha256Hex(_ bytes: some DataProtocol) -> String {
    HexDigits.lowercase(SHA256.hash(data: bytes))
}
