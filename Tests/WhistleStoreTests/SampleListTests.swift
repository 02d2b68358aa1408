import Foundation
import Testing
import WhistleCore
import WhistleTestSupport
@testable import WhistleStore

/// The repository's sample lists, checked entry by entry against `Tests/Fixtures/routing/<tenant>.yaml`,
/// whose expectations were written from the seeds' own words.
@Suite("Sample liability lists route as the seeds say")
struct SampleListTests {
    static let tenants = ["yongning", "wenchanghu", "suixi", "zaozhuang", "chongqing-demo"]

    static let config: Result<ConfigDirectory, ConfigErrors> = Result { () throws(ConfigErrors) in
        try ConfigDirectory.read(TestPaths.config)
    }

    static var fixtures: URL {
        TestPaths.config.deletingLastPathComponent().appendingPathComponent("Tests/Fixtures/routing")
    }

    struct Expectation {
        var type: String
        var seed: String
        var line: Int
        var lead: String
        var coLead: [String]
        var responsible: [String]
        var supporting: [String]
    }

    @Test("the configuration folder with every sample list loads without a problem")
    func loads() throws {
        let config = try Self.config.get()
        for tenant in Self.tenants {
            let files = try #require(config.tenant(tenant))
            #expect(!files.lists.versions.isEmpty, "\(tenant) has no liability list")
        }
    }

    @Test("every entry routes to exactly the departments the seed names", arguments: tenants)
    func routesAsTheSeedSays(tenant: String) throws {
        let config = try Self.config.get()
        let file = Self.fixtures.appendingPathComponent("\(tenant).yaml")
        let root = try ConfigNode.parse(try String(contentsOf: file, encoding: .utf8), file: file.path)
        let version = try root.string("version")
        let compound = try root.string("compound")
        let expectations = try root.list("entries").map { node in
            Expectation(
                type: try node.string("type"), seed: try node.string("seed"), line: node.line, lead: try node.string("lead"),
                coLead: try node.strings("coLead"), responsible: try node.strings("responsible"), supporting: try node.strings("supporting"))
        }
        let files = try #require(config.tenant(tenant))
        let list = try #require(files.lists.version(named: version), "\(tenant) has no list version \(version)")
        let router = try #require(config.router(for: tenant))
        let zone = TimeZone(identifier: files.directory.tenant.timeZone)!
        let reportedAt = list.effective.start(in: zone).addingTimeInterval(10 * 3600)

        #expect(Set(expectations.map(\.type)) == Set(list.types.map(\.code)), "the fixture must cover every entry of \(tenant) \(version), and only those")
        #expect(expectations.count == list.types.count, "each entry is expected once")
        for expected in expectations {
            let decision = try router.route(type: expected.type, compound: compound, reportedAt: reportedAt)
            guard case .routed(let plan) = decision else {
                Issue.record("\(tenant) \(expected.type) went to triage: \(decision)")
                continue
            }
            let place = "\(tenant) \(expected.type) (fixture line \(expected.line), seed: \(expected.seed))"
            #expect(plan.listVersion == version, "\(place)")
            #expect(plan.tasks.filter { $0.role == .lead }.map(\.department) == [expected.lead], "\(place)")
            #expect(plan.tasks.filter { $0.role == .coLead }.map(\.department) == expected.coLead, "\(place)")
            #expect(plan.tasks.filter { $0.role == .responsible }.map(\.department).sorted() == expected.responsible.sorted(), "\(place)")
            #expect(plan.tasks.filter { $0.role == .supporting }.map(\.department).sorted() == expected.supporting.sorted(), "\(place)")
            #expect(Set(plan.departments).count == plan.departments.count, "\(place): a department twice")
        }
    }
}
