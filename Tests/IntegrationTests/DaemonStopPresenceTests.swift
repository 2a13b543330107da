import B00tTestSupport
import Foundation
import Testing
@testable import B00tCore

/// A clean stop of the daemon tells the crew why its agents left, the same for all of them.
@Suite struct DaemonStopPresenceTests {
    /// Regression: the stop closes every connection, and whichever close the presence worker saw before the
    /// stop itself was written as "connection closed"; a walk-through showed "alpha left (connection closed)"
    /// beside "beta left (bus daemon stopped)".
    @Test func everyAgentLeavesWithTheStopsReason() async throws {
        for round in 0..<3 {
            let server = try await TestBusServer()
            let agents = (0..<6).map { "agent\(round)-\($0)" }
            var clients: [RemoteBus] = []
            for agent in agents {
                let client = try await server.connect(agent)
                try await client.register(BusAgent(id: agent))
                clients.append(client)
            }
            let bus = server.server.bus
            await server.stop()
            let reasons = try await bus.events().compactMap { event -> String? in
                if case .agentLeft(_, let reason) = event.body { return reason } else { return nil }
            }
            #expect(reasons.count == agents.count, "\(reasons)")
            #expect(reasons.allSatisfy { $0 == BusServer.stoppedReason }, "round \(round): \(reasons)")
            for client in clients { await client.close() }
        }
    }
}
