import Foundation
import Logging
import PostgresNIO
import WhistleCore

/// Counts the figures of issues reported in a period, grouped by department, territory,
/// community, compound, issue type or month: kept day cells where they are current, live
/// statements for the rest, a fixed number of statements whatever the number of groups;
/// territories and communities are compounds rolled up.
public struct FigureStore: Sendable {
    public let database: Database
    /// Whether whole days are summed from the kept day cells where they are current; `false`
    /// counts everything live from the issues, tasks and rungs (what the cells are tested against).
    public var usesKeptDays: Bool
    /// A kept day with at most this many issues changed since its refresh is read from its cells
    /// corrected by those issues; one with more is counted live as a whole.
    public var changedIssuesPerDay: Int

    public init(database: Database, usesKeptDays: Bool = true, changedIssuesPerDay: Int = 400) {
        self.database = database
        self.usesKeptDays = usesKeptDays
        self.changedIssuesPerDay = changedIssuesPerDay
    }

    /// What the figures are grouped by.
    public enum Dimension: String, Sendable, CaseIterable {
        case department, territory, community, compound, type, month

        /// The name users read.
        public var title: String {
            switch self {
            case .department: "部门"
            case .territory: "镇街"
            case .community: "社区"
            case .compound: "小区"
            case .type: "问题类型"
            case .month: "月份"
            }
        }
    }

    /// A table of figures: its groups and their total.
    public struct Table: Sendable {
        public var groups: [FigureGroup]
        /// Issues are counted once however many departments have a task on them (so the total of
        /// departments counts the issues with a task; tasks and rungs simply add up).
        public var total: FigureCounts
    }

    /// The groups of `dimension` for issues reported in `[from, to)`, with `now` deciding what is
    /// overdue and which acknowledge limits have passed. Every department, territory, community
    /// and compound of the directory is listed, with zero counts where nothing was reported;
    /// types and months only where something was.
    public func figures(
        by dimension: Dimension, tenant: String, routing: TenantRouting.Tenant, from: Date, to: Date, now: Date
    ) async throws -> [FigureGroup] {
        try await table(by: dimension, tenant: tenant, routing: routing, from: from, to: to, now: now).groups
    }

    /// `figures` with the total.
    ///
    /// Whole local days whose counts are kept (`figure_cells`, refreshed by `FigureRefresher`) are
    /// summed from the cells, less what the cells hold for the issues changed since (their facts
    /// at the refresh) plus those issues counted live; the rest of the period (its partial first
    /// and last days, days rebuilt or changed too much) is counted live, all in one snapshot, so
    /// the answer is the same as counting everything live.
    public func table(
        by dimension: Dimension, tenant: String, routing: TenantRouting.Tenant, from: Date, to: Date, now: Date
    ) async throws -> Table {
        let zone = routing.timeZone
        var firstDay = CivilDate(from, in: zone)
        if firstDay.start(in: zone) < from { firstDay = firstDay.adding(days: 1) }
        let endDay = CivilDate(to, in: zone)
        var tally = Tally()
        try await database.withTenantSnapshot(tenant) { connection in
            var live = [(from, to)]
            var changedIssues: [Int64] = []
            let logger = database.logger
            if usesKeptDays, firstDay < endDay, try await Self.keptZone(connection, logger: logger) == zone.identifier {
                let changes = try await Self.changes(connection, from: firstDay, to: endDay, issueLimit: changedIssuesPerDay, logger: logger)
                live = Self.liveRanges(from: from, to: to, keptFrom: firstDay, keptTo: endDay, changed: changes.wholeDays, zone: zone)
                changedIssues = changes.issues
                try await Self.addKept(
                    dimension, into: &tally, connection, source: .cells(wholeDays: changes.wholeDays, changedIssues: changedIssues),
                    from: firstDay, to: endDay, now: now, zone: zone, logger: logger)
                if !changedIssues.isEmpty {
                    try await Self.addKept(
                        dimension, into: &tally, connection, source: .facts(changedIssues), sign: -1, from: firstDay, to: endDay, now: now,
                        zone: zone, logger: logger)
                }
            }
            if !live.isEmpty || !changedIssues.isEmpty {
                try await Self.addLive(dimension, into: &tally, connection, ranges: live, issues: changedIssues, now: now, zone: zone, logger: logger)
            }
        }
        tally.settle()
        // Tasks and rungs belong to one group each: their total is the sum.
        var total = tally.counts.values.reduce(FigureCounts(), +)
        let issues = tally.issueTotal
        (total.received, total.issuesRectified, total.issuesClosed, total.returnVisits, total.satisfied) = (
            issues.received, issues.issuesRectified, issues.issuesClosed, issues.returnVisits, issues.satisfied
        )
        return Table(groups: Self.groups(dimension, counts: tally.counts, routing: routing), total: total)
    }

    /// Counts being summed: per group key, and the issues of the whole table (an issue with tasks
    /// of two departments is one issue of the department table's total).
    struct Tally {
        var counts: [String: FigureCounts] = [:]
        var issueTotal = FigureCounts()

        mutating func update(_ key: String, _ change: (inout FigureCounts) -> Void) {
            change(&counts[key, default: FigureCounts()])
        }

        /// After a correction took away what it added back elsewhere (an issue that changed its
        /// type, a rung of a withdrawn task): no empty groups or rungs, deductions in cents.
        mutating func settle() {
            for key in counts.keys {
                counts[key]!.escalations = counts[key]!.escalations.filter { $0.value != 0 }
                counts[key]!.deductions = (counts[key]!.deductions * 100).rounded() / 100
                if counts[key] == FigureCounts() { counts[key] = nil }
            }
        }
    }

    /// The parts of `[from, to)` counted live: the partial days at either end and the changed days.
    static func liveRanges(
        from: Date, to: Date, keptFrom: CivilDate, keptTo: CivilDate, changed: [CivilDate], zone: TimeZone
    ) -> [(Date, Date)] {
        var ranges: [(Date, Date)] = []
        func add(_ lower: Date, _ upper: Date) {
            guard lower < upper else { return }
            if let last = ranges.last, last.1 == lower {
                ranges[ranges.count - 1].1 = upper
            } else {
                ranges.append((lower, upper))
            }
        }
        add(from, keptFrom.start(in: zone))
        for day in changed.sorted() where day >= keptFrom && day < keptTo {
            add(day.start(in: zone), day.adding(days: 1).start(in: zone))
        }
        add(keptTo.start(in: zone), to)
        return ranges
    }

    /// Named groups in the directory's order (types and months sorted by key).
    static func groups(_ dimension: Dimension, counts: [String: FigureCounts], routing: TenantRouting.Tenant) -> [FigureGroup] {
        let directory = routing.directory
        let compounds = directory.compounds.map { FigureGroup(key: $0.compound.code, name: $0.compound.name, counts: counts[$0.compound.code] ?? FigureCounts()) }
        switch dimension {
        case .department:
            return directory.departments.map { FigureGroup(key: $0.code, name: $0.name, counts: counts[$0.code] ?? FigureCounts()) }
        case .compound:
            return compounds
        case .territory:
            let parent = Dictionary(directory.compounds.map { ($0.compound.code, $0.territory) }, uniquingKeysWith: { first, _ in first })
            return FigureGroup.rollUp(compounds, into: directory.territories.map { ($0.code, $0.name) }, parentOf: { parent[$0] })
        case .community:
            let parent = Dictionary(directory.compounds.map { ($0.compound.code, $0.community) }, uniquingKeysWith: { first, _ in first })
            let communities = directory.territories.flatMap { town in town.communities.map { ($0.code, $0.name) } }
            return FigureGroup.rollUp(compounds, into: communities, parentOf: { parent[$0] })
        case .type:
            return counts.keys.sorted().map { key in
                FigureGroup(key: key, name: key.isEmpty ? "未分类（待分派）" : routing.typeName(key) ?? key, counts: counts[key] ?? FigureCounts())
            }
        case .month:
            return counts.keys.sorted().map { FigureGroup(key: $0, name: $0, counts: counts[$0] ?? FigureCounts()) }
        }
    }
}

extension FigureCounts {
    /// Adds the issue counts of a statement's row: received, rectified, closed, return visits, satisfied.
    mutating func addIssues(_ r: (Int, Int, Int, Int, Int)) {
        received += r.0
        issuesRectified += r.1
        issuesClosed += r.2
        returnVisits += r.3
        satisfied += r.4
    }

    /// Adds the task counts of a statement's row: tasks, acknowledge decided, acknowledged in
    /// time, rectified, rectified in time, verified, closed.
    mutating func addTasks(_ r: (Int, Int, Int, Int, Int, Int, Int)) {
        tasks += r.0
        acknowledgeDecided += r.1
        acknowledgedInTime += r.2
        tasksRectified += r.3
        rectifiedInTime += r.4
        tasksVerified += r.5
        tasksClosed += r.6
    }
}
