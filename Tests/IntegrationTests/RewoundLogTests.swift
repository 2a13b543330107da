import Foundation
import NIOPosix
import Testing
@testable import B00tCore

/// A daemon that comes back on an empty log (a memory store restarted, its SQLite file moved away): its
/// socket clients take the state afresh and register again as who they were, so the session goes on.
@Suite struct RewoundLogTests {
    /// Adversarial pass: after the bus file was moved away the daemon restarted on an empty log, and the next
    /// line of chat in k0mmand3r said "unknown agent 'human': register it first".
    @Test func aSessionRegistersAgainOnAnEmptyLog() async throws {
        let first = try await TestBusServer()
        let endpoint = first.endpoint
        let alice = try await first.connect("alice")
        try await alice.register(BusAgent(id: "alice", skills: ["rust": 0.8]))
        for n in 0..<5 { try await alice.say(from: "alice", "before \(n)") }
        await first.stop()

        // The same socket, an empty log.
        let bus = try await MessageBus(backend: MemoryBusBackend(), eventLoop: TestBusServer.loops.next())
        let second = BusServer(bus: bus, endpoint: endpoint)
        try await second.start()
        defer { Task { await second.shutdown() } }

        // Before: refused as an unknown agent for ever. Now it registers again and speaks.
        let deadline = ContinuousClock.now + .seconds(15)
        var said = false
        while !said, ContinuousClock.now < deadline {
            said = (try? await alice.say(from: "alice", "after")) != nil
            if !said { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(said, "alice speaks on the new log")
        let state = try await bus.currentState()
        #expect(state.agents["alice"]?.skills == ["rust": 0.8], "registered again with the record it had")
        #expect(state.lastSeq < 7, "a fresh log: \(state.lastSeq)")
        await alice.close()
    }
}
