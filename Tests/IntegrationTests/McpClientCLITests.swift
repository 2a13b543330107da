#if canImport(Glibc)
import Glibc
#endif
import Foundation
import B00tTestSupport
import Testing
@testable import B00tCore

/// `b00t mcp tools` / `execute` against a real MCP server written with the official Python SDK (FastMCP,
/// Tests/python/mcp_fixture_server.py) started from an mcp datum; servers that crash or hang; and the
/// list / output / install commands.
@Suite(.serialized, .enabled(if: McpPython.available, "skipped: the MCP Python SDK is missing — `make pyenv` installs Tests/python/requirements.txt into .venv (`make test` does it first)"))
struct McpClientCLITests {
    /// A datum folder with the fixture server and a few broken ones.
    func datums() -> TempDir {
        let dir = TempDir("b00t-mcp-datums")
        dir.write("fixture.mcp.toml", """
        [b00t]
        name = "fixture"
        type = "mcp"
        hint = "FastMCP fixture"

        [[b00t.mcp.stdio]]
        command = "\(McpPython.python)"
        args = ["\(McpPython.scripts)/mcp_fixture_server.py"]
        [b00t.mcp.stdio.env]
        FIXTURE_GREETING = "hello from ${FIXTURE_WHO:-the datum}"
        """)
        dir.write("crasher.mcp.toml", """
        [b00t]
        name = "crasher"
        type = "mcp"
        [[b00t.mcp.stdio]]
        command = "python3"
        args = ["-c", "import sys; print('missing API key FOO_TOKEN', file=sys.stderr); sys.exit(3)"]
        """)
        dir.write("hanger.mcp.toml", """
        [b00t]
        name = "hanger"
        type = "mcp"
        [[b00t.mcp.stdio]]
        command = "sleep"
        args = ["31.25"]
        """)
        dir.write("remote.mcp.toml", """
        [b00t]
        name = "remote"
        type = "mcp"
        [[b00t.mcp.httpstream]]
        url = "https://mcp.example.com/mcp"
        """)
        dir.write("redis.process.toml", """
        [b00t]
        name = "redis"
        type = "process"
        command = "redis-server"
        """)
        return dir
    }

    func b00t(_ args: [String], in dir: TempDir, env: [String: String] = [:]) throws -> RunResult {
        var environment = ["B00T_PATH": dir.path, "B00T_STATE_DIR": dir.path + "/state", "XDG_RUNTIME_DIR": ""]
        for (key, value) in env { environment[key] = value }
        return try run(Binaries.path("b00t"), args, environment: environment, currentDirectory: dir.path)
    }

    @Test func toolsListsTheFastMCPServersTools() throws {
        let dir = datums()
        let listed = try b00t(["mcp", "tools", "fixture"], in: dir)
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains("add — Add two integers.\n    a: integer, required\n    b: integer, required\n"))
        #expect(listed.stdout.contains("greet — Greet someone by name.\n    excited: boolean\n    name: string, required\n"))
        let json = try b00t(["mcp", "tools", "fixture", "--json"], in: dir)
        let tools = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(tools.compactMap { $0["name"] as? String } == ["add", "greet", "env", "fail", "escape"])
    }

    @Test func executeCallsOneTool() throws {
        let dir = datums()
        let sum = try b00t(["mcp", "execute", "fixture", "add", "{\"a\": 2, \"b\": 40}"], in: dir)
        #expect(sum.status == 0 && sum.stdout == "42\n", "\(sum.stdout)\(sum.stderr)")
        let json = try b00t(["mcp", "execute", "fixture", "greet", "{\"name\": \"crew\", \"excited\": true}", "--json"], in: dir)
        let result = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((result["structuredContent"] as? [String: Any])?["result"] as? String == "hello crew!")
        #expect(result["isError"] as? Bool == false)
        // The datum's env reaches the server, with ${…} expanded from this environment.
        let env = try b00t(["mcp", "execute", "fixture", "env", "{\"name\": \"FIXTURE_GREETING\"}"], in: dir, env: ["FIXTURE_WHO": "the test"])
        #expect(env.stdout == "hello from the test\n", "\(env.stderr)")
    }

    @Test func errorsAreClearAndExitNonZero() throws {
        let dir = datums()
        let failed = try b00t(["mcp", "execute", "fixture", "fail", "{\"reason\": \"boom\"}"], in: dir)
        #expect(failed.status == 1)
        #expect(failed.stdout.contains("boom"))
        #expect(failed.stderr.contains("fail reported an error"))
        let escaped = try b00t(["mcp", "execute", "fixture", "escape"], in: dir)
        #expect(escaped.stdout == "before \\e]0;pwned\\u{7} after\n", "a server cannot rewrite the terminal")
        let badJSON = try b00t(["mcp", "execute", "fixture", "add", "{a: 1}"], in: dir)
        #expect(badJSON.status != 0 && badJSON.stderr.contains("the tool arguments are not valid JSON"))
        let notObject = try b00t(["mcp", "execute", "fixture", "add", "[1, 2]"], in: dir)
        #expect(notObject.stderr.contains("must be a JSON object"))
        let notMCP = try b00t(["mcp", "tools", "redis"], in: dir)
        #expect(notMCP.status != 0 && notMCP.stderr.contains("redis.process is a process datum, not an MCP server"))
        let http = try b00t(["mcp", "tools", "remote"], in: dir)
        #expect(http.stderr.contains("reached over HTTP (https://mcp.example.com/mcp)"))
        let unknown = try b00t(["mcp", "tools", "fixtur"], in: dir)
        #expect(unknown.stderr.contains("did you mean 'fixture.mcp'"))
    }

    @Test func aServerThatDiesOrHangsIsReportedNotWaitedFor() throws {
        let dir = datums()
        let started = Date()
        let crashed = try b00t(["mcp", "tools", "crasher"], in: dir)
        #expect(crashed.status != 0)
        #expect(crashed.stderr.contains("exited before answering initialize"), "\(crashed.stderr)")
        #expect(crashed.stderr.contains("missing API key FOO_TOKEN"), "its stderr is quoted")
        #expect(Date().timeIntervalSince(started) < 10)

        let before = Date()
        let hung = try b00t(["mcp", "tools", "hanger", "--timeout", "1"], in: dir)
        #expect(hung.stderr.contains("did not answer initialize within 1 s"), "\(hung.stderr)")
        #expect(Date().timeIntervalSince(before) < 10, "the deadline holds (it once waited for the abandoned request)")
        #expect(pids(matching: ["sleep", "31.25"]).isEmpty, "the hung server was stopped")
    }

    @Test func listOutputAndInstall() throws {
        let dir = datums()
        let list = try b00t(["mcp", "list"], in: dir)
        #expect(list.stdout.contains("fixture"))
        #expect(list.stdout.contains("http: https://mcp.example.com/mcp"))
        #expect(!list.stdout.contains("redis"))
        let output = try b00t(["mcp", "output", "--mcpServers", "fixture", "remote"], in: dir)
        let block = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        let servers = try #require(block["mcpServers"] as? [String: Any])
        #expect((servers["fixture"] as? [String: Any])?["command"] as? String == McpPython.python)
        #expect((servers["remote"] as? [String: Any])?["url"] as? String == "https://mcp.example.com/mcp")

        dir.write(".mcp.json", "{\"mcpServers\": {\"mine\": {\"command\": \"keep\"}}}\n")
        let installed = try b00t(["mcp", "install", "fixture"], in: dir)
        #expect(installed.stdout == "added fixture in .mcp.json\n", "\(installed.stderr)")
        let again = try b00t(["mcp", "install", "fixture", "--target", "dotmcpjson"], in: dir)
        #expect(again.stdout == "updated fixture in .mcp.json\n")
        let file = try String(contentsOfFile: dir.path + "/.mcp.json", encoding: .utf8)
        let merged = try #require(try JSONSerialization.jsonObject(with: Data(file.utf8)) as? [String: Any])
        #expect(Set((merged["mcpServers"] as? [String: Any])?.keys ?? [:].keys) == ["mine", "fixture"])
        let stdout = try b00t(["mcp", "install", "remote", "--target", "stdout"], in: dir)
        #expect(stdout.stdout.contains("\"mcpServers\""))
        dir.write(".mcp.json", "not json")
        let broken = try b00t(["mcp", "install", "fixture"], in: dir)
        #expect(broken.status != 0 && broken.stderr.contains("is not valid JSON; fix or move it (nothing was written)"))
    }
}

/// The shipped `b00t-crew` datum through `b00t mcp execute`: the orchestrator brings up the bus daemon it depends
/// on, the datum starts `b00t mcp serve` (the b00t next to the running one), and the SDK's client calls a tool.
@Suite(.serialized)
struct McpCrewDatumTests {
    @Test func executeTheCrewDatum() throws {
        let crew = CrewSandbox(label: "mcpx")
        defer { crew.tearDown() }
        var env = crew.env
        env["B00T_PATH"] = packageRoot + "/_b00t_"
        env["B00T_AGENT"] = "helper-bot"
        let said = try run(Binaries.path("b00t"), ["mcp", "execute", "b00t-crew", "say", "{\"text\": \"hello from MCP\"}"],
                           environment: env, currentDirectory: crew.dir.path)
        #expect(said.status == 0, "\(said.stdout)\(said.stderr)")
        #expect(said.stdout.contains("helper-bot: hello from MCP"))
        let status = try run(Binaries.path("b00t"), ["mcp", "execute", "b00t-crew", "crew_status", "--json"],
                             environment: env, currentDirectory: crew.dir.path)
        let result = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        let agents = ((result["structuredContent"] as? [String: Any])?["agents"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
        #expect(agents == ["helper-bot"])
        let refused = try run(Binaries.path("b00t"), ["mcp", "execute", "b00t-crew", "vote", "{\"id\": \"prop-404\", \"choice\": \"yes\"}"],
                              environment: env, currentDirectory: crew.dir.path)
        #expect(refused.status == 1 && refused.stdout == "no proposal 'prop-404'\n", "\(refused.stdout)\(refused.stderr)")
    }

    @Test func serveChecksItsFlagsAndEndsWhenStdinCloses() throws {
        let dir = TempDir("b00t-mcp-serve")
        let env = ["B00T_STATE_DIR": dir.path, "XDG_RUNTIME_DIR": "", "B00T_AGENT": "", "B00T_BUS_URL": ""]
        let noAgent = try run(Binaries.path("b00t"), ["mcp", "serve", "--bus", "memory"], environment: env)
        #expect(noAgent.status != 0 && noAgent.stderr.contains("give --as AGENT"), "\(noAgent.stderr)")
        let badBus = try run(Binaries.path("b00t"), ["mcp", "serve", "--as", "x", "--bus", "mem0ry"], environment: env)
        #expect(badBus.status != 0 && badBus.stderr.contains("--bus: bus 'mem0ry' is not one b00t knows"), "\(badBus.stderr)")
        let badID = try run(Binaries.path("b00t"), ["mcp", "serve", "--as", "bad id", "--bus", "memory"], environment: env)
        #expect(badID.status != 0 && badID.stderr.contains("cannot register bad id"), "\(badID.stderr)")
        // stdin closed at once: it starts, says so on stderr, writes nothing on stdout and exits 0.
        let quiet = try run(Binaries.path("b00t"), ["mcp", "serve", "--as", "quiet", "--bus", "memory"], environment: env, input: "")
        #expect(quiet.status == 0, "\(quiet.stderr)")
        #expect(quiet.stdout.isEmpty)
        #expect(quiet.stderr.contains("serving quiet on memory"))
    }

    /// `--datum NAME.agent`: the assistant joins with the datum's role and skills (read back from the log).
    @Test func serveRegistersWithTheAgentDatumsRoleAndSkills() throws {
        let dir = TempDir("b00t-mcp-datum")
        let db = dir.path + "/bus.sqlite"
        let env = ["B00T_STATE_DIR": dir.path, "XDG_RUNTIME_DIR": "", "B00T_AGENT": "", "B00T_BUS_URL": "",
                   "B00T_PATH": packageRoot + "/_b00t_"]
        let served = try run(Binaries.path("b00t"), ["mcp", "serve", "--datum", "alpha.agent", "--bus", "sqlite:\(db)"],
                             environment: env, input: "")
        #expect(served.status == 0, "\(served.stderr)")
        #expect(served.stderr.contains("serving alpha on sqlite:"), "\(served.stderr)")
        let log = try run(Binaries.path("b00t"), ["bus", "tail", "--bus", "sqlite:\(db)", "--no-follow", "--json", "--all"],
                          environment: env)
        let registered = log.stdout.split(separator: "\n").first { $0.contains("agent_registered") || $0.contains("agentRegistered") }
        let line = try #require(registered.map(String.init), "\(log.stdout)\(log.stderr)")
        let datum = try String(contentsOfFile: packageRoot + "/_b00t_/alpha.agent.toml", encoding: .utf8)
        #expect(line.contains("\"id\":\"alpha\""), "\(line)")
        // Every skill the datum lists is in the registration.
        for skill in ["rust", "testing"] where datum.contains(skill) { #expect(line.contains("\"\(skill)\""), "\(skill): \(line)") }
        let missing = try run(Binaries.path("b00t"), ["mcp", "serve", "--datum", "nobody.agent", "--bus", "memory"],
                              environment: env, input: "")
        #expect(missing.status != 0 && missing.stderr.contains("nobody"), "\(missing.stderr)")
    }
}
