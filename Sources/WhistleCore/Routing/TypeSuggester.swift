import Foundation

/// Ranks a list's issue types against a free-text description, for a person to confirm.
///
/// Every name, alias and keyword of a type is a term. A term's coverage is the share of its
/// character pairs (weighted by how rare the pair is across the list) that the description
/// contains; a type's score combines its terms' coverages, names and aliases counting more than
/// keywords: `1 − Π(1 − weight × coverage)`. Simplified and Traditional characters are the same.
public struct TypeSuggester: Sendable {
    /// A candidate type with its score (0…1) and the terms that matched.
    public struct Suggestion: Sendable, Hashable, Encodable {
        public var code: String
        public var name: String
        public var score: Double
        public var matched: [String]
    }

    private struct Term: Sendable {
        var text: String
        var weight: Double
        var pairs: [UInt64]
        var mass: Double
    }

    private let codes: [String]
    private let names: [String]
    private var terms: [[Term]] = []
    private var postings: [UInt64: [Int32]] = [:]
    private let rarities: [UInt64: Double]

    public init(list: LiabilityList) {
        codes = list.types.map(\.code)
        names = list.types.map(\.name)
        var raw: [[(String, Double, [UInt64])]] = []
        var frequency: [UInt64: Int] = [:]
        for type in list.types {
            var typeTerms: [(String, Double, [UInt64])] = []
            var typePairs = Set<UInt64>()
            for (texts, weight) in [([type.name], 0.9), (type.aliases, 0.9), (type.keywords, 0.6)] {
                for text in texts {
                    let key = ChineseText.matchingKey(text)
                    // Characters as well as pairs: residents say 私自搭了 for 私搭乱建.
                    let pairs = Array(Set(Self.pairs(of: key) + Self.characters(of: key)))
                    guard !pairs.isEmpty else { continue }
                    typeTerms.append((text, weight, pairs))
                    typePairs.formUnion(pairs)
                }
            }
            for pair in typePairs { frequency[pair, default: 0] += 1 }
            raw.append(typeTerms)
        }
        // A pair's weight: rarer across the list counts more; a single character half as much as a pair.
        let count = Double(max(list.types.count, 1))
        let rarities = frequency.mapValues { log(1 + count / Double($0)) }.reduce(into: [UInt64: Double]()) { result, entry in
            result[entry.key] = entry.key & Self.characterFlag != 0 ? entry.value / 2 : entry.value
        }
        for (index, typeTerms) in raw.enumerated() {
            terms.append(
                typeTerms.map { text, weight, pairs in
                    Term(text: text, weight: weight, pairs: pairs, mass: pairs.reduce(0) { $0 + (rarities[$1] ?? 0) })
                })
            for pair in Set(typeTerms.flatMap(\.2)) { postings[pair, default: []].append(Int32(index)) }
        }
        self.rarities = rarities
    }

    /// Pairs of adjacent characters (and single characters, so one-character terms can match).
    static func pairs(of key: String) -> [UInt64] {
        let scalars = key.unicodeScalars.filter { !CharacterSet.punctuationCharacters.contains($0) && !CharacterSet.symbols.contains($0) }
        var result: [UInt64] = []
        var previous: UInt32?
        for scalar in scalars {
            if let previous { result.append(UInt64(previous) << 32 | UInt64(scalar.value)) }
            previous = scalar.value
        }
        if scalars.count == 1, let only = scalars.first { result.append(UInt64(only.value)) }
        return result
    }

    /// Single characters, as features that weigh half a pair (see `suggest`).
    static func characters(of key: String) -> [UInt64] {
        key.unicodeScalars.filter { !CharacterSet.punctuationCharacters.contains($0) && !CharacterSet.symbols.contains($0) }
            .map { UInt64($0.value) | Self.characterFlag }
    }

    static let characterFlag: UInt64 = 1 << 63

    /// The best `limit` types for `description`, best first; types that share nothing are left out.
    public func suggest(_ description: String, limit: Int = 5) -> [Suggestion] {
        let key = ChineseText.matchingKey(description)
        var present = Set(Self.pairs(of: key))
        for scalar in key.unicodeScalars { present.insert(UInt64(scalar.value)) }
        present.formUnion(Self.characters(of: key))
        var candidates = Set<Int32>()
        for pair in present { if let types = postings[pair] { candidates.formUnion(types) } }
        var results: [Suggestion] = []
        for candidate in candidates {
            var miss = 1.0
            var matched: [String] = []
            for term in terms[Int(candidate)] where term.mass > 0 {
                let found = term.pairs.reduce(0.0) { present.contains($1) ? $0 + (rarities[$1] ?? 0) : $0 }
                let coverage = found / term.mass
                miss *= 1 - term.weight * coverage
                if coverage >= 0.5 && !matched.contains(term.text) { matched.append(term.text) }
            }
            let score = 1 - miss
            if score > 0.05 {
                results.append(Suggestion(code: codes[Int(candidate)], name: names[Int(candidate)], score: (score * 1000).rounded() / 1000, matched: matched))
            }
        }
        results.sort { ($0.score, $1.code) > ($1.score, $0.code) }
        return Array(results.prefix(limit))
    }
}
