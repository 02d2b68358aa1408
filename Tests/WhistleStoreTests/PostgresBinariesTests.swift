import Foundation
import Testing
@testable import WhistleStore

@Suite("Finding the PostgreSQL server programs")
struct PostgresBinariesTests {
    @Test("where they are not installed, the error is the exact command that installs them")
    func notInstalled() {
        #expect {
            _ = try PostgresBinaries.locate(environment: ["PATH": "/nonexistent"], debianRoot: "/nonexistent/postgresql")
        } throws: { error in
            guard case StoreError.postgresNotInstalled(let hint) = error else { return false }
            let message = (error as? StoreError)?.description ?? ""
            let debian = FileManager.default.fileExists(atPath: "/etc/debian_version")
            return message.contains("install them with: \(hint)") && (!debian || hint.hasSuffix("apt-get install -y postgresql"))
        }
    }

    @Test("they are found under /usr/lib/postgresql/<version>/bin, off the PATH")
    func foundOffPath() throws {
        let binaries = try PostgresBinaries.locate(environment: ["PATH": "/nonexistent"])
        #expect(FileManager.default.isExecutableFile(atPath: binaries.initdb.path))
        #expect(FileManager.default.isExecutableFile(atPath: binaries.pgCtl.path))
    }
}
