#if canImport(Glibc)
import Glibc
#endif
import B00tTestSupport
import Foundation
import Testing
@testable import B00tCore

/// Two daemons serving one SQLite store (a second `b00t bus serve` on another socket): the second one's start
/// must not write the first one's connected agents offline.
@Suite struct SecondDaemonPresenceTests {
    /// Regression (adversarial walk-through): the second daemon's "after a restart nobody is connected" step
    /// treated every daemon-held lease as left over, and wrote "left (bus daemon restarted)" for agents the
    /// first daemon was serving; every session then showed them offline while they chatted.
    @Test func aSecondDaemonLeavesTheFirstsAgentsOnline() async throws {
        let dir = TempDir("second-daemon")
        let store = dir.path + "/bus.sqlite"
        let first = try await TestBusServer(backend: try SQLiteBusBackend(path: store))
        defer { Task { await first.stop() } }
        let alice = try await first.connect("alice")
        try await alice.register(BusAgent(id: "alice"))
        #expect(try await first.server.bus.currentState().isOnline("alice"))

        var env = ProcessInfo.processInfo.environment
        env["B00T_STATE_DIR"] = dir.path
        env["B00T_BUS_TOKEN"] = nil
        let socket = dir.path + "/second.sock"
        let second = try Spawn.start([Binaries.path("b00t"), "bus", "serve", "--socket", socket, "--store", "sqlite:" + store],
                                     options: .init(newSession: true, outputPath: dir.path + "/second.log", environment: env))
        defer {
            kill(second, SIGTERM)
            _ = Spawn.wait(second, timeout: .seconds(5))
        }
        let deadline = ContinuousClock.now + .seconds(15)
        while !FileManager.default.fileExists(atPath: socket), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(FileManager.default.fileExists(atPath: socket), "the second daemon started")
        try await Task.sleep(for: .milliseconds(500))  // its start-up reconciling is done by then
        let log = try await SQLiteBusBackend(path: store).read(after: 0, limit: 1_000)
        let left = log.filter { if case .agentLeft("alice", _) = $0.body { true } else { false } }
        #expect(left.isEmpty, "\(left)")
        try await alice.say(from: "alice", "still here")
        await alice.close()
    }
}
