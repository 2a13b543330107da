import Foundation
import MCP
import Testing
@testable import B00tCore
@testable import B00tMCP

/// `datum_mutate` over the MCP toolbox: the same proposal, vote and apply as the CLI, in the assistant's name.
@Suite struct MCPMutationToolTests {
    @Test func anAssistantProposesAndASoloDatumIsAppliedAtOnce() async throws {
        let repo = try GitDatumRepo(datum: GitDatumRepo.datum.replacingOccurrences(of: "approval = \"crew:keepers\"", with: "approval = \"none\""))
        let bus = try await MessageBus(backend: MemoryBusBackend())
        let context = MCPToolContext(agent: "assistant", bus: bus, searchPath: DatumSearchPath(folders: [repo.folder]), environment: [:])
        let toolbox = MCPToolbox()
        let outcome = try #require(await toolbox.call("datum_mutate", arguments: [
            "name": "demo", "set": ["desires=1.4"], "add_usage": ["demo --version # version"],
        ], context: context))
        #expect(!outcome.isError, "\(outcome.text)")
        #expect(outcome.text.contains("+desires = \"1.4\"   # the version we run"), "\(outcome.text)")
        #expect(outcome.structured["passed"] == .bool(true))
        #expect(outcome.structured["commit"]?.stringValue == repo.commits.first)
        #expect(repo.commits.count == 2)
        #expect(repo.text.contains("{ description = \"version\", command = \"demo --version\" },"))
        #expect(try await bus.currentState().mutations.values.first?.by == "assistant")

        let refused = try #require(await toolbox.call("datum_mutate", arguments: ["name": "demo", "learn": "notes"], context: context))
        #expect(refused.isError)
        #expect(refused.structured["code"] == .string("mutation_not_allowed"), "\(refused.structured)")
        #expect(refused.text.contains("allow_learn_updates"))
        let bad = try #require(await toolbox.call("datum_mutate", arguments: ["name": "demo", "set": ["command=rm"]], context: context))
        #expect(bad.isError && bad.text.contains("cannot change 'command'"), "\(bad.text)")
        let wrongCrew = try #require(await toolbox.call("datum_mutate", arguments: ["name": "demo", "set": ["desires=9"], "crew": "x"], context: context))
        #expect(wrongCrew.isError && wrongCrew.text.contains("not by a crew"), "\(wrongCrew.text)")
        #expect(repo.commits.count == 2)
    }
}
