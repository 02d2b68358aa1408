import Testing
@testable import WhistleCore

@Suite("Configuration reader")
struct ConfigNodeTests {
    @Test("invalid YAML is reported with file, line and column")
    func invalidYAML() throws {
        let text = "tenant:\n  code: a\n  name: [unclosed\n"
        #expect {
            _ = try ConfigNode.parse(text, file: "x.yaml")
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.file == "x.yaml" && error.line >= 3 && error.description.hasPrefix("x.yaml:")
        }
    }

    @Test("a duplicate key is an error, not a silent overwrite")
    func duplicateKey() {
        #expect(throws: ConfigError.self) {
            _ = try ConfigNode.parse("a: 1\na: 2\n", file: "d.yaml")
        }
    }

    @Test("an unknown key names itself, its place and the known keys")
    func unknownKey() throws {
        let root = try ConfigNode.parse("http:\n  hots: 1.2.3.4\n", file: "w.yaml")
        let http = try root.required("http")
        do {
            try http.allowKeys(["host", "port"])
            Issue.record("expected an error")
        } catch {
            #expect(error.line == 2)
            #expect(error.column == 3)
            #expect(error.reason.contains("unknown key 'hots'"))
            #expect(error.reason.contains("host, port"))
        }
    }

    @Test("a missing key points at the mapping that lacks it")
    func missingKey() throws {
        let root = try ConfigNode.parse("tenant:\n  name: x\n", file: "t.yaml")
        do {
            _ = try root.required("tenant").string("code")
            Issue.record("expected an error")
        } catch {
            #expect(error.line == 2)
            #expect(error.reason == "tenant: missing required key 'code'")
        }
    }

    @Test("wrong scalar types and enum values are named")
    func wrongTypes() throws {
        let root = try ConfigNode.parse("port: eighty\nkind: village\n", file: "t.yaml")
        #expect(throws: ConfigError.self) { _ = try root.int("port") }
        do {
            _ = try root.required("kind").oneOf(Tenant.Kind.self)
            Issue.record("expected an error")
        } catch {
            #expect(error.line == 2)
            #expect(error.reason.contains("county, district, city"))
        }
    }

    @Test("an empty document is an error")
    func emptyDocument() {
        #expect(throws: ConfigError.self) { _ = try ConfigNode.parse("", file: "e.yaml") }
    }

    @Test("daemon settings: defaults and overrides")
    func daemonSettings() throws {
        let defaults = try DaemonSettings.parse("http:\n  port: 8080\n", file: "whistle.yaml")
        #expect(defaults.databaseURL == nil)
        #expect(defaults.dataDirectory == ".whistle/pgdata")
        let custom = try DaemonSettings.parse(
            "http:\n  host: 0.0.0.0\n  port: 9000\ndatabase:\n  url: postgres://u@h/db\n  poolSize: 5\n", file: "whistle.yaml")
        #expect(custom.httpHost == "0.0.0.0")
        #expect(custom.httpPort == 9000)
        #expect(custom.databaseURL == "postgres://u@h/db")
        #expect(custom.poolSize == 5)
        #expect(throws: ConfigError.self) { _ = try DaemonSettings.parse("http:\n  port: 70000\n", file: "w.yaml") }
    }

    @Test("scheduler settings: defaults, overrides and what is refused")
    func schedulerSettings() throws {
        let defaults = try DaemonSettings.parse("http:\n  port: 8080\n", file: "whistle.yaml").scheduler
        #expect(defaults == SchedulerSettings())
        #expect(defaults.leaseSeconds == 30 && defaults.batchSize == 500 && defaults.horizonSeconds == 86_400)
        let custom = try DaemonSettings.parse("scheduler:\n  batchSize: 20\n  sweepSeconds: 1\n", file: "w.yaml").scheduler
        #expect(custom.batchSize == 20 && custom.sweepSeconds == 1)
        #expect {
            _ = try DaemonSettings.parse("scheduler:\n  horizonSeconds: 600\n  refillSeconds: 900\n", file: "w.yaml")
        } throws: { error in
            (error as? ConfigError)?.reason.contains("shorter than horizonSeconds") == true
        }
        #expect {
            _ = try DaemonSettings.parse("scheduler:\n  batchSize: 0\n", file: "w.yaml")
        } throws: { error in
            (error as? ConfigError).map { $0.line == 2 && $0.reason.contains("between 1 and 10000") } == true
        }
    }
}
