import Foundation
import Testing
@testable import B00tCore

/// Datums written for the original tool: `[b00t.learn]` tables and `"command # description"` usage strings load.
@Suite struct UpstreamLearnTests {
    @Test func learnTableLoads() throws {
        let (datum, diagnostics) = decode("""
            [b00t]
            name = "qdrant"
            type = "docker"
            image = "qdrant/qdrant"

            [b00t.learn]
            topic = "vector-db"
            inline = "Collections hold vectors plus payloads."
            auto_digest = true
            """, file: "qdrant.docker.toml")
        #expect(diagnostics.filter(\.isError).isEmpty, "\(diagnostics)")
        let loaded = try #require(datum)
        #expect(loaded.learnSpec == LearnSpec(topic: "vector-db", inline: "Collections hold vectors plus payloads.", autoDigest: true))
        #expect(loaded.learn == "Collections hold vectors plus payloads.")
    }

    @Test func learnStringStillLoadsAndOtherTypesAreErrors() {
        #expect(decode("[b00t]\nname = \"x\"\ntype = \"process\"\ncommand = \"x\"\nlearn = \"notes\"\n").datum?.learn == "notes")
        let (datum, diagnostics) = decode("[b00t]\nname = \"x\"\ntype = \"process\"\ncommand = \"x\"\nlearn = 3\n")
        #expect(datum == nil)
        #expect(diagnostics.contains { $0.key == "b00t.learn" && $0.message.contains("[b00t.learn] table") })
    }

    @Test func nearMissKeysInTheLearnTableAreErrors() {
        let (_, diagnostics) = decode("[b00t]\nname = \"x\"\ntype = \"process\"\ncommand = \"x\"\n[b00t.learn]\ntopik = \"t\"\n")
        #expect(diagnostics.contains { $0.isError && $0.key == "b00t.learn.topik" })
    }

    @Test func usageStringsSplitAtTheHashMark() throws {
        let (datum, diagnostics) = decode("""
            [b00t]
            name = "x"
            type = "process"
            command = "x"
            usage = ["redis-cli ping # check it answers", "redis-cli info", { description = "d", command = "c" }]
            """)
        #expect(diagnostics.filter(\.isError).isEmpty)
        let usage = try #require(datum).usage
        #expect(usage == [UsageExample(description: "check it answers", command: "redis-cli ping"),
                          UsageExample(description: "", command: "redis-cli info"),
                          UsageExample(description: "d", command: "c")])
    }
}
