import Foundation
import B00tTestSupport
import Testing
@testable import B00tCore

@Suite struct DatumLoaderTests {
    @Test func oneBadFileDoesNotHideTheOthers() {
        let folder = TempDir("datums")
        folder.write("good.cli.toml", "[b00t]\nname = \"good\"\ntype = \"cli\"\nhint = \"ok\"\n")
        folder.write("broken.cli.toml", "[b00t\nname = \"broken\"\n")
        folder.write("typo.cli.toml", "[b00t]\nname = \"typo\"\nhnit = \"x\"\n")
        let catalog = folder.load()
        #expect(catalog.datums.keys.sorted() == ["good.cli"])
        #expect(catalog.errors.count == 2)
        #expect(Set(catalog.errors.map { ($0.file as NSString).lastPathComponent }) == ["broken.cli.toml", "typo.cli.toml"])
    }

    @Test func duplicateAcrossSearchPathFoldersKeepsTheFirstAndReportsBoth() throws {
        let first = TempDir("datums"), second = TempDir("datums")
        first.write("x.cli.toml", "[b00t]\nname = \"x\"\nhint = \"first\"\n")
        let dup = second.write("x.cli.toml", "[b00t]\nname = \"x\"\nhint = \"second\"\n")
        let catalog = DatumLoader(searchPath: DatumSearchPath(folders: [first.path, second.path])).load()
        #expect(try catalog.lookup("x.cli").hint == "first")
        let error = try #require(catalog.errors.first)
        #expect(error.file == dup)
        #expect(error.key == "b00t.name")
        #expect(error.line == 1)
        #expect(error.message.contains(first.path + "/x.cli.toml"))
    }

    @Test func searchPathOrder() {
        let path = DatumSearchPath.standard(
            environment: ["B00T_PATH": "/a:/b", "HOME": "/home/u"], currentDirectory: "/work")
        #expect(path.folders == ["/a", "/b", "/work/_b00t_", "/home/u/.b00t/_b00t_"])
        let noEnv = DatumSearchPath.standard(environment: ["HOME": "/home/u"], currentDirectory: "/work")
        #expect(noEnv.folders == ["/work/_b00t_", "/home/u/.b00t/_b00t_"])
    }

    @Test func lookupByNameOrId() throws {
        let catalog = DatumCatalog(datums: [
            Datum(name: "redis", type: .process), Datum(name: "redis", type: .docker), Datum(name: "git", type: .cli),
        ])
        #expect(try catalog.lookup("git").id == "git.cli")
        #expect(try catalog.lookup("redis.docker").type == .docker)
        #expect(throws: DatumLookupError.ambiguous("redis", candidates: ["redis.docker", "redis.process"])) {
            try catalog.lookup("redis")
        }
        #expect(throws: DatumLookupError.notFound("gti", suggestion: "git.cli")) { try catalog.lookup("gti") }
        #expect(throws: DatumLookupError.notFound("zzzz", suggestion: nil)) { try catalog.lookup("zzzz") }
        #expect(throws: DatumLookupError.notFound("git.clu", suggestion: "git.cli")) { try catalog.lookup("git.clu") }
    }

    @Test func thousandGeneratedDatumsLoad() {
        let folder = TempDir("datums")
        for i in 0..<1000 {
            folder.write("svc\(i).process.toml", """
            [b00t]
            name = "svc\(i)"
            type = "process"
            hint = "service \(i)"
            command = "true"
            depends_on = [\(i > 0 ? "\"svc\(i - 1).process\"" : "")]
            [b00t.health_check]
            tcp = "127.0.0.1:\(10000 + i)"
            """)
        }
        let catalog = folder.load()
        #expect(catalog.datums.count == 1000)
        #expect(catalog.diagnostics.isEmpty)
    }

    @Test func shippedDatumsAreClean() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
        let catalog = DatumLoader(searchPath: DatumSearchPath(folders: [root + "/_b00t_"])).load()
        #expect(catalog.diagnostics.isEmpty, "\(catalog.diagnostics)")
        for id in ["qdrant.docker", "redis.docker", "postgres.docker", "ollama.docker", "redis.process", "grok.stack",
                   "ai-dev.stack", "full-dev.stack", "alpha.agent", "beta.agent", "rust.cli", "swift.cli", "git.cli"] {
            #expect(catalog.datums[id] != nil, "missing \(id)")
        }
        #expect(catalog.datums["ai-dev.stack"]?.members == ["ollama.docker", "qdrant.docker", "postgres.docker"])
    }
}

@Suite struct BuiltinDatumTests {
    @Test func shippedBusDatumMatchesTheBuiltIn() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
        let shipped = try String(contentsOfFile: root + "/_b00t_/" + BuiltinDatums.busDaemonFile, encoding: .utf8)
        let builtin = BuiltinDatums.busDaemon.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("    ") ? String($0.dropFirst(4)) : String($0) }.joined(separator: "\n")
        #expect(shipped.trimmingCharacters(in: .newlines) == builtin.trimmingCharacters(in: .newlines))
    }

    @Test func builtInFillsOnlyWhatIsMissing() throws {
        let empty = BuiltinDatums.adding(to: DatumCatalog())
        let daemon = try empty.lookup("b00t-bus.process")
        #expect(daemon.healthCheck?.unix == "${B00T_BUS_SOCKET}")
        let custom = Datum(name: "b00t-bus", type: .process, hint: "mine", command: "x")
        #expect(try BuiltinDatums.adding(to: DatumCatalog(datums: [custom])).lookup("b00t-bus.process").hint == "mine")
    }
}
