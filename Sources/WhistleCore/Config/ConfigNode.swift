import Foundation
import Yams

/// A YAML node that remembers where it came from, so every reading error names file, line and column.
///
/// Readers walk a document with `required`/`optional` accessors; each throws a `ConfigError`
/// pointing at the offending node (or at the mapping that lacks a key).
public struct ConfigNode {
    public let file: String
    let node: Node
    /// The dotted path of this node inside the document, for messages such as `departments[3].kind`.
    public let path: String

    init(file: String, node: Node, path: String) {
        self.file = file
        self.node = node
        self.path = path
    }

    /// Parses a YAML document. An empty document is an error: every configuration file has content.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> ConfigNode {
        let composed: Node?
        do {
            composed = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw Self.error(from: error, file: file)
        } catch {
            throw ConfigError(file: file, reason: "not valid YAML: \(error)")
        }
        guard let composed else {
            throw ConfigError(file: file, line: 1, column: 1, reason: "the file is empty")
        }
        return ConfigNode(file: file, node: composed, path: "")
    }

    private static func error(from error: YamlError, file: String) -> ConfigError {
        switch error {
        case .scanner(let context, let problem, let mark, _):
            let reason = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ", ")
            return ConfigError(file: file, line: mark.line, column: mark.column, reason: "not valid YAML: \(reason)")
        case .parser(let context, let problem, let mark, _):
            let reason = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ", ")
            return ConfigError(file: file, line: mark.line, column: mark.column, reason: "not valid YAML: \(reason)")
        case .composer(let context, let problem, let mark, _):
            let reason = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ", ")
            return ConfigError(file: file, line: mark.line, column: mark.column, reason: "not valid YAML: \(reason)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ConfigError(
                file: file, line: context.mark.line, column: context.mark.column,
                reason: "duplicate key \(duplicates.map { "'\($0)'" }.joined(separator: ", ")) in one mapping")
        default:
            return ConfigError(file: file, reason: "not valid YAML: \(error)")
        }
    }

    /// 1-based line of this node.
    public var line: Int { node.mark?.line ?? 0 }
    /// 1-based column of this node.
    public var column: Int { node.mark?.column ?? 0 }

    /// An error located at this node.
    public func error(_ reason: String) -> ConfigError {
        let place = path.isEmpty ? "" : "\(path): "
        return ConfigError(file: file, line: line, column: column, reason: place + reason)
    }

    public var isNull: Bool {
        if case .scalar(let scalar) = node {
            return scalar.tag == Tag(.null) || (scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string))
        }
        return false
    }

    public var isMapping: Bool {
        if case .mapping = node { return true }
        return false
    }

    // MARK: Mappings

    private func mapping() throws(ConfigError) -> Node.Mapping {
        guard case .mapping(let mapping) = node else {
            throw error("expected a mapping (key: value), found \(kindName)")
        }
        return mapping
    }

    private var kindName: String {
        switch node {
        case .scalar: return "a single value"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    private func childPath(_ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    /// The keys of this mapping in document order.
    public func keys() throws(ConfigError) -> [String] {
        try mapping().keys.compactMap(\.string)
    }

    /// Rejects keys outside `allowed`, which catches misspelt settings instead of ignoring them.
    public func allowKeys(_ allowed: Set<String>) throws(ConfigError) {
        for (key, _) in try mapping() {
            guard let name = key.string else { continue }
            if !allowed.contains(name) {
                let known = allowed.sorted().joined(separator: ", ")
                throw ConfigNode(file: file, node: key, path: path)
                    .error("unknown key '\(name)' (known keys: \(known))")
            }
        }
    }

    /// The value under `key`, or nil when the key is absent or null.
    public func optional(_ key: String) throws(ConfigError) -> ConfigNode? {
        let mapping = try mapping()
        guard let value = mapping[key] else { return nil }
        let child = ConfigNode(file: file, node: value, path: childPath(key))
        return child.isNull ? nil : child
    }

    /// The value under `key`; a missing key is an error located at this mapping.
    public func required(_ key: String) throws(ConfigError) -> ConfigNode {
        guard let child = try optional(key) else {
            throw error("missing required key '\(key)'")
        }
        return child
    }

    // MARK: Sequences

    /// The items of this list.
    public func items() throws(ConfigError) -> [ConfigNode] {
        guard case .sequence(let sequence) = node else {
            throw error("expected a list, found \(kindName)")
        }
        return sequence.enumerated().map { index, item in
            ConfigNode(file: file, node: item, path: "\(path)[\(index + 1)]")
        }
    }

    /// The items under `key`, or an empty list when the key is absent.
    public func list(_ key: String) throws(ConfigError) -> [ConfigNode] {
        try optional(key)?.items() ?? []
    }

    // MARK: Scalars

    /// This node as a non-empty, trimmed string.
    public func string() throws(ConfigError) -> String {
        guard case .scalar(let scalar) = node else {
            throw error("expected a single value, found \(kindName)")
        }
        let value = scalar.string.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty else { throw error("must not be empty") }
        return value
    }

    public func int() throws(ConfigError) -> Int {
        let text = try string()
        guard let value = Int(text) else { throw error("expected a whole number, found '\(text)'") }
        return value
    }

    public func double() throws(ConfigError) -> Double {
        let text = try string()
        guard let value = Double(text) else { throw error("expected a number, found '\(text)'") }
        return value
    }

    public func bool() throws(ConfigError) -> Bool {
        let text = try string()
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error("expected true or false, found '\(text)'")
        }
    }

    /// A list of strings; a single value is accepted as a list of one.
    public func strings() throws(ConfigError) -> [String] {
        if case .scalar = node { return [try string()] }
        var result: [String] = []
        for item in try items() { result.append(try item.string()) }
        return result
    }

    /// One of the raw values of `T`, naming the allowed values when it is not.
    public func oneOf<T: RawRepresentable & CaseIterable>(_ type: T.Type) throws(ConfigError) -> T where T.RawValue == String {
        let text = try string()
        guard let value = T(rawValue: text) else {
            let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw error("'\(text)' is not one of: \(allowed)")
        }
        return value
    }

    public func string(_ key: String) throws(ConfigError) -> String { try required(key).string() }
    public func optionalString(_ key: String) throws(ConfigError) -> String? { try optional(key)?.string() }
    public func int(_ key: String) throws(ConfigError) -> Int { try required(key).int() }
    public func optionalInt(_ key: String) throws(ConfigError) -> Int? { try optional(key)?.int() }
    public func optionalBool(_ key: String) throws(ConfigError) -> Bool? { try optional(key)?.bool() }
    public func strings(_ key: String) throws(ConfigError) -> [String] { try optional(key)?.strings() ?? [] }
}
