#if canImport(Glibc)
import Glibc
#endif
import Foundation
import B00tTestSupport
import Testing
@testable import B00tCore

/// The official MCP Python SDK as the client of two real `b00t mcp serve` processes (agents alice and bob) on a
/// private bus daemon, with a human (carol) acting through `b00t replay`: a whole Contract Net, refusals as
/// isError, and the award pushed to the winner (Tests/python/mcp_contract_net.py does the talking).
@Suite(.serialized, .enabled(if: McpPython.available, "skipped: the MCP Python SDK is missing — `make pyenv` installs Tests/python/requirements.txt into .venv (`make test` does it first)"))
struct McpPythonClientTests {
    @Test func contractNetThroughTwoServersAndAHuman() async throws {
        let crew = CrewSandbox(label: "mcp")
        defer { crew.tearDown() }
        let script = McpPython.scripts + "/mcp_contract_net.py"
        let result = try await offPool {
            try run(McpPython.python, [script, Binaries.path("b00t"), crew.dir.path], environment: crew.env,
                    currentDirectory: crew.dir.path)
        }
        #expect(result.status == 0, "the Python client failed:\n\(result.stdout)\n\(result.stderr)")
        guard result.status == 0, let last = result.stdout.split(separator: "\n").last,
              let seen = try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any] else { return }
        #expect(seen["tools"] as? Int == 24)
        #expect(seen["award_by_non_poster"] as? String == "not allowed: only alice, who posted \(seen["ahoy"] as? String ?? "?"), can award it")
        #expect((seen["award_notice"] as? String)?.contains("budget 100") == true)
        #expect(seen["bad_budget"] as? String == "argument 'budget' must be 0–1000000000000, got -1")

        // The daemon's log says the same, and both servers left when their client closed them.
        let bus = try await BusConnector.connect(agent: "checker", paths: crew.paths, environment: crew.env)
        defer { Task { await bus.close() } }
        let ahoy = try #require(seen["ahoy"] as? String)
        let state = try await bus.currentState()
        #expect(state.ahoys[ahoy]?.awardedTo == "bob")
        #expect(state.ahoys[ahoy]?.budget == 100)
        #expect(state.ahoys[ahoy]?.applications.map(\.from) == ["bob", "carol"])
        var online = try await bus.currentState().online
        for _ in 0..<500 where online.contains("alice") || online.contains("bob") {
            try await Task.sleep(for: .milliseconds(20))
            online = try await bus.currentState().online
        }
        #expect(!online.contains("alice") && !online.contains("bob"), "still online: \(online.sorted())")
    }
}
