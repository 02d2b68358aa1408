import Foundation

/// One row of a figures table: a department, territory, community, compound, issue type or
/// month, with its counts.
public struct FigureGroup: Sendable, Hashable, Codable {
    public var key: String
    public var name: String
    public var counts: FigureCounts

    public init(key: String, name: String, counts: FigureCounts) {
        self.key = key
        self.name = name
        self.counts = counts
    }

    /// Groups rolled up into their parents (compounds into communities or territories): each
    /// parent's counts are the sum of its children's. Children without a parent are left out;
    /// parents come in the order `parents` lists them, those with no child included with zero counts.
    public static func rollUp(_ children: [FigureGroup], into parents: [(key: String, name: String)], parentOf: (String) -> String?) -> [FigureGroup] {
        var sums: [String: FigureCounts] = [:]
        for child in children {
            guard let parent = parentOf(child.key) else { continue }
            sums[parent] = (sums[parent] ?? FigureCounts()) + child.counts
        }
        return parents.map { FigureGroup(key: $0.key, name: $0.name, counts: sums[$0.key] ?? FigureCounts()) }
    }

    /// The sum of every group's counts.
    public static func total(_ groups: [FigureGroup]) -> FigureCounts {
        groups.reduce(FigureCounts()) { $0 + $1.counts }
    }
}
