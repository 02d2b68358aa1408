import Testing
@testable import WhistleStore

@Suite("SQL script splitting")
struct SQLScriptTests {
    @Test("statements split at top-level semicolons only")
    func splitting() {
        let sql = """
            -- a comment; with a semicolon
            CREATE TABLE a (x text DEFAULT 'a;b');
            /* block; comment */
            DO $$ BEGIN PERFORM 1; END $$;
            CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $body$ SELECT 'x;y' $body$;
            SELECT "odd;name" FROM a WHERE x = 'it''s;';
            SELECT $1
            """
        let statements = SQLScript.statements(sql)
        #expect(statements.count == 5)
        #expect(statements[0].line == 2)
        #expect(statements[1].text.hasSuffix("END $$"))
        #expect(statements[2].text.contains("$body$ SELECT 'x;y' $body$"))
        #expect(statements[3].text.contains("'it''s;'"))
        #expect(statements[4].text == "SELECT $1")
    }

    @Test("comment-only pieces are dropped")
    func comments() {
        #expect(SQLScript.statements("-- nothing\n;\n  ;").isEmpty)
    }

    @Test("the repository's migrations split into statements")
    func repositoryMigrations() throws {
        let migrations = try Migration.load(from: TestPaths.sql)
        #expect(migrations.first?.version == 1)
        for migration in migrations {
            #expect(!SQLScript.statements(migration.sql).isEmpty)
        }
    }
}
