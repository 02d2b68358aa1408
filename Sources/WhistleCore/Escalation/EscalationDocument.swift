import Foundation

/// A document a rung issues: a supervision order (督办单), a talk notice (约谈通知), a public
/// notice (通报批评) or a referral for accountability (问责移交). Fields keep their order.
public struct EscalationDocument: Sendable, Hashable, Codable {
    public struct Field: Sendable, Hashable, Codable {
        public var label: String
        public var value: String

        public init(_ label: String, _ value: String) {
            self.label = label
            self.value = value
        }
    }

    /// 督办单, 约谈通知, 通报批评, 问责移交函.
    public var kind: String
    /// 督办〔2026〕第12号: the year and the escalation's number.
    public var number: String
    public var fields: [Field]

    public init(kind: String, number: String, fields: [Field]) {
        self.kind = kind
        self.number = number
        self.fields = fields
    }

    public func value(_ label: String) -> String? { fields.first { $0.label == label }?.value }
}

/// How and when a talk (约谈) is held: the office sets it once the rung has fired.
public struct TalkArrangement: Sendable, Hashable, Codable {
    public var time: Date
    public var place: String
    /// 约谈方式: 当面约谈 by default.
    public var manner: String
    /// 约谈人: the office's principal, or the group leader for grave cases.
    public var host: String

    public init(time: Date, place: String, manner: String = "当面约谈", host: String = "工作专班办公室主要负责人") {
        self.time = time
        self.place = place
        self.manner = manner
        self.host = host
    }
}

/// A message to send: a title, plain lines, and the document it carries, if any.
public struct NotificationMessage: Sendable, Hashable, Codable {
    public var title: String
    public var lines: [String]
    public var document: EscalationDocument?

    public init(title: String, lines: [String], document: EscalationDocument? = nil) {
        self.title = title
        self.lines = lines
        self.document = document
    }

    /// Plain text for robots' `text` messages; mentions go at the end, as DingTalk shows them.
    public func text(mentions: [String] = []) -> String {
        var parts = ["【\(title)】"] + lines
        if let document {
            parts.append("\(document.kind)（\(document.number)）")
            parts += document.fields.map { "\($0.label)：\($0.value)" }
        }
        if !mentions.isEmpty { parts.append(mentions.map { "@\($0)" }.joined(separator: " ")) }
        return parts.joined(separator: "\n")
    }

    /// Markdown for robots' `markdown` messages.
    public func markdown(mentions: [String] = []) -> String {
        var parts = ["### \(title)"] + lines.map { "\($0)" }
        if let document {
            parts.append("**\(document.kind)**（\(document.number)）")
            parts += document.fields.map { "- **\($0.label)**：\($0.value)" }
        }
        if !mentions.isEmpty { parts.append(mentions.map { "@\($0)" }.joined(separator: " ")) }
        return parts.joined(separator: "\n\n")
    }
}
