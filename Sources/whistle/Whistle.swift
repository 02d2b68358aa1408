import ArgumentParser

/// The `whistle` command line: a thin layer that builds the daemon's parts from its arguments.
@main
struct Whistle: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "whistle",
        abstract: "社区吹哨、部门报到 — routes residential-compound problems to departments and enforces their deadlines.",
        version: WhistleVersion.string,
        subcommands: [ServeCommand.self, MigrateCommand.self, ConfigCommand.self, ListsCommand.self, RouteCommand.self, TokensCommand.self, LedgerCommand.self, CalendarCommand.self, BenchCommand.self, VersionCommand.self],
        defaultSubcommand: nil
    )
}

enum WhistleVersion {
    static let string = "0.1.0"
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version.")

    func run() {
        print("whistle \(WhistleVersion.string)")
    }
}
