import Foundation

/// Rankings of departments or territories by one rate (排名): highest first; equal rates share a
/// rank and the next rank skips (1, 2, 2, 4); groups with nothing counted for the rate are not
/// ranked but listed apart, since 0 of 0 is neither good nor bad.
public enum FigureRanking {
    /// One ranked group.
    public struct Entry: Sendable, Hashable, Codable {
        public var rank: Int
        public var key: String
        public var name: String
        public var rate: FigureRate
    }

    /// `groups` ranked by `kind`: the ranked ones and the keys of those with nothing to rank.
    public static func rank(_ groups: [FigureGroup], by kind: FigureRate.Kind) -> (ranked: [Entry], unranked: [String]) {
        let rated = groups.map { ($0, $0.counts.rate(kind)) }
        let counted = rated.filter { $0.1.value != nil }.sorted { a, b in
            let (x, y) = (a.1, b.1)
            // Compare fractions exactly (cross-multiplied), not as rounded doubles.
            let left = x.numerator * y.denominator
            let right = y.numerator * x.denominator
            if left != right { return left > right }
            if x.denominator != y.denominator { return x.denominator > y.denominator }
            return a.0.key < b.0.key
        }
        var entries: [Entry] = []
        for (index, (group, rate)) in counted.enumerated() {
            var rank = index + 1
            if let previous = entries.last, previous.rate.numerator * rate.denominator == rate.numerator * previous.rate.denominator {
                rank = previous.rank
            }
            entries.append(Entry(rank: rank, key: group.key, name: group.name, rate: rate))
        }
        return (entries, rated.filter { $0.1.value == nil }.map(\.0.key))
    }
}
