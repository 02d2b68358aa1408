import Foundation

/// A reproducible random draw (双随机): the same seed and candidates give the same sample, so
/// anyone can re-run it and see it was not chosen by hand.
///
/// The algorithm, to re-implement elsewhere: sort the candidates (byte order of their UTF-8);
/// seed SplitMix64 with the FNV-1a 64-bit hash of the seed's UTF-8 bytes; for i in 0..<count,
/// draw j = i + (next() mod (n − i)) and swap candidates i and j; the sample is the first
/// `count`. (`next()`: state += 0x9E3779B97F4A7C15; z = state; z = (z ^ (z >> 30)) ×
/// 0xBF58476D1CE4E5B9; z = (z ^ (z >> 27)) × 0x94D049BB133111EB; return z ^ (z >> 31), all mod 2⁶⁴.)
public enum SpotDraw {
    public static func draw(_ candidates: [String], count: Int, seed: String) -> [String] {
        var pool = Array(Set(candidates)).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        var generator = SplitMix64(seed: fnv1a(seed))
        let take = min(max(count, 0), pool.count)
        for i in 0..<take {
            let j = i + Int(generator.next() % UInt64(pool.count - i))
            pool.swapAt(i, j)
        }
        return Array(pool.prefix(take))
    }

    /// FNV-1a, 64 bits, over the UTF-8 bytes.
    public static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    /// A fresh seed for a draw made now: 16 random bytes as hex (kept with the draw).
    public static func freshSeed() -> String {
        var generator = SystemRandomNumberGenerator()
        return HexDigits.lowercase((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }
}
