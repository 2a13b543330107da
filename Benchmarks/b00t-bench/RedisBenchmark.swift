#if canImport(Glibc)
import Glibc
#endif
import B00tCore
import Foundation

/// Redis figures against a real redis-server on a free loopback port: the bus's append rate and, in the same
/// run on the same server, raw pipelined XADD throughput from redis-benchmark.
enum RedisBenchmark {
    static func run() async throws -> [String: Double] {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/redis-server") else { return [:] }
        let dir = NSTemporaryDirectory() + "b00t-bench-redis-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let port = freePort()
        let pid = try Spawn.start(["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                   "--dir", dir], options: .init(newSession: true, outputPath: dir + "/redis.log"))
        defer {
            kill(pid, SIGTERM)
            _ = Spawn.wait(pid, timeout: .seconds(5))
        }
        while !HealthProbe.tcp(HostPort(host: "127.0.0.1", port: port), timeoutMs: 100).healthy { usleep(10_000) }
        var figures: [String: Double] = [:]
        figures["bus_append_per_s_redis_one_batch_at_a_time"] = try await BusBenchmark.appendRate(
            backend: try RedisBusBackend("redis://127.0.0.1:\(port)/0?bus=serial"), total: 100_000, batch: 1_000)
        // Batches of 1,000 commands, ten in flight (MessageBus.submitPipelined), as a bulk writer sends them.
        let rate = try await BusBenchmark.pipelinedRate(
            backend: try RedisBusBackend("redis://127.0.0.1:\(port)/0?bus=bench"), total: 100_000, batch: 1_000, depth: 10)
        figures["bus_append_per_s_redis"] = rate
        let out = dir + "/redis-benchmark.txt"
        let bench = try Spawn.start(["redis-benchmark", "-p", String(port), "-P", "16", "-n", "100000", "-q", "XADD", "b00t:bench", "*", "f", "v"],
                                    options: .init(outputPath: out))
        _ = Spawn.wait(bench, timeout: .seconds(120))
        let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        // "XADD b00t:bench * f v: 312500.00 requests per second…" (progress lines end in \r; take the last figure).
        let raw = text.components(separatedBy: CharacterSet(charactersIn: "\r\n"))
            .compactMap { line -> Double? in
                guard let range = line.range(of: " requests per second") else { return nil }
                return Double(line[..<range.lowerBound].split(separator: " ").last ?? "")
            }.last
        if let raw {
            figures["redis_raw_xadd_per_s"] = raw
            figures["bus_append_redis_vs_raw_xadd"] = rate / raw
        }
        return figures
    }
}
