import Foundation

extension EscalationLadder {
    /// Parses an `escalation.yaml`: `rectify:` and `acknowledge:`, each a list of rungs
    /// (`code`, `action`, `anchor`, `offset: {workingDays: n}` or `{hours: n}`, `targets`,
    /// `deduction`, `newDeadlineWorkingDays`, `requiresApproval`). A ladder that is left out is the
    /// standard one's. Every problem of every rung is reported, with its line.
    public static func parse(_ text: String, file: String) throws(ConfigErrors) -> EscalationLadder {
        let root: ConfigNode
        do throws(ConfigError) {
            root = try ConfigNode.parse(text, file: file)
            try root.allowKeys(["rectify", "acknowledge"])
        } catch {
            throw ConfigErrors([error])
        }
        var problems: [ConfigError] = []
        var ladder = EscalationLadder.standard
        let ladders: [(String, Set<EscalationAnchor>)] = [
            ("rectify", Set(EscalationAnchor.allCases).subtracting([.acknowledgeDue])), ("acknowledge", [.acknowledgeDue]),
        ]
        for (key, allowed) in ladders {
            do throws(ConfigError) {
                guard let node = try root.optional(key) else { continue }
                let rungs = try rungs(node, allowedAnchors: allowed, problems: &problems)
                if key == "rectify" { ladder.rectify = rungs } else { ladder.acknowledge = rungs }
            } catch {
                problems.append(error)
            }
        }
        guard problems.isEmpty else { throw ConfigErrors(problems) }
        return ladder
    }

    private static func rungs(
        _ node: ConfigNode, allowedAnchors: Set<EscalationAnchor>, problems: inout [ConfigError]
    ) throws(ConfigError) -> [EscalationRung] {
        let items = try node.items()
        guard !items.isEmpty else { throw node.error("a ladder needs at least one rung") }
        var result: [EscalationRung] = []
        for item in items {
            do throws(ConfigError) {
                let rung = try rung(item)
                let anchorNode = try item.required("anchor")
                if !allowedAnchors.contains(rung.anchor) {
                    let names = EscalationAnchor.allCases.filter(allowedAnchors.contains).map(\.rawValue).joined(separator: ", ")
                    throw anchorNode.error("this ladder counts from \(names), not '\(rung.anchor.rawValue)'")
                }
                if result.contains(where: { $0.code == rung.code }) {
                    throw try item.required("code").error("the code '\(rung.code)' is used by an earlier rung")
                }
                // A later deadline exists only once the rung that sets it has fired.
                if rung.anchor == .supervisionDue, !result.contains(where: { $0.action == .supervisionOrder }) {
                    throw anchorNode.error("supervisionDue needs an earlier supervisionOrder rung that sets it")
                }
                if rung.anchor == .talkPromise, !result.contains(where: { $0.action == .talk }) {
                    throw anchorNode.error("talkPromise needs an earlier talk rung whose outcome sets it")
                }
                if let previous = result.last, previous.anchor == rung.anchor, previous.offset.unit == rung.offset.unit,
                    previous.offset.amount > rung.offset.amount
                {
                    throw try item.required("offset").error("rungs are listed in the order they fire: this one would fire before '\(previous.code)'")
                }
                result.append(rung)
            } catch {
                problems.append(error)
            }
        }
        return result
    }

    private static func rung(_ node: ConfigNode) throws(ConfigError) -> EscalationRung {
        try node.allowKeys(["code", "action", "anchor", "offset", "targets", "deduction", "newDeadlineWorkingDays", "requiresApproval"])
        let code = try node.string("code")
        let action = try node.required("action").oneOf(EscalationAction.self)
        let anchor = try node.required("anchor").oneOf(EscalationAnchor.self)
        var offset = EscalationOffset.atAnchor
        if let offsetNode = try node.optional("offset") {
            let keys = try offsetNode.keys()
            guard keys.count == 1, let key = keys.first, let unit = EscalationOffset.Unit(rawValue: key) else {
                throw offsetNode.error("an offset is either {workingDays: n} or {hours: n}; negative is before the anchor")
            }
            let amount = try offsetNode.int(key)
            guard abs(amount) <= (unit == .hours ? 24 * 31 : DeadlinePolicy.maximumRectifyWorkingDays) else {
                throw try offsetNode.required(key).error("\(amount) \(key) is further than a month from the anchor")
            }
            offset = EscalationOffset(amount, unit)
        }
        let targetsNode = try node.required("targets")
        var targets: [EscalationTarget] = []
        for item in try targetsNode.items() { targets.append(try item.oneOf(EscalationTarget.self)) }
        guard !targets.isEmpty else { throw targetsNode.error("a rung must notify someone") }
        var deduction = 0.0
        if let deductionNode = try node.optional("deduction") {
            deduction = try deductionNode.double()
            guard deduction >= 0, deduction <= 100 else { throw deductionNode.error("a deduction is between 0 and 100 points") }
        }
        let newDeadline = try node.optionalInt("newDeadlineWorkingDays")
        if action == .supervisionOrder {
            guard let days = newDeadline else {
                throw node.error("a supervisionOrder rung needs newDeadlineWorkingDays (the order's new deadline)")
            }
            guard (1...DeadlinePolicy.maximumRectifyWorkingDays).contains(days) else {
                throw try node.required("newDeadlineWorkingDays").error(
                    "the new deadline must be 1–\(DeadlinePolicy.maximumRectifyWorkingDays) working days")
            }
        } else if newDeadline != nil {
            throw try node.required("newDeadlineWorkingDays").error("only a supervisionOrder rung sets a new deadline")
        }
        // Seed 001: a public notice goes out only "报经工作专班组长同意".
        let approval = try node.optionalBool("requiresApproval") ?? (action == .publicNotice)
        if action == .publicNotice, !approval {
            throw try node.required("requiresApproval").error("a public notice is published only once the group leader approves it")
        }
        return EscalationRung(
            code: code, action: action, anchor: anchor, offset: offset, targets: targets, deduction: deduction, newDeadlineWorkingDays: newDeadline,
            requiresApproval: approval)
    }
}
