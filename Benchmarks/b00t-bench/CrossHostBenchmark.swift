#if canImport(Glibc)
import Glibc
#endif
import B00tCore
import Foundation

/// Event latency from one host to another over the veth bridge (`Tests/netlab/netlab`), next to the same
/// figure on loopback in the same run: this process appends `probe <ns>` messages to Redis, a
/// `b00t bus latency-probe` on another host (or on loopback) reports what it took to see them. Needs root to
/// make network namespaces; without it only the loopback figure is given.
enum CrossHostBenchmark {
    static let netlab = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Tests/netlab/netlab").path
    static let b00t = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path + "/b00t"
    static let count = 2_000

    static func run() async throws -> [String: Double] {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/redis-server") else { return [:] }
        var figures: [String: Double] = [:]
        let dir = NSTemporaryDirectory() + "b00t-bench-xhost-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }

        // Loopback: Redis, writer and reader on one host.
        let port = freePort()
        let redis = try Spawn.start(["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                     "--dir", dir], options: .init(newSession: true, outputPath: dir + "/redis.log"))
        defer { kill(redis, SIGTERM); _ = Spawn.wait(redis, timeout: .seconds(5)) }
        while !HealthProbe.tcp(HostPort(host: "127.0.0.1", port: port), timeoutMs: 100).healthy { usleep(10_000) }
        if let loop = try await measure(url: "redis://127.0.0.1:\(port)/0?bus=lat", reader: [b00t], dir: dir) {
            figures["loopback_event_latency_ms_p50"] = loop.p50
            figures["loopback_event_latency_ms_p99"] = loop.p99
        }

        // Across hosts: Redis on host 1, the reader on host 2, this process on the bridge.
        let check = try Spawn.start([netlab, "check"], options: .init(outputPath: dir + "/check.log"))
        guard Spawn.wait(check, timeout: .seconds(10)) == 0 else {
            FileHandle.standardError.write(Data("cross-host bench skipped: \((try? String(contentsOfFile: dir + "/check.log", encoding: .utf8)) ?? "no namespaces")".utf8))
            return figures
        }
        let lab = "bn" + String(getpid() % 1000)
        let up = try Spawn.start([netlab, "up", lab, "2"], options: .init(outputPath: dir + "/up.log"))
        guard Spawn.wait(up, timeout: .seconds(30)) == 0,
              let prefix = (try? String(contentsOfFile: dir + "/up.log", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        else { return figures }
        defer {
            let down = try? Spawn.start([netlab, "down", lab], options: .init(outputPath: dir + "/down.log"))
            if let down { _ = Spawn.wait(down, timeout: .seconds(30)) }
        }
        let remote = try Spawn.start([netlab, "exec", lab, "1", "redis-server", "--bind", "\(prefix).1", "--port", "6379", "--save", "",
                                      "--appendonly", "no", "--protected-mode", "no", "--dir", dir],
                                     options: .init(newSession: true, outputPath: dir + "/redis-remote.log"))
        defer { kill(remote, SIGKILL); _ = Spawn.wait(remote, timeout: .seconds(5)) }
        while !HealthProbe.tcp(HostPort(host: "\(prefix).1", port: 6379), timeoutMs: 100).healthy { usleep(10_000) }
        if let cross = try await measure(url: "redis://\(prefix).1:6379/0?bus=lat", reader: [netlab, "exec", lab, "2", b00t], dir: dir) {
            figures["cross_host_event_latency_ms_p50"] = cross.p50
            figures["cross_host_event_latency_ms_p99"] = cross.p99
            if let loop = figures["loopback_event_latency_ms_p50"], loop > 0 { figures["cross_host_vs_loopback_p50"] = cross.p50 / loop }
        }
        return figures
    }

    /// Starts the reader (`prefix` + `bus latency-probe`), waits until it is ready, appends `count` probes
    /// (about 1,000 a second, one per command, the way people and agents write) and reads its answer.
    static func measure(url: String, reader prefix: [String], dir: String) async throws -> (p50: Double, p99: Double)? {
        let out = dir + "/probe-\(UUID().uuidString.prefix(6)).log"
        let probe = try Spawn.start(prefix + ["bus", "latency-probe", "--bus", url, "--count", String(count), "--timeout", "120"],
                                    options: .init(outputPath: out))
        let deadline = Date().addingTimeInterval(20)
        while !((try? String(contentsOfFile: out, encoding: .utf8))?.contains("ready") ?? false) {
            guard Date() < deadline else {
                kill(probe, SIGKILL)
                FileHandle.standardError.write(Data("latency probe on \(url) never got ready\n".utf8))
                return nil
            }
            usleep(10_000)
        }
        let bus = try await MessageBus(backend: try RedisBusBackend(url))
        try await bus.register(BusAgent(id: "writer"))
        for _ in 0..<count {
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            try await bus.say(from: "writer", "probe \(UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec))")
            try await Task.sleep(for: .microseconds(1_000))
        }
        let status = Spawn.wait(probe, timeout: .seconds(120))
        guard status == 0,
              let text = try? String(contentsOfFile: out, encoding: .utf8),
              let line = text.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
              let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let p50 = (object["p50_ms"] as? NSNumber)?.doubleValue, let p99 = (object["p99_ms"] as? NSNumber)?.doubleValue
        else {
            let log = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            FileHandle.standardError.write(Data("latency probe on \(url) failed (exit \(status.map(String.init) ?? "timeout")): \(log.suffix(300))\n".utf8))
            return nil
        }
        return (p50, p99)
    }
}
