import ArgumentParser
import Foundation
import WhistleCore
import WhistleStore

/// `whistle bench route`: route issues against a list of 1,000 issue types, and suggest types from text.
struct BenchRoute: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route",
        abstract: "Route issues against a liability list of N issue types (route_per_issue) and rank types for descriptions (suggest_per_description).")

    @Option(name: .long, help: "Issue types in the generated list.")
    var types: Int = 1_000

    @Option(name: .long, help: "Issues routed per round (the median round is reported).")
    var issues: Int = 1_000_000

    @Option(name: .long, help: "Rounds.")
    var rounds: Int = 5

    @Option(name: .long, help: "The tenant whose directory and sample list are used.")
    var tenant: String = "yongning"

    @Option(name: .long, help: "The configuration folder (default: config).")
    var config: String = "config"

    func run() throws {
        BenchCommand.warnIfDebug()
        let configuration: ConfigDirectory
        do {
            configuration = try ConfigDirectory.read(URL(fileURLWithPath: config))
        } catch {
            throw CommandFailure(error.description)
        }
        guard let files = configuration.tenant(tenant), let sample = files.lists.versions.last else {
            throw CommandFailure("tenant '\(tenant)' has no liability list in \(config)")
        }
        let list = Self.syntheticList(from: sample, directory: files.directory, count: types)
        let router = IssueRouter(directory: files.directory, catalog: try LiabilityCatalog([list]), deadlines: files.deadlines)
        let compounds = files.directory.compounds.map(\.compound.code)
        var generator = SplitMix64(seed: 20_261_123)
        let inputs = (0..<4096).map { _ in
            (list.types[Int.random(in: 0..<list.types.count, using: &generator)].code, compounds[Int.random(in: 0..<compounds.count, using: &generator)])
        }
        let reportedAt = list.effective.start(in: TimeZone(identifier: files.directory.tenant.timeZone)!).addingTimeInterval(86_400 * 30)
        BenchCommand.progress("\(list.types.count) issue types, \(compounds.count) compounds, \(issues) issues × \(rounds) rounds")
        var perIssue: [Double] = []
        var tasks = 0
        for _ in 0..<rounds {
            let start = DispatchTime.now().uptimeNanoseconds
            for index in 0..<issues {
                let (type, compound) = inputs[index & 4095]
                if case .routed(let plan) = try router.route(type: type, compound: compound, reportedAt: reportedAt) {
                    tasks &+= plan.tasks.count
                }
            }
            perIssue.append(Double(DispatchTime.now().uptimeNanoseconds - start) / Double(issues))
        }
        precondition(tasks > 0)
        perIssue.sort()
        BenchCommand.progress("round medians (ns): \(perIssue.map { String(format: "%.0f", $0) }.joined(separator: ", "))")
        BenchCommand.figure("route_per_issue", perIssue[perIssue.count / 2] / 1000, "µs", decimals: 3)

        // Suggestion from free text against the sample list, as an office triages.
        let suggester = TypeSuggester(list: sample)
        let descriptions = sample.types.map { type in "居民反映：\(type.keywords.prefix(2).joined(separator: "，"))，\(type.name.prefix(8))，请尽快处理" }
        let count = 20_000
        let start = DispatchTime.now().uptimeNanoseconds
        var found = 0
        for index in 0..<count {
            found &+= suggester.suggest(descriptions[index % descriptions.count], limit: 5).count
        }
        precondition(found > 0)
        let perDescription = Double(DispatchTime.now().uptimeNanoseconds - start) / Double(count)
        BenchCommand.figure("suggest_per_description", perDescription / 1000, "µs", decimals: 1)
    }

    /// `count` issue types cycling through the sample's entries, each with its own code, so the
    /// routes are those of real entries and the table is the size of a city's list.
    static func syntheticList(from sample: LiabilityList, directory: Directory, count: Int) -> LiabilityList {
        var types: [IssueType] = []
        types.reserveCapacity(count)
        for index in 0..<count {
            var type = sample.types[index % sample.types.count]
            type.code = "bench-\(index)"
            type.name += " \(index)"
            types.append(type)
        }
        return LiabilityList(version: "bench", effective: sample.effective, title: "bench", source: "bench", types: types)
    }
}
