import ArgumentParser
import Foundation
import Logging
import WhistleCore
import WhistleStore

/// `whistle tokens …`: credentials per person, bound to one tenant and one role.
struct TokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens", abstract: "Create, list and revoke API credentials (one per person: tenant, role, department).",
        discussion: """
            Works on the daemon's database: with the embedded PostgreSQL it uses the running daemon's server,
            or starts the cluster for the moment when no daemon runs.
            """,
        subcommands: [Create.self, List.self, Revoke.self])

    /// Runs `body` with a credential store on the configured database.
    static func withStore<T: Sendable>(_ common: CommonOptions, _ body: (CredentialStore) async throws -> T) async throws -> T {
        try await common.withDatabase { database, _ in try await body(CredentialStore(database: database)) }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a credential and print its token (shown once).")

        @OptionGroup var common: CommonOptions

        @Option(name: .long, help: "The tenant.")
        var tenant: String

        @Option(name: .long, help: "admin, office, handler, departmentLeader, scheduler, leader or reporter.")
        var role: String

        @Option(name: .long, help: "The department (for handler, departmentLeader and scheduler).")
        var department: String?

        @Option(name: .long, help: "Whose credential it is (a name or a post), recorded with every change it makes.")
        var name: String

        func run() async throws {
            try await reportingFailures {
                guard let role = Role(rawValue: role) else {
                    throw CommandFailure("--role '\(role)' is not one of: \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                let (id, token) = try await TokensCommand.withStore(common) { store in
                    do {
                        return try await store.create(tenant: tenant, role: role, department: department, name: name)
                    } catch let error as CredentialStore.CredentialError {
                        throw CommandFailure(error.description)
                    }
                }
                FileHandle.standardError.write(Data("credential \(id): \(tenant) \(role.rawValue)\(department.map { " \($0)" } ?? "") \(name); the token is shown only now:\n".utf8))
                print(token)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List credentials (never their tokens).")

        @OptionGroup var common: CommonOptions

        @Option(name: .long, help: "Only this tenant's.")
        var tenant: String?

        func run() async throws {
            try await reportingFailures {
                let records = try await TokensCommand.withStore(common) { try await $0.list(tenant: tenant) }
                for record in records {
                    let state = record.revokedAt == nil ? "active" : "revoked"
                    print("\(record.id)\t\(record.tenant)\t\(record.role)\t\(record.department ?? "-")\t\(state)\t\(record.name)")
                }
                if records.isEmpty { print("no credentials") }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a credential at once.")

        @OptionGroup var common: CommonOptions

        @Argument(help: "The credential's id (see tokens list).")
        var id: Int64

        func run() async throws {
            try await reportingFailures {
                guard try await TokensCommand.withStore(common, { try await $0.revoke(id) }) else {
                    throw CommandFailure("no active credential \(id)")
                }
                print("credential \(id) revoked")
            }
        }
    }
}
