import Testing
@testable import WhistleCore

@Suite("The role matrix")
struct AccessPolicyTests {
    func principal(_ role: Role, department: String? = nil, credential: Int64 = 7) -> Principal {
        Principal(credential: credential, tenant: "t", role: role, department: department, name: "x")
    }

    @Test("who may do what, role by role", arguments: Role.allCases)
    func matrix(role: Role) {
        let own = principal(role, department: role.isDepartmentRole ? "zjj" : nil)
        let office = role == .office || role == .admin
        #expect(AccessPolicy.allows(own, .readReference))
        #expect(AccessPolicy.allows(own, .reportIssue) == (role != .leader))
        #expect(AccessPolicy.allows(own, .classify) == office)
        #expect(AccessPolicy.allows(own, .merge) == office)
        #expect(AccessPolicy.allows(own, .returnVisit) == office)
        #expect(AccessPolicy.allows(own, .readGaps) == office)
        #expect(AccessPolicy.allows(own, .seePersonalData) == office)
        #expect(AccessPolicy.allows(own, .readInbox(department: "zjj")) == (office || role == .leader || role.isDepartmentRole))
        #expect(AccessPolicy.allows(own, .readInbox(department: "gaj")) == (office || role == .leader))
        #expect(AccessPolicy.allows(own, .readInbox(department: nil)) == (office || role == .leader))
        // The ladder: the office arranges talks and manages the outbox; the group leader (a leader) decides notices.
        #expect(AccessPolicy.allows(own, .arrangeTalk) == office)
        #expect(AccessPolicy.allows(own, .manageNotifications) == office)
        #expect(AccessPolicy.allows(own, .decideNotice) == (role == .admin || role == .leader))
        #expect(AccessPolicy.allows(own, .readEscalations(department: "zjj")) == (office || role == .leader || role.isDepartmentRole))
        #expect(AccessPolicy.allows(own, .readEscalations(department: "gaj")) == (office || role == .leader))
        #expect(AccessPolicy.allows(own, .readEscalations(department: nil)) == (office || role == .leader))
        // Joint operations: the office or the lead schedules and records outcomes; participants confirm for themselves.
        #expect(AccessPolicy.allows(own, .scheduleOperation(lead: "zjj")) == (office || role.isDepartmentRole))
        #expect(AccessPolicy.allows(own, .scheduleOperation(lead: "gaj")) == office)
        #expect(AccessPolicy.allows(own, .leadOperation(lead: "zjj")) == (office || role.isDepartmentRole))
        #expect(AccessPolicy.allows(own, .leadOperation(lead: "gaj")) == office)
        #expect(AccessPolicy.allows(own, .confirmOperation(department: "zjj")) == (role == .admin || role.isDepartmentRole))
        #expect(AccessPolicy.allows(own, .confirmOperation(department: "gaj")) == (role == .admin))
        #expect(AccessPolicy.allows(own, .readOperations(department: "zjj")) == (office || role == .leader || role.isDepartmentRole))
        #expect(AccessPolicy.allows(own, .readOperations(department: nil)) == (office || role == .leader))
        // Field work: anyone but a leader records visits; the office draws spot checks.
        #expect(AccessPolicy.allows(own, .recordVisit) == (role != .leader))
        #expect(AccessPolicy.allows(own, .readFieldWork) == (role != .reporter))
        #expect(AccessPolicy.allows(own, .spotCheck) == office)
        #expect(AccessPolicy.allows(own, .exportLedger) == (role != .reporter))
        // Figures and rankings: everyone in government; attainments of a campaign's target: the office.
        #expect(AccessPolicy.allows(own, .readFigures) == (role != .reporter))
        #expect(AccessPolicy.allows(own, .recordAttainment) == office)
        // A team's roster: its scheduler and leader, or the office, change it.
        #expect(AccessPolicy.allows(own, .manageRoster(team: "zjj")) == (office || role == .scheduler || role == .departmentLeader))
        #expect(AccessPolicy.allows(own, .manageRoster(team: "gaj")) == office)
        // Reading an issue: the office and leaders all; departments theirs; reporters what they reported.
        let theirs = AccessPolicy.Operation.readIssue(departments: ["zjj", "gaj"], reporters: [99])
        let others = AccessPolicy.Operation.readIssue(departments: ["gaj"], reporters: [99])
        let reported = AccessPolicy.Operation.readIssue(departments: ["gaj"], reporters: [99, 7])
        #expect(AccessPolicy.allows(own, theirs) == (office || role == .leader || role.isDepartmentRole))
        #expect(AccessPolicy.allows(own, others) == (office || role == .leader))
        #expect(AccessPolicy.allows(own, reported) == (office || role == .leader || role == .reporter))
        for action in TaskAction.allCases {
            let departmentSide = AccessPolicy.departmentActions.contains(action)
            let onOwn = AccessPolicy.allows(own, .task(action, department: "zjj"))
            let onOther = AccessPolicy.allows(own, .task(action, department: "gaj"))
            if departmentSide {
                #expect(onOwn == (role == .admin || role.isDepartmentRole), "\(role) \(action)")
                #expect(onOther == (role == .admin), "\(role) \(action)")
            } else {
                #expect(onOwn == office, "\(role) \(action)")
                #expect(onOther == office, "\(role) \(action)")
            }
        }
    }

    @Test("a department role without its department reads no department's issues")
    func departmentless() {
        #expect(!AccessPolicy.allows(principal(.handler), .readIssue(departments: ["zjj"], reporters: [])))
        #expect(!AccessPolicy.allows(principal(.handler), .task(.acknowledge, department: "zjj")))
        #expect(principal(.handler, department: "zjj").actor == "credential:7 x(部门经办人)")
    }
}
