#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import B00tCore

/// `b00t up/ps/stop/logs` as separate processes, including ten of them racing.
@Suite(.serialized) struct OrchestratorCLITests {
    @Test func debugOutputExactText() throws {
        let sandbox = ServiceSandbox()
        sandbox.redis(port: freePort())
        var env = sandbox.cliEnvironment
        env["B00T_DEBUG"] = "1"
        let cold = try run(Binaries.path("b00t"), ["up", "redis.process"], environment: env)
        #expect(cold.status == 0, "\(cold.stderr)")
        #expect(cold.stdout == "")
        let lines = cold.stderr.split(separator: "\n").map(String.init)
        #expect(lines.first == "🚀 Started dependencies: redis.process")
        #expect(lines.count == 2)
        #expect(lines.last?.hasPrefix("⏱  redis.process: started (probe ") == true)

        let warm = try run(Binaries.path("b00t"), ["up", "redis.process"], environment: env)
        #expect(warm.status == 0)
        #expect(!warm.stderr.contains("🚀"))
        #expect(warm.stderr.hasPrefix("⏱  redis.process: warm (probe "))

        let silent = try run(Binaries.path("b00t"), ["up", "redis.process"], environment: sandbox.cliEnvironment)
        #expect(silent.stdout == "" && silent.stderr == "")
    }

    @Test func tenConcurrentUpsStartExactlyOneServer() throws {
        let sandbox = ServiceSandbox()
        let port = freePort()
        sandbox.redis(port: port)
        var env = ProcessInfo.processInfo.environment
        for (k, v) in sandbox.cliEnvironment { env[k] = v }
        let processes: [Process] = (0..<10).map { _ in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Binaries.path("b00t"))
            p.arguments = ["up", "redis.process"]
            p.environment = env
            p.currentDirectoryURL = URL(fileURLWithPath: sandbox.state.path)
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            return p
        }
        for p in processes { try p.run() }
        for p in processes { p.waitUntilExit() }
        #expect(processes.map(\.terminationStatus) == Array(repeating: 0, count: 10))
        #expect(pids(matching: ["redis-server", ":\(port)"]).count == 1)
        let log = try String(contentsOfFile: sandbox.state.path + "/logs/redis.process.log", encoding: .utf8)
        #expect(log.components(separatedBy: "---- b00t: starting").count - 1 == 1)
    }

    @Test func psStopAndLogs() throws {
        let sandbox = ServiceSandbox()
        let port = freePort()
        sandbox.redis(port: port)
        let env = sandbox.cliEnvironment
        #expect(try run(Binaries.path("b00t"), ["up", "redis"], environment: env).status == 0)
        let ps = try run(Binaries.path("b00t"), ["ps"], environment: env)
        #expect(ps.stdout.hasPrefix("NAME"))
        #expect(ps.stdout.contains("redis.process"))
        #expect(ps.stdout.contains("running"))
        #expect(ps.stdout.contains("healthy"))
        #expect(ps.stdout.contains("\(port)"))
        let json = try run(Binaries.path("b00t"), ["ps", "--json"], environment: env)
        let rows = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        #expect(rows?.first { $0["id"] as? String == "redis.process" }?["state"] as? String == "running")
        // The built-in bus daemon datum is listed too, even though no folder defines it.
        #expect(rows?.contains { $0["id"] as? String == "b00t-bus.process" } == true)
        let logs = try run(Binaries.path("b00t"), ["logs", "redis.process"], environment: env)
        #expect(logs.stdout.contains("Ready to accept connections"))
        // -f streams the log through to our stdout (regression: it once failed to start `tail`).
        let follower = Process()
        follower.executableURL = URL(fileURLWithPath: Binaries.path("b00t"))
        follower.arguments = ["logs", "-f", "redis.process"]
        var followEnv = ProcessInfo.processInfo.environment
        for (k, v) in env { followEnv[k] = v }
        follower.environment = followEnv
        follower.currentDirectoryURL = URL(fileURLWithPath: sandbox.state.path)
        let pipe = Pipe()
        follower.standardOutput = pipe
        follower.standardError = pipe
        try follower.run()
        var followed = ""
        while !followed.contains("Ready to accept connections") {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            followed += String(decoding: chunk, as: UTF8.self)
        }
        #expect(followed.contains("Ready to accept connections"), "\(followed)")
        kill(-follower.processIdentifier, SIGTERM)
        follower.terminate()
        for pid in pids(matching: ["tail", "redis.process.log"]) { kill(pid, SIGTERM) }
        #expect(try run(Binaries.path("b00t"), ["stop", "redis.process"], environment: env).status == 0)
        #expect(pids(matching: ["redis-server", ":\(port)"]).isEmpty)
        let missing = try run(Binaries.path("b00t"), ["up", "nosuch.process"], environment: env)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no datum 'nosuch.process'"))
    }
}
