import Foundation
import WhistleCore

/// The configuration folder read from disk: daemon settings and every tenant's files.
public struct ConfigDirectory: Sendable {
    /// One tenant's parsed files, with the text they came from (its checksum makes loading idempotent).
    public struct TenantFiles: Sendable {
        public var directory: Directory
        public var directoryFile: String
        public var directoryText: String
    }

    public var root: URL
    public var settings: DaemonSettings
    public var tenants: [TenantFiles]

    /// Reads and validates everything under `root`, reporting every broken file, not only the first.
    public static func read(_ root: URL) throws(ConfigErrors) -> ConfigDirectory {
        let fm = FileManager.default
        var problems: [ConfigError] = []
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: root.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ConfigErrors([ConfigError(file: root.path, reason: "the configuration folder does not exist")])
        }
        var settings = DaemonSettings()
        let settingsFile = root.appendingPathComponent("whistle.yaml")
        if fm.fileExists(atPath: settingsFile.path) {
            do {
                settings = try DaemonSettings.parse(try readText(settingsFile), file: settingsFile.path)
            } catch {
                problems.append(error)
            }
        }
        var tenants: [TenantFiles] = []
        let tenantsRoot = root.appendingPathComponent(settings.tenantsDirectory)
        let folders = ((try? fm.contentsOfDirectory(atPath: tenantsRoot.path)) ?? []).sorted()
        for folder in folders where !folder.hasPrefix(".") {
            let file = tenantsRoot.appendingPathComponent(folder).appendingPathComponent("directory.yaml")
            guard fm.fileExists(atPath: file.path) else {
                problems.append(ConfigError(file: tenantsRoot.appendingPathComponent(folder).path, reason: "a tenant folder needs a directory.yaml"))
                continue
            }
            do {
                let text = try readText(file)
                let directory = try Directory.parse(text, file: file.path)
                if directory.tenant.code != folder {
                    problems.append(ConfigError(file: file.path, reason: "tenant code '\(directory.tenant.code)' differs from its folder name '\(folder)'"))
                }
                tenants.append(TenantFiles(directory: directory, directoryFile: file.path, directoryText: text))
            } catch let error as ConfigError {
                problems.append(error)
            } catch let errors as ConfigErrors {
                problems += errors.errors
            } catch {
                problems.append(ConfigError(file: file.path, reason: "\(error)"))
            }
        }
        guard problems.isEmpty else { throw ConfigErrors(problems) }
        return ConfigDirectory(root: root, settings: settings, tenants: tenants)
    }

    static func readText(_ file: URL) throws(ConfigError) -> String {
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw ConfigError(file: file.path, reason: "cannot be read")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: file.path, reason: "is not UTF-8 text")
        }
        return text
    }
}
