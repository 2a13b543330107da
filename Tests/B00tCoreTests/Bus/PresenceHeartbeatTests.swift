import Foundation
import Testing
@testable import B00tCore

/// Presence for processes on a store nobody hosts: a lease per agent id, renewed; a lapsed one is swept offline
/// by any live process; a live one held elsewhere refuses a second process with the same id.
@Suite struct PresenceHeartbeatTests {
    @Test(arguments: BackendKind.allCases) func oneProcessPerIdAndLapsedAgentsGoOffline(kind: BackendKind) async throws {
        let store = try kind.make()
        let busA = try await MessageBus(backend: store.backend)
        let busB = try await MessageBus(backend: try store.reopen())
        let a = try #require(PresenceHeartbeat(bus: busA, holder: "host:1:a", ttl: .milliseconds(600), period: .seconds(60)))
        let b = try #require(PresenceHeartbeat(bus: busB, holder: "host:2:b", ttl: .milliseconds(600), period: .seconds(60)))
        try await a.claim("rdev1")
        #expect(try await busB.currentState().isOnline("rdev1"))
        await #expect(throws: BusError.self) { try await b.claim("rdev1") }  // already running elsewhere
        try await b.claim("other")
        // a is "killed": it stops renewing. While its lease lives, b's sweep leaves rdev1 alone…
        await b.beat()
        #expect(try await busB.currentState().isOnline("rdev1"))
        try await Task.sleep(for: .milliseconds(800))
        // …after it lapses, b writes it offline (and could now take the id itself).
        await b.beat()
        let state = try await busB.currentState()
        #expect(!state.isOnline("rdev1"))
        #expect(state.isOnline("other"))  // b renewed its own
        let left = try await busB.events().last { if case .agentLeft(let agent, _) = $0.body { return agent == "rdev1" }; return false }
        guard case .agentLeft(_, let reason)? = left?.body else { Issue.record("no left event"); return }
        #expect(reason.contains("no heartbeat"))
        try await b.claim("rdev1")
        await b.stop(reason: "done")
        #expect(try await busA.currentState().online.isEmpty)
    }

    @Test func socketBusesHaveNoHeartbeat() async throws {
        // The daemon keeps presence for its connections; only direct stores need leases.
        let bus = try await MessageBus(backend: MemoryBusBackend())
        #expect(PresenceHeartbeat(bus: bus) != nil)
    }
}
