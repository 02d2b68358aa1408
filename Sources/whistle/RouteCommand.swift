import ArgumentParser
import Foundation
import WhistleCore
import WhistleStore

/// `whistle route …`: ask the router without writing anything.
struct RouteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route", abstract: "Explain how an issue would be routed, or suggest its type from a description.",
        subcommands: [Explain.self, Suggest.self])

    struct Tenant: ParsableArguments {
        @Option(name: .long, help: "The tenant.")
        var tenant: String

        @Option(name: .long, help: "The configuration folder (env WHISTLE_CONFIG_DIR; default: config).")
        var config: String?

        func load() throws -> (ConfigDirectory, IssueRouter) {
            var common = CommonOptions()
            common.config = config
            let configuration = try common.readConfiguration()
            guard let router = configuration.router(for: tenant) else {
                throw CommandFailure("no tenant '\(tenant)' (tenants: \(configuration.tenants.map(\.directory.tenant.code).joined(separator: ", ")))")
            }
            return (configuration, router)
        }
    }

    struct Explain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "explain",
            abstract: "Print, as JSON, the departments an issue would be routed to, with the list version, entry and rule behind each and their deadlines.")

        @OptionGroup var tenant: Tenant

        @Option(name: .long, help: "The issue type's code (omit for an unclassified issue).")
        var type: String?

        @Option(name: .long, help: "The compound's code.")
        var compound: String

        @Option(name: .long, help: "When the issue was reported (ISO 8601; default: now); it picks the list version in force.")
        var at: String?

        func run() async throws {
            try await reportingFailures {
                let (configuration, router) = try tenant.load()
                let calendar = configuration.calendar(for: tenant.tenant)
                let zone = calendar?.timeZone ?? TimeZone(identifier: "Asia/Shanghai")!
                var moment = Date()
                if let at {
                    guard let parsed = ISOMoment.parse(at, in: zone) else {
                        throw CommandFailure("--at '\(at)' is not an ISO 8601 moment such as 2026-09-30T17:30:00+08:00")
                    }
                    moment = parsed
                }
                let decision: RoutingDecision
                do throws(RoutingError) {
                    decision = try router.route(type: type, compound: compound, reportedAt: moment)
                } catch {
                    throw CommandFailure(error.description)
                }
                let explanation: RouteExplanation
                do throws(DeadlineError) {
                    explanation = try RouteExplanation(
                        decision, router: router, compound: compound, reportedAt: moment,
                        policy: calendar.map { DeadlinePolicy(calendar: $0, defaults: router.deadlines.defaults) }, dispatchedAt: moment)
                } catch {
                    throw CommandFailure("deadlines: \(error.description)")
                }
                print(String(decoding: explanation.json(), as: UTF8.self))
            }
        }
    }

    struct Suggest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "suggest", abstract: "Rank the issue types of the list in force by a free-text description; a person confirms.")

        @OptionGroup var tenant: Tenant

        @Argument(help: "The description, as the resident or inspector wrote it.")
        var description: String

        @Option(name: .long, help: "How many candidates.")
        var limit: Int = 5

        func run() async throws {
            try await reportingFailures {
                let (_, router) = try tenant.load()
                guard let list = router.catalog.version(on: CivilDate(Date(), in: TimeZone(identifier: router.directory.tenant.timeZone) ?? .current)) else {
                    throw CommandFailure("tenant '\(tenant.tenant)' has no liability list in force today")
                }
                let suggestions = TypeSuggester(list: list).suggest(description, limit: limit)
                if suggestions.isEmpty { print("no issue type of list \(list.version) matches; the issue goes to triage") }
                for suggestion in suggestions {
                    print("\(String(format: "%.3f", suggestion.score))  \(suggestion.code)  \(suggestion.name)  [\(suggestion.matched.joined(separator: "、"))]")
                }
            }
        }
    }
}
