import Crypto
import Foundation

/// SHA-256 of `bytes` as 64 lowercase hex digits: checksums of files, token hashes, photo keys.
func sha256Hex(_ bytes: some DataProtocol) -> String {
    SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
}
