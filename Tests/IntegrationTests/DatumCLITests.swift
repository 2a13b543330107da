import Foundation
import B00tTestSupport
import Testing

@Suite struct DatumCLITests {
    @Test func checkOnShippedDatumsExitsZero() throws {
        let result = try run(Binaries.path("b00t"), ["datum", "check", "--path", packageRoot + "/_b00t_"],
                             environment: ["HOME": TempDir().path])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("0 errors"))
    }

    @Test func checkListsEveryProblemAndFails() throws {
        let dir = TempDir()
        dir.write("a.cli.toml", "[b00t]\nname = \"a\"\nhnit = \"x\"\n")
        dir.write("b.cli.toml", "[b00t]\nname = 3\n")
        dir.write("c.cli.toml", "[b00t]\nname = \"c\"\n")
        let result = try run(Binaries.path("b00t"), ["datum", "check", "--path", dir.path],
                             environment: ["HOME": dir.path])
        #expect(result.status == 1)
        #expect(result.stdout.contains("a.cli.toml:3:1: error: key 'b00t.hnit': unknown key (did you mean 'hint'?)"))
        #expect(result.stdout.contains("b.cli.toml:2:1: error: key 'b00t.name': expected a string, found an integer"))
        #expect(result.stdout.contains("1 datum loaded"))  // was "1 datums"
    }

    @Test func queryAndShowAndJSON() throws {
        let env = ["HOME": TempDir().path]
        let path = packageRoot + "/_b00t_"
        let query = try run(Binaries.path("b00t"),
                            ["datum", "query", "--path", path, "type:agent and (skill:rust or skill:go)"], environment: env)
        #expect(query.status == 0)
        #expect(query.stdout.contains("alpha.agent") && query.stdout.contains("beta.agent"))
        let flags = try run(Binaries.path("b00t"), ["datum", "query", "--path", path, "--type", "agent", "--skill", "swift"],
                            environment: env)
        #expect(flags.stdout.contains("alpha.agent") && !flags.stdout.contains("beta.agent"))
        let show = try run(Binaries.path("b00t"), ["datum", "show", "--path", path, "alpha"], environment: env)
        #expect(show.stdout.hasPrefix("🤖 Agent: alpha"))
        let json = try run(Binaries.path("b00t"), ["datum", "show", "--path", path, "--json", "redis.process"], environment: env)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(object?["command"] as? String == "redis-server")
        let missing = try run(Binaries.path("b00t"), ["datum", "show", "--path", path, "qdrnt"], environment: env)
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("did you mean 'qdrant"))
        let badQuery = try run(Binaries.path("b00t"), ["datum", "query", "--path", path, "typ:agent"], environment: env)
        #expect(badQuery.status != 0)
        #expect(badQuery.stderr.contains("did you mean 'type:'"))
    }
}
