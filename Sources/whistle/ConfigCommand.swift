import ArgumentParser
import Foundation
import WhistleStore

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Work with the configuration folder.", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check", abstract: "Validate a configuration folder without a database; every problem is printed as file:line:column: reason.")

        @Argument(help: "The configuration folder (default: config).")
        var directory: String?

        func run() async throws {
            try await reportingFailures {
                var common = try CommonOptions.parse([])
                common.config = directory
                let config = try common.readConfiguration()
                for tenant in config.tenants {
                    let d = tenant.directory
                    print(
                        "ok  \(d.tenant.code)  \(d.tenant.name): \(d.territories.count) territories, \(d.compounds.count) compounds, \(d.departments.count) departments; ladder \(tenant.escalation.rectify.map(\.action.chineseName).joined(separator: " → "))"
                            + tenant.campaigns.map { "; campaign \($0.code) (\($0.phases.count) phases, \($0.targets.count) targets\($0.monthlyReport.map { ", report on day \($0.day)" } ?? ""))" }.joined()
                    )
                }
                for name in config.calendars.keys.sorted() {
                    let calendar = config.calendars[name]!
                    let years = calendar.coveredYears.map { "\($0.lowerBound)–\($0.upperBound)" } ?? "no years"
                    print("ok  calendar \(name)  \(calendar.name): \(years)")
                }
                for warning in config.calendarWarnings(now: Date()) + config.channelWarnings(environment: ProcessInfo.processInfo.environment)
                    + config.rosterWarnings(now: Date())
                {
                    printError("warning: \(warning)")
                }
                print("configuration is valid: \(config.tenants.count) tenant(s), \(config.calendars.count) calendar(s)")
            }
        }
    }
}
