#if canImport(Glibc)
import Glibc
#endif
import Foundation
import B00tTestSupport
import Testing
@testable import B00tCore

/// A redis-server of its own for one test: free loopback port, AOF with fsync on every write, stopped at the end.
final class RedisProcess: @unchecked Sendable {
    let dir = TempDir("b00t-redis")
    let port = freePort()
    private(set) var pid: pid_t = 0
    var url: String { "redis://127.0.0.1:\(port)/0" }

    init() throws { try start() }

    func start() throws {
        pid = try Spawn.start(["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
                               "--appendfsync", "always", "--dir", dir.path],
                              options: .init(newSession: true, outputPath: dir.path + "/redis.log"))
        let deadline = Date().addingTimeInterval(10)
        while !HealthProbe.tcp(HostPort(host: "127.0.0.1", port: port), timeoutMs: 100).healthy {
            guard Date() < deadline else { throw TimedOut(what: "redis-server on \(port)") }
            usleep(10_000)
        }
    }

    func stop() {
        guard pid > 0 else { return }
        kill(pid, SIGTERM)
        _ = Spawn.wait(pid, timeout: .seconds(10))
        pid = 0
    }

    deinit { stop() }
}

@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/redis-server"), "redis-server is not installed"))
struct RedisBusTests {
    @Test func twoProcessesRaceToAwardTheSameAhoysAndExactlyOneWinsEach() async throws {
        let redis = try RedisProcess()
        let bus = try await MessageBus(backend: try RedisBusBackend(redis.url))
        try await bus.submit([.register(agent: BusAgent(id: "captain")), .register(agent: BusAgent(id: "dev1")),
                              .register(agent: BusAgent(id: "dev2"))])
        let rounds = 1_000
        for start in stride(from: 0, to: rounds, by: 100) {
            var batch: [BusCommand] = []
            for i in start..<(start + 100) {
                batch.append(.postAhoy(from: "captain", role: "job \(i)", description: "", requiredSkills: [], budget: i, replyBy: nil))
            }
            let posted = try await bus.submit(batch)
            var applications: [BusCommand] = []
            for event in posted {
                guard case .ahoyPosted(let id, _, _, _, _, _) = event.body else { continue }
                applications += [.apply(from: "dev1", ahoy: id, pitch: "", relevantSkills: []),
                                 .apply(from: "dev2", ahoy: id, pitch: "", relevantSkills: [])]
            }
            try await bus.submit(applications)
        }
        let racers = try ["dev1", "dev2"].map { winner -> (Process, Pipe) in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Binaries.path("b00t"))
            p.arguments = ["bus", "award-race", "--bus", redis.url, "--winner", winner]
            let out = Pipe()
            p.standardOutput = out
            p.standardError = out
            try p.run()
            return (p, out)
        }
        var won = 0
        for (process, out) in racers {
            let text = try await offPool { String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(text)")
            won += Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
        }
        #expect(won == rounds)
        try await bus.catchUp()
        let ahoys = await bus.state.ahoys.values
        #expect(ahoys.count == rounds)
        #expect(ahoys.allSatisfy { $0.status == .awarded && $0.awardedTo != nil })
        let awards = try await bus.events().filter { if case .ahoyAwarded = $0.body { return true } else { return false } }
        #expect(awards.count == rounds)
        #expect(Set(awards.compactMap { if case .ahoyAwarded(let id, _, _) = $0.body { return id } else { return nil } }).count == rounds)
    }

    @Test func redisRestartMidStreamLosesNoAcknowledgedEvent() async throws {
        let redis = try RedisProcess()
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: Binaries.path("b00t"))
        writer.arguments = ["bus", "load", "--bus", redis.url, "--count", "2000"]
        let out = Pipe()
        writer.standardOutput = out
        writer.standardError = FileHandle.nullDevice
        try writer.run()
        let reader = out.fileHandleForReading
        let acknowledged = try await offPool { () -> UInt64 in
            var acked: UInt64 = 0
            var buffer = Data()
            var restarted = false
            while true {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                for line in String(decoding: buffer, as: UTF8.self).split(separator: "\n") { acked = max(acked, UInt64(line) ?? 0) }
                if !restarted && acked >= 300 {
                    restarted = true
                    redis.stop()
                    usleep(300_000)
                    try redis.start()
                }
            }
            return acked
        }
        writer.waitUntilExit()
        #expect(writer.terminationStatus == 0)
        #expect(acknowledged == 2001)  // register + 2000 messages, all acknowledged across the restart
        let bus = try await MessageBus(backend: try RedisBusBackend(redis.url))
        let events = try await bus.events()
        #expect(events.count == 2001)
        #expect(events.enumerated().allSatisfy { $0.offset + 1 == Int($0.element.seq) })
        #expect(await bus.state.messageCount == 2000)
    }

    @Test func redisCLIShowsReadableEvents() async throws {
        let redis = try RedisProcess()
        let bus = try await MessageBus(backend: try RedisBusBackend(redis.url))
        try await bus.register(BusAgent(id: "alpha", skills: ["rust": 0.9]))
        try await bus.postAhoy(from: "alpha", role: "reviewer", requiredSkills: ["rust"], budget: 7)
        let result = try await offPool { try run("/usr/bin/redis-cli", ["-p", String(redis.port), "XRANGE", "b00t:{default}:log", "-", "+"]) }
        #expect(result.stdout.contains("ahoy"))
        #expect(result.stdout.contains(#"{"ahoyPosted":{"id":"ahoy-2","role":"reviewer""#))
        #expect(result.stdout.contains("conversation_id"))
    }

    @Test func badURLsAndDeadServersAreClearErrors() async throws {
        #expect(throws: BusError.self) { try RedisURL(parsing: "http://x") }
        #expect(throws: BusError.self) { try RedisURL(parsing: "redis://h:1/notanumber") }
        let url = try RedisURL(parsing: "redis://:secret@example:7000/3?bus=crew2", environment: [:])
        #expect(url.host == "example" && url.port == 7000 && url.db == 3 && url.password == "secret" && url.bus == "crew2")
        #expect(try RedisURL(parsing: "redis://h", environment: ["REDISCLI_AUTH": "pw"]).password == "pw")
        #expect { _ = try RedisBusBackend("redis://127.0.0.1:\(freePort())/0") } throws: { "\($0)".contains("cannot connect") }
    }
}
