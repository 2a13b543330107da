#if canImport(Glibc)
import Glibc
#endif
import Foundation
import B00tTestSupport
import Testing
@testable import B00tCore

/// Agents on a direct Redis bus (no daemon): one process per agent id, and a killed agent goes offline once its
/// presence lease lapses (the walk-through found them "● online" forever).
@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/redis-server"), "redis-server is not installed"))
struct DirectPresenceTests {
    @Test func oneProcessPerIdAndKilledAgentsGoOffline() async throws {
        let dir = TempDir("b00t-lease")
        let port = freePort()
        let redis = try Spawn.start(["/usr/bin/redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir.path],
                                    options: .init(newSession: true, outputPath: dir.path + "/redis.log"))
        defer { kill(redis, SIGTERM); _ = Spawn.wait(redis, timeout: .seconds(5)) }
        while !HealthProbe.tcp(HostPort(host: "127.0.0.1", port: port), timeoutMs: 100).healthy { usleep(10_000) }
        let url = "redis://127.0.0.1:\(port)/0"
        var env = ["HOME": dir.path, "B00T_STATE_DIR": dir.path, "XDG_RUNTIME_DIR": "", "B00T_PRESENCE_TTL_S": "3"]
        env["B00T_BUS_URL"] = nil
        func agent(_ id: String, log: String) throws -> Process {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Binaries.path("b00t"))
            p.arguments = ["agent", "run", "--id", id, "--skills", "rust:0.9", "--bus", url]
            var full = ProcessInfo.processInfo.environment
            for (k, v) in env { full[k] = v }
            p.environment = full
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            p.standardOutput = FileHandle(forWritingAtPath: log)
            p.standardError = p.standardOutput
            try p.run()
            return p
        }
        let first = try agent("rdev1", log: dir.path + "/a.log")
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
        let watcher = try agent("watcher", log: dir.path + "/w.log")
        defer { if watcher.isRunning { watcher.terminate() } }
        let bus = try await MessageBus(backend: try RedisBusBackend(url))
        try await until("both online") { let s = try await bus.currentState(); return s.isOnline("rdev1") && s.isOnline("watcher") }

        // A second process with the same id is refused, and says why.
        let second = try agent("rdev1", log: dir.path + "/b.log")
        try await offPool { second.waitUntilExit() }
        #expect(second.terminationStatus != 0)
        #expect(((try? String(contentsOfFile: dir.path + "/b.log", encoding: .utf8)) ?? "").contains("already running"))

        // Killed: no `left` of its own; the watcher's sweep writes it once the lease lapses.
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        try await until("rdev1 swept offline", seconds: 20) { try await !bus.currentState().isOnline("rdev1") }
        let reason = try await bus.events().compactMap { event -> String? in
            if case .agentLeft("rdev1", let why) = event.body { return why } else { return nil }
        }.last
        #expect(reason?.contains("no heartbeat") == true)
        // A clean stop says so itself.
        watcher.terminate()
        watcher.waitUntilExit()
        try await until("watcher offline") { try await !bus.currentState().isOnline("watcher") }
    }

    func until(_ what: String, seconds: Double = 15, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while !(try await condition()) {
            if ContinuousClock.now > deadline { throw TimedOut(what: what) }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}
