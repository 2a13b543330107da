import Foundation
import B00tTestSupport
import Testing
@testable import B00tCore

/// `mcp` datums as the original tool writes them, and the `.mcp.json` blocks made from them.
@Suite struct MCPDatumTests {
    /// The shape of the original's github.mcp.toml: two stdio methods by priority, a per-method env table,
    /// `requires`, `transport`, plus keys this tool does not use.
    static let github = """
    [b00t]
    name = "github"
    type = "mcp"
    hint = "GitHub MCP server"
    lfmf_category = "github-mcp"

    [[b00t.mcp.stdio]]
    priority = 10
    command = "npx"
    requires = ["node"]
    transport = "stdio"
    args = ["-y", "@modelcontextprotocol/server-github"]

    [[b00t.mcp.stdio]]
    priority = 0
    command = "npx"
    requires = ["node", "gh"]
    transport = "stdio"
    args = ["-y", "github-mcp-server"]

    [b00t.mcp.stdio.env]
    GITHUB_TOOLSETS = "issues,pull_requests,actions"
    """

    @Test func readsTheOriginalToolsStdioDatums() throws {
        let (datum, diagnostics) = decode(Self.github, file: "github.mcp.toml")
        let spec = try #require(datum?.mcp)
        #expect(diagnostics.filter(\.isError).isEmpty, "\(diagnostics)")
        #expect(spec.stdio.map(\.priority) == [0, 10], "best first")
        #expect(spec.stdio[0] == MCPStdioMethod(command: "npx", args: ["-y", "github-mcp-server"],
                                                env: ["GITHUB_TOOLSETS": "issues,pull_requests,actions"], priority: 0,
                                                requires: ["node", "gh"]))
        #expect(spec.stdio[1].env.isEmpty)
        #expect(diagnostics.contains { $0.key == "b00t.lfmf_category" && !$0.isError }, "other keys are warnings")
    }

    @Test func readsHTTPStreamableAndSSE() throws {
        let source = """
        [b00t]
        name = "deepwiki"
        type = "mcp"
        hint = "DeepWiki"

        [[b00t.mcp.httpstream]]
        url = "https://mcp.deepwiki.com/mcp"
        transport = "httpstream"
        priority = 0
        requires = []
        requires_auth = false

        [[b00t.mcp.sse]]
        url = "https://mcp.deepwiki.com/sse"
        priority = 10

        [[b00t.mcp.http]]
        url = "${DOCS_MCP_URL:-http://127.0.0.1:8000/mcp}"
        priority = 5
        headers = { Authorization = "Bearer ${DOCS_TOKEN}" }
        """
        let (datum, diagnostics) = decode(source, file: "deepwiki.mcp.toml")
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let http = try #require(datum?.mcp?.http)
        #expect(http.map(\.transport) == ["http", "http", "sse"])
        #expect(http.map(\.priority) == [0, 5, 10])
        #expect(http[1].headers == ["Authorization": "Bearer ${DOCS_TOKEN}"])
    }

    @Test func mistakesAreErrorsNamingTheKey() {
        let missing = decode("""
        [b00t]
        name = "x"
        type = "mcp"
        [[b00t.mcp.stdio]]
        args = ["serve"]
        """, file: "x.mcp.toml")
        #expect(missing.datum == nil)
        #expect(missing.diagnostics.contains { $0.isError && $0.key == "b00t.mcp.stdio[0].command" && $0.message == "missing required key" })

        let wrongType = decode("""
        [b00t]
        name = "x"
        type = "mcp"
        [[b00t.mcp.stdio]]
        command = "srv"
        args = "serve --stdio"
        """, file: "x.mcp.toml")
        #expect(wrongType.diagnostics.contains { $0.isError && $0.key == "b00t.mcp.stdio[0].args" && $0.line == 6 })

        let nearMiss = decode("""
        [b00t]
        name = "x"
        type = "mcp"
        [[b00t.mcp.stdio]]
        comand = "srv"
        """, file: "x.mcp.toml")
        #expect(nearMiss.diagnostics.contains { $0.isError && $0.hint == "did you mean 'command'?" })

        let badURL = decode("""
        [b00t]
        name = "x"
        type = "mcp"
        [[b00t.mcp.http]]
        url = "ftp://example.com"
        """, file: "x.mcp.toml")
        #expect(badURL.diagnostics.contains { $0.isError && $0.key == "b00t.mcp.http[0].url" })

        let badReference = decode("""
        [b00t]
        name = "x"
        type = "mcp"
        [[b00t.mcp.stdio]]
        command = "srv"
        args = ["${UNCLOSED"]
        """, file: "x.mcp.toml")
        #expect(badReference.diagnostics.contains { $0.isError && $0.message.hasPrefix("bad variable reference") })

        let empty = decode("""
        [b00t]
        name = "x"
        type = "mcp"
        hint = "no server"
        """, file: "x.mcp.toml")
        #expect(empty.datum != nil, "it still loads for show and query")
        #expect(empty.diagnostics.contains { !$0.isError && $0.message.contains("without [[b00t.mcp.stdio]]") })
    }

    @Test func theShippedCrewDatumLoads() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("_b00t_").path
        let (datum, diagnostics) = DatumLoader.loadFile(folder + "/b00t-crew.mcp.toml")
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let method = try #require(datum?.mcp?.stdio.first)
        #expect(method.command == "${B00T_BIN:-b00t}")
        #expect(method.args == ["mcp", "serve", "--as", "${B00T_AGENT:-assistant}"])
        #expect(datum?.dependsOn == ["b00t-bus.process"])
        #expect(datum?.description.contains("**MCP (stdio)**: `${B00T_BIN:-b00t} mcp serve --as ${B00T_AGENT:-assistant}`") == true)
    }

    @Test func stdioChoiceHonoursRequirements() throws {
        let spec = MCPServerSpec(stdio: [
            MCPStdioMethod(command: "a", priority: 0, requires: ["definitely-not-installed-b00t"]),
            MCPStdioMethod(command: "b", priority: 1, requires: ["internet", "CMD:sh"]),
        ])
        #expect(try spec.choose(datum: "x.mcp", environment: ["PATH": "/usr/bin:/bin"]).command == "b")
        #expect(throws: MCPClientError.requirementsMissing("x.mcp", ["definitely-not-installed-b00t"])) {
            try MCPServerSpec(stdio: [spec.stdio[0]]).choose(datum: "x.mcp", environment: ["PATH": "/usr/bin"])
        }
        #expect(throws: MCPClientError.httpOnly("x.mcp", url: "https://h/mcp")) {
            try MCPServerSpec(http: [MCPHTTPMethod(url: "https://h/mcp")]).choose(datum: "x.mcp", environment: [:])
        }
    }
}

/// `b00t mcp output` / `install`: the JSON block, merged into `.mcp.json` without clobbering.
@Suite struct MCPClientConfigTests {
    func datum(_ source: String, _ file: String) throws -> Datum { try #require(decode(source, file: file).datum) }

    var crew: Datum {
        get throws {
            try datum("""
            [b00t]
            name = "crew"
            type = "mcp"
            [[b00t.mcp.stdio]]
            command = "b00t"
            args = ["mcp", "serve", "--as", "${B00T_AGENT:-assistant}"]
            env = { B00T_PATH = "/srv/datums" }
            """, "crew.mcp.toml")
        }
    }

    var docs: Datum {
        get throws {
            try datum("""
            [b00t]
            name = "docs"
            type = "mcp"
            [[b00t.mcp.sse]]
            url = "https://docs.example/sse"
            """, "docs.mcp.toml")
        }
    }

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func outputIsTheBlockAssistantsRead() throws {
        let wrapped = try json(try MCPClientConfig.document([try crew, try docs], wrapped: true, environment: [:]))
        let servers = try #require(wrapped["mcpServers"] as? [String: Any])
        let crewEntry = try #require(servers["crew"] as? [String: Any])
        #expect(crewEntry["type"] as? String == "stdio")
        #expect(crewEntry["command"] as? String == "b00t")
        #expect(crewEntry["args"] as? [String] == ["mcp", "serve", "--as", "${B00T_AGENT:-assistant}"], "references stay for the assistant")
        #expect(crewEntry["env"] as? [String: String] == ["B00T_PATH": "/srv/datums"])
        let docsEntry = try #require(servers["docs"] as? [String: Any])
        #expect(docsEntry as NSDictionary == ["type": "sse", "url": "https://docs.example/sse"] as NSDictionary)
        let bare = try json(try MCPClientConfig.document([try crew], wrapped: false, environment: [:]))
        #expect(bare["crew"] != nil && bare["mcpServers"] == nil)
        #expect(throws: MCPClientError.notMCP("redis.process", type: "process")) {
            _ = try MCPClientConfig.entry(for: Datum(name: "redis", type: .process))
        }
    }

    @Test func installMergesKeepsOthersAndPermissions() throws {
        let folder = TempDir("datums")
        let path = folder.write(".mcp.json", """
        {"mcpServers": {"other": {"command": "keep-me", "args": ["--x"]}, "crew": {"command": "old"}},
         "someSetting": true}
        """)
        chmod(path, 0o600)
        let replaced = try MCPClientConfig.install([try crew, try docs], into: path, environment: [:])
        #expect(replaced == ["crew"])
        let merged = try json(try String(contentsOfFile: path, encoding: .utf8))
        let servers = try #require(merged["mcpServers"] as? [String: Any])
        #expect(Set(servers.keys) == ["other", "crew", "docs"])
        #expect((servers["other"] as? [String: Any])?["command"] as? String == "keep-me")
        #expect((servers["crew"] as? [String: Any])?["command"] as? String == "b00t")
        #expect(merged["someSetting"] as? Bool == true)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0 != ".mcp.json" }
        #expect(leftovers.isEmpty, "the atomic write leaves no temporary file: \(leftovers)")
    }

    @Test func aBrokenFileIsLeftAloneWithAClearError() throws {
        let folder = TempDir("datums")
        let broken = folder.write(".mcp.json", "{\"mcpServers\": {")
        #expect(throws: MCPConfigFileError.notJSON(broken)) { try MCPClientConfig.install([try crew], into: broken, environment: [:]) }
        #expect(try String(contentsOfFile: broken, encoding: .utf8) == "{\"mcpServers\": {")
        let list = folder.write("list.json", "{\"mcpServers\": []}")
        #expect(throws: MCPConfigFileError.notAnObject(list, key: "mcpServers")) {
            try MCPClientConfig.install([try crew], into: list, environment: [:])
        }
        let fresh = folder.path + "/new.json"
        try MCPClientConfig.install([try crew], into: fresh, environment: [:])
        #expect((try json(try String(contentsOfFile: fresh, encoding: .utf8)))["mcpServers"] != nil)
    }
}
