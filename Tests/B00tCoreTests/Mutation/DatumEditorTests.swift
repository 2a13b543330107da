import Foundation
import Testing
@testable import B00tCore

/// The in-place editor on hand-picked layouts: the exact text it produces, so a change in layout habits shows.
@Suite struct DatumEditorTests {
    func edit(_ text: String, _ edits: DatumEdit...) throws -> String {
        String(decoding: try DatumEditor.apply(edits, to: Array(text.utf8)), as: UTF8.self)
    }

    let commented = """
        # The team's redis. Keep the comments!
        [b00t]
        name = "redis"   # the name
        type = "process"
        desires = "7.0"  # pinned
        command = "redis-server"
        usage = [
          { description = "Ping", command = "redis-cli ping" },  # the first check
        ]

        # health below
        [b00t.health_check]
        tcp = "127.0.0.1:6379"

        """

    @Test func setReplacesOnlyTheValue() throws {
        let out = try edit(commented, .set(key: "desires", value: "7.2"))
        #expect(out == commented.replacingOccurrences(of: "desires = \"7.0\"  # pinned", with: "desires = \"7.2\"  # pinned"))
    }

    @Test func setAddsAMissingKeyAfterTheTablesLastLine() throws {
        let out = try edit(commented, .set(key: "install", value: "apt-get install \"redis\""))
        #expect(out.contains("""
              { description = "Ping", command = "redis-cli ping" },  # the first check
            ]
            install = "apt-get install \\"redis\\""

            # health below
            """))
    }

    @Test func usageAppendsInTheArraysOwnStyle() throws {
        let out = try edit(commented, .addUsage(UsageExample(description: "Info", command: "redis-cli info")))
        #expect(out.contains("""
            usage = [
              { description = "Ping", command = "redis-cli ping" },  # the first check
              { description = "Info", command = "redis-cli info" },
            ]
            """))
        // The same command again replaces its description instead of adding a second entry.
        let again = try edit(out, .addUsage(UsageExample(description: "Server info", command: "redis-cli info")))
        #expect(again.contains("  { description = \"Server info\", command = \"redis-cli info\" },\n]"))
    }

    @Test func stringUsageStaysStringsAndACommaIsAddedWhenTheLastHadNone() throws {
        let text = "[b00t]\nname = \"x\"\ntype = \"cli\"\nusage = [\n  \"x run # go\",\n  \"x stop\"  # halt\n]\n"
        let out = try edit(text, .addUsage(UsageExample(description: "help", command: "x --help")))
        #expect(out == "[b00t]\nname = \"x\"\ntype = \"cli\"\nusage = [\n  \"x run # go\",\n  \"x stop\",  # halt\n  \"x --help # help\"\n]\n")
    }

    @Test func envGoesIntoItsTableOrInlineTableOrANewSection() throws {
        let table = try edit("[b00t]\nname = \"q\"\ntype = \"docker\"\n\n[b00t.env]\nA = \"1\"  # one\n\n[b00t.resources]\n",
                             .set(key: "env.B", value: "2"))
        #expect(table == "[b00t]\nname = \"q\"\ntype = \"docker\"\n\n[b00t.env]\nA = \"1\"  # one\nB = \"2\"\n\n[b00t.resources]\n")
        let inline = try edit("[b00t]\nname = \"q\"\ntype = \"docker\"\nenv = { A = \"1\" } # inline\n", .set(key: "env.B", value: "2"))
        #expect(inline == "[b00t]\nname = \"q\"\ntype = \"docker\"\nenv = { A = \"1\", B = \"2\" } # inline\n")
        let replaced = try edit(inline, .set(key: "env.A", value: "x"))
        #expect(replaced == "[b00t]\nname = \"q\"\ntype = \"docker\"\nenv = { A = \"x\", B = \"2\" } # inline\n")
        let fresh = try edit("[b00t]\nname = \"q\"\ntype = \"docker\"\n", .set(key: "env.B", value: "2"))
        #expect(fresh == "[b00t]\nname = \"q\"\ntype = \"docker\"\n\n[b00t.env]\nB = \"2\"\n")
    }

    @Test func dependenciesAddAndRemoveKeepingTheLayout() throws {
        let text = "[b00t]\nname = \"s\"\ntype = \"stack\"\ndepends_on = [\n    \"a.cli\",   # first\n    \"b.cli\",   # second\n]\n"
        let added = try edit(text, .addDependency("c.cli"))
        #expect(added == "[b00t]\nname = \"s\"\ntype = \"stack\"\ndepends_on = [\n    \"a.cli\",   # first\n    \"b.cli\",   # second\n    \"c.cli\",\n]\n")
        let removed = try edit(added, .removeDependency("a.cli"))
        #expect(removed == "[b00t]\nname = \"s\"\ntype = \"stack\"\ndepends_on = [\n    \"b.cli\",   # second\n    \"c.cli\",\n]\n")
        let oneLine = try edit("[b00t]\nname = \"s\"\ntype = \"cli\"\ndepends_on = [\"a.cli\", \"b.cli\"]\n", .removeDependency("b.cli"))
        #expect(oneLine == "[b00t]\nname = \"s\"\ntype = \"cli\"\ndepends_on = [\"a.cli\"]\n")
        let none = try edit(oneLine, .removeDependency("a.cli"))
        #expect(none == "[b00t]\nname = \"s\"\ntype = \"cli\"\ndepends_on = []\n")
        let fresh = try edit(none, .addDependency("z.cli"))
        #expect(fresh == "[b00t]\nname = \"s\"\ntype = \"cli\"\ndepends_on = [\"z.cli\"]\n")
        #expect(throws: MutationError.self) { try edit(fresh, .addDependency("z.cli")) }
        #expect(throws: MutationError.self) { try edit(fresh, .removeDependency("nope.cli")) }
    }

    @Test func learnTextSetsTheStringOrTheTablesInline() throws {
        let multi = try edit("[b00t]\nname = \"x\"\ntype = \"cli\"\nlearn = \"old\"\n", .setLearn("line one\nsay \"\"\"hi\"\"\"\n"))
        let doc = try TOMLDocument.parse(multi)
        #expect(doc.root["b00t"].flatMap { if case .table(let t) = $0 { t["learn"] } else { nil } } == .string("line one\nsay \"\"\"hi\"\"\"\n"))
        let table = try edit("[b00t]\nname = \"x\"\ntype = \"cli\"\n\n[b00t.learn]\ntopic = \"t\"\ninline = \"a\"\n", .appendLearn("b"))
        #expect(table == "[b00t]\nname = \"x\"\ntype = \"cli\"\n\n[b00t.learn]\ntopic = \"t\"\ninline = \"\"\"\na\nb\"\"\"\n")
    }

    @Test func aFileWithoutAFinalNewlineKeepsItsEnd() throws {
        let out = try edit("[b00t]\nname = \"x\"\ntype = \"cli\"", .set(key: "desires", value: "1"))
        #expect(out == "[b00t]\nname = \"x\"\ntype = \"cli\"\ndesires = \"1\"")
    }

    @Test func crlfFilesGetCrlfLines() throws {
        let out = try edit("[b00t]\r\nname = \"x\"\r\ntype = \"cli\"\r\n", .set(key: "desires", value: "1"))
        #expect(out == "[b00t]\r\nname = \"x\"\r\ntype = \"cli\"\r\ndesires = \"1\"\r\n")
    }

    @Test func badRequestsAreRefusedWithTheReason() {
        #expect(throws: MutationError.self) { try DatumEdit.parseSet("command=rm") }
        #expect(throws: MutationError.self) { try DatumEdit.parseSet("desires") }
        #expect(throws: MutationError.self) { try DatumEdit.parseSet("env.BAD-NAME=x") }
        #expect(throws: MutationError.self) { try DatumEdit.parseSet("desires=a\nb") }
        #expect((try? DatumEdit.parseSet("version=7.2")) == .set(key: "desires", value: "7.2"))
        #expect((try? DatumEdit.parseUsage("redis-cli ping # check")) == .addUsage(UsageExample(description: "check", command: "redis-cli ping")))
        do {
            _ = try DatumEdit.parseSet("desirse=1")
            Issue.record("a near-miss key must be refused")
        } catch {
            #expect(error.message.contains("did you mean 'desires'"))
        }
    }
}
