import Foundation
import Testing
@testable import B00tCore

/// Decision 6: a refusal is a final answer, so it is only given against the log's current end; and a reader is
/// never handed an event newer than the state it can look at (fold-then-deliver). Two `MessageBus` handles on one
/// store stand for two processes.
@Suite struct BusConsistencyTests {
    @Test(arguments: BackendKind.allCases) func aStaleWriterIsNotRefusedForWhatItHasNotFolded(kind: BackendKind) async throws {
        let store = try kind.make()
        let tui = try await MessageBus(backend: store.backend)
        let daemon = try await MessageBus(backend: try store.reopen())
        try await tui.register(BusAgent(id: "human", role: "human"))
        // Another process registers dev3; the TUI has not folded it.
        try await daemon.register(BusAgent(id: "dev3", skills: ["rust": 0.8], autoAcceptHandshakes: false))
        #expect(await tui.state.agents["dev3"] == nil)
        // Before: "unknown agent 'dev3'". Now the refusal is checked against the log's end and the command goes through.
        let events = try await tui.submit(.handshake(from: "human", to: "dev3", proposal: "hi"))
        guard case .handshakeRequested(let id, _, _, _)? = events.first?.body else { Issue.record("no handshake"); return }
        // And the other way: the daemon validates dev3's reply against a log that now holds the TUI's request.
        try await daemon.submit(.replyHandshake(from: "dev3", handshake: id, accept: true, reason: nil))
        #expect(try await tui.currentState().handshakes[id]?.accepted == true)
        // A real refusal is still a refusal (and is final).
        await #expect(throws: BusError.unknownAgent("nobody")) {
            try await tui.submit(.handshake(from: "human", to: "nobody", proposal: ""))
        }
    }

    @Test(arguments: BackendKind.allCases) func stalePipelinedBatchesAreRevalidated(kind: BackendKind) async throws {
        let store = try kind.make()
        let a = try await MessageBus(backend: store.backend)
        let b = try await MessageBus(backend: try store.reopen())
        try await a.register(BusAgent(id: "poster"))
        let events = try await b.submitPipelined([[.postAhoy(from: "poster", role: "dev", description: "", requiredSkills: [], budget: 1, replyBy: nil)]])
        #expect(events.count == 1)
    }

    @Test(arguments: BackendKind.allCases) func eventsAreFoldedBeforeTheyAreDelivered(kind: BackendKind) async throws {
        let store = try kind.make()
        let writer = try await MessageBus(backend: store.backend)
        let reader = try await MessageBus(backend: try store.reopen())
        try await writer.register(BusAgent(id: "captain"))
        let watcher = Task { () -> Bool in
            for try await event in reader.subscribe(after: 0) {
                if case .ahoyPosted(let id, _, _, _, _, _) = event.body {
                    // What the agent runner does on Redis: look the ahoy up in the process's folded state.
                    return await reader.state.ahoys[id] != nil
                }
            }
            return false
        }
        try await Task.sleep(for: .milliseconds(50))
        try await writer.postAhoy(from: "captain", role: "dev", requiredSkills: ["rust"], budget: 10)
        #expect(try await watcher.value)
    }
}
