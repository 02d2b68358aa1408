import Foundation
import WhistleTestSupport

enum TestPaths {
    static var sql: URL { TestPostgres.sqlDirectory }
    static var config: URL { TestPostgres.configDirectory }
}
