import B00tCore
import Foundation
import Testing
@testable import K0mmand3rKit

@Suite struct GrokReplTests {
    @Test func parsesTheGrokCommands() throws {
        #expect(try ReplCommand.parse("/grok ask how do locks work -t orchestrator --limit 3")
                == .grok(.ask(question: "how do locks work", topic: "orchestrator", limit: 3)))
        #expect(try ReplCommand.parse("/grok ask what now") == .grok(.ask(question: "what now", topic: nil, limit: 5)))
        #expect(try ReplCommand.parse("/grok learn notes.md") == .grok(.learn(inputs: ["notes.md"], topic: nil)))
        #expect(try ReplCommand.parse("/grok learn -t ops backups run at two") == .grok(.learn(inputs: ["backups run at two"], topic: "ops")))
        #expect(try ReplCommand.parse("/grok digest -t ops \"quoted text here\"") == .grok(.digest(topic: "ops", text: "quoted text here")))
        #expect(try ReplCommand.parse("/grok topics") == .grok(.topics))
        #expect(try ReplCommand.parse("/lfmf redis port: 6379 was taken") == .grok(.lfmf(tool: "redis", lesson: "port: 6379 was taken")))
        #expect(try ReplCommand.parse("/advice redis it will not start") == .grok(.advice(tool: "redis", problem: "it will not start")))
        for bad in ["/grok", "/grok ask", "/grok fly away", "/grok ask x --limit 0", "/grok digest text without topic", "/lfmf redis", "/advice"] {
            #expect(throws: ReplError.self, "\(bad)") { try ReplCommand.parse(bad) }
        }
        #expect(ReplCommand.names.contains("/grok") && ReplCommand.names.contains("/lfmf") && ReplCommand.names.contains("/advice"))
    }

    /// A session whose state (and so grok.sqlite) lives in a throwaway folder.
    static func session(state: String) async throws -> Session {
        let catalog = DatumCatalog(datums: [])
        let s = Session(bus: try await MessageBus(backend: MemoryBusBackend()), agent: "alice", catalog: { catalog },
                        orchestrator: { Orchestrator(catalog: catalog, paths: B00tPaths(stateDirectory: state)) })
        try await s.start()
        return s
    }

    @Test func digestAskTopicsAndStats() async throws {
        let state = NSTemporaryDirectory() + "b00t-grok-repl-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: state) }
        let s = try await Self.session(state: state)
        let stored = await s.run("/grok digest -t orchestrator The orchestrator takes a per-datum flock before starting anything.")
        #expect(!stored.failed, "\(stored.text)")
        #expect(stored.text.contains("stored under orchestrator"))
        let answer = await s.run("/grok ask flock")
        #expect(answer.text.contains("[orchestrator]") && answer.text.contains("per-datum flock"), "\(answer.text)")
        #expect(await s.run("/grok topics").text.contains("orchestrator  1"))
        #expect(await s.run("/grok stats").text.contains("1 chunk(s) in 1 topic(s)"))
        let missing = await s.run("/grok learn \(state)/nothing/here.md")
        #expect(missing.failed && missing.text.contains("no such file"))
        #expect(FileManager.default.fileExists(atPath: state + "/grok.sqlite"))
    }

    @Test func shareInACrewIsRememberedUnderTheCrew() async throws {
        let state = NSTemporaryDirectory() + "b00t-grok-share-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: state) }
        let s = try await Self.session(state: state)
        _ = await s.run("/as bob")
        _ = await s.run("/as alice")
        let formed = await s.run("/crew form api alice bob")
        #expect(!formed.failed, "\(formed.text)")
        let shared = await s.run("/share deploys Always run the migrations before restarting the API servers.")
        #expect(!shared.failed, "\(shared.text)")
        #expect(shared.text.contains("remembered in grok under crew:api"))
        let answer = await s.run("/grok ask migrations -t crew:api")
        #expect(answer.text.contains("[crew:api]") && answer.text.contains("deploys: Always run the migrations"), "\(answer.text)")
    }
}
