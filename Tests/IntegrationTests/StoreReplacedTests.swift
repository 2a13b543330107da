#if canImport(Glibc)
import Glibc
#endif
import B00tTestSupport
import Foundation
import Testing
@testable import B00tCore

/// A daemon whose SQLite file is moved aside or replaced under it stops, saying why: its connections stayed on
/// the old file, so it went on serving a log nobody else could read while processes that open the path wrote
/// another (adversarial walk-through: `mv bus.sqlite*` away, a direct writer made a new file, and `bus tail`
/// never saw its events).
@Suite struct StoreReplacedTests {
    func startDaemon(_ dir: TempDir, store: String, socket: String) throws -> pid_t {
        var env = ProcessInfo.processInfo.environment
        env["B00T_STATE_DIR"] = dir.path
        env["B00T_BUS_TOKEN"] = nil
        return try Spawn.start([Binaries.path("b00t"), "bus", "serve", "--socket", socket, "--store", "sqlite:" + store],
                               options: .init(newSession: true, outputPath: dir.path + "/serve.log", environment: env))
    }

    func waitForSocket(_ socket: String) async throws {
        let deadline = ContinuousClock.now + .seconds(15)
        while !FileManager.default.fileExists(atPath: socket), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(FileManager.default.fileExists(atPath: socket), "the daemon started")
    }

    @Test(arguments: ["moved aside", "replaced"]) func theDaemonStopsAndSaysWhy(how: String) async throws {
        let dir = TempDir("store-replaced")
        let store = dir.path + "/bus.sqlite", socket = dir.path + "/bus.sock"
        let daemon = try startDaemon(dir, store: store, socket: socket)
        var status: Int32?
        defer {
            // Once reaped, its pid may belong to another process: no signal then.
            if status == nil {
                kill(daemon, SIGKILL)
                _ = Spawn.wait(daemon, timeout: .seconds(5))
            }
        }
        try await waitForSocket(socket)
        if how == "replaced" {
            // Another bus file takes the path in one rename (a backup restored over it).
            let other = TempDir("store-replacement")
            try await MessageBus(backend: try SQLiteBusBackend(path: other.path + "/bus.sqlite")).register(BusAgent(id: "direct"))
            #expect(rename(other.path + "/bus.sqlite", store) == 0)
        } else {
            for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: store + suffix) {
                try FileManager.default.moveItem(atPath: store + suffix, toPath: dir.path + "/aside.sqlite" + suffix)
            }
        }
        status = Spawn.wait(daemon, timeout: .seconds(10))
        #expect(status != nil, "the daemon stopped by itself")
        let log = (try? String(contentsOfFile: dir.path + "/serve.log", encoding: .utf8)) ?? ""
        let why = how == "replaced" ? "was replaced by another file" : "was removed"
        #expect(log.contains("\(store) \(why) while this daemon had it open"), "\(log.suffix(600))")
        #expect(log.contains("store_replaced"))
    }

    @Test func aDaemonOnAnUntouchedFileKeepsServing() async throws {
        let dir = TempDir("store-untouched")
        let store = dir.path + "/bus.sqlite", socket = dir.path + "/bus.sock"
        let daemon = try startDaemon(dir, store: store, socket: socket)
        defer {
            kill(daemon, SIGTERM)
            _ = Spawn.wait(daemon, timeout: .seconds(5))
        }
        try await waitForSocket(socket)
        try await Task.sleep(for: .milliseconds(2_500))
        #expect(kill(daemon, 0) == 0, "still running after two looks")
        #expect(HealthProbe.unix(socket, timeoutMs: 1_000).healthy)
    }
}
