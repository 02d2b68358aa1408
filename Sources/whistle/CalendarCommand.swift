import ArgumentParser
import Foundation
import WhistleCore
import WhistleStore

struct CalendarCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calendar", abstract: "Ask the working-day calendars of the configuration folder.",
        subcommands: [AddWorkdays.self, IsWorkday.self, Between.self])

    /// Which calendar: a named one of `calendars/`, or a tenant's (its calendar with its local days).
    struct Selection: ParsableArguments {
        @Option(name: .long, help: "A calendar of the configuration's calendars/ folder (default: cn).")
        var calendar: String?

        @Option(name: .long, help: "Use this tenant's calendar, its local days off and on included.")
        var tenant: String?

        @Option(name: .long, help: "The configuration folder (env WHISTLE_CONFIG_DIR; default: config).")
        var config: String?

        func resolve() throws -> WorkCalendar {
            var common = try CommonOptions.parse([])
            common.config = config
            let configuration = try common.readConfiguration()
            if let tenant {
                guard let calendar = configuration.calendar(for: tenant) else {
                    throw CommandFailure("no tenant '\(tenant)' in \(common.configDirectory.path) (tenants: \(configuration.tenants.map(\.directory.tenant.code).joined(separator: ", ")))")
                }
                return calendar
            }
            let name = calendar ?? "cn"
            guard let calendar = configuration.calendars[name] else {
                throw CommandFailure("no calendar '\(name)' (calendars: \(configuration.calendars.keys.sorted().joined(separator: ", ")))")
            }
            return calendar
        }
    }

    static func moment(_ text: String, option: String, calendar: WorkCalendar) throws -> Date {
        guard let moment = ISOMoment.parse(text, in: calendar.timeZone) else {
            throw CommandFailure("\(option) '\(text)' is not an ISO 8601 moment such as 2026-09-30T17:30:00+08:00 or 2026-09-30")
        }
        return moment
    }

    struct AddWorkdays: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-workdays",
            abstract: "Print the deadline N working days after a moment (same clock time on the Nth working day; a day off counts from the next working day's start).")

        @OptionGroup var selection: Selection

        @Option(name: .long, help: "The moment counted from, ISO 8601; without an offset it is read in the calendar's time zone.")
        var from: String

        @Option(name: .long, help: "How many working days.")
        var days: Int

        func run() async throws {
            try await reportingFailures {
                let calendar = try selection.resolve()
                let start = try CalendarCommand.moment(from, option: "--from", calendar: calendar)
                let due = try calendar.addWorkingDays(from: start, days: days)
                print(ISOMoment.format(due, in: calendar.timeZone))
            }
        }
    }

    struct IsWorkday: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "is-workday", abstract: "Print true or false: is DATE a working day?")

        @OptionGroup var selection: Selection

        @Argument(help: "A date, YYYY-MM-DD.")
        var date: String

        func run() async throws {
            try await reportingFailures {
                let calendar = try selection.resolve()
                guard let day = CivilDate(date) else { throw CommandFailure("'\(date)' is not a date of the form YYYY-MM-DD") }
                print(try calendar.isWorkingDay(day) ? "true" : "false")
            }
        }
    }

    struct Between: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "between", abstract: "Print the number of working days between two moments.")

        @OptionGroup var selection: Selection

        @Option(name: .long, help: "The earlier moment, ISO 8601.")
        var from: String

        @Option(name: .long, help: "The later moment, ISO 8601.")
        var to: String

        func run() async throws {
            try await reportingFailures {
                let calendar = try selection.resolve()
                let start = try CalendarCommand.moment(from, option: "--from", calendar: calendar)
                let end = try CalendarCommand.moment(to, option: "--to", calendar: calendar)
                print(try calendar.workingDays(between: start, and: end))
            }
        }
    }
}
