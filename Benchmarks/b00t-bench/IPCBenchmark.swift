#if canImport(Glibc)
import Glibc
#endif
import B00tCore
import Foundation

/// Socket figures against the real daemon (`b00t bus serve`, its own process, memory store unless said, no rate
/// limit), each beside its peer measured in the same run: redis-server's PING with redis-benchmark, and Redis
/// pub/sub to ten subscribers. Rounds alternate ours and the peer's, so a noisy neighbour hits both alike.
enum IPCBenchmark {
    static func run() async throws -> [String: Double] {
        let dir = NSTemporaryDirectory() + "b00t-bench-ipc-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let memory = try Daemon(dir: dir + "/memory", store: "memory")
        let peer = try RedisPeer()
        var figures: [String: Double] = [:]

        // Round trips: one request at a time, as an agent sends them, from a task on the connection's loop.
        let client = try await BusClient.connect(memory.endpoint)
        try await client.request("hello", ["agent": "bench"])
        try await client.request("register")
        var ours: [(ping50: Double, ping99: Double, say50: Double, say99: Double, pingAfterSay50: Double)] = []
        var theirs: [(p50: Double, p99: Double)] = []
        var blocking: [Double] = [], redisBlocking: [Double] = []
        // The same daemon with --metrics on: a Prometheus registry counting every append.
        let metered = try Daemon(dir: dir + "/metered", store: "memory", extra: ["--metrics", "127.0.0.1:\(LoopbackPort.free())"])
        let meteredClient = try await BusClient.connect(metered.endpoint)
        try await meteredClient.request("hello", ["agent": "bench"])
        try await meteredClient.request("register")
        var withMetrics: [Double] = []
        for round in 0..<3 {
            ours.append(try await roundTrips(client, requests: 5_000, round: round))
            withMetrics.append(try await roundTrips(meteredClient, requests: 5_000, round: round).say50)
            if let redis = peer?.pingLatency() { theirs.append(redis) }
            blocking.append(blockingPingP50(path: memory.endpoint.socketPath, requests: 5_000))
            if let peer { redisBlocking.append(blockingPingP50(path: peer.socket, requests: 5_000, request: Array("*1\r\n$4\r\nPING\r\n".utf8))) }
        }
        await client.close()
        await meteredClient.close()
        metered.stop()
        figures["ipc_roundtrip_p50_us_metrics_on"] = median(withMetrics)
        figures["ipc_roundtrip_metrics_on_vs_off"] = median(withMetrics) / median(ours.map(\.say50))
        figures["ipc_ping_p50_us"] = median(ours.map(\.ping50))
        figures["ipc_ping_p99_us"] = median(ours.map(\.ping99))
        figures["ipc_ping_after_say_p50_us"] = median(ours.map(\.pingAfterSay50))
        figures["ipc_roundtrip_p50_us"] = median(ours.map(\.say50))
        figures["ipc_roundtrip_p99_us"] = median(ours.map(\.say99))
        // The server alone: a blocking C-style client, like redis-benchmark's.
        figures["ipc_ping_blocking_client_p50_us"] = median(blocking)
        if !redisBlocking.isEmpty {
            figures["redis_ping_blocking_client_p50_us"] = median(redisBlocking)
            figures["ipc_ping_blocking_client_vs_redis"] = median(blocking) / median(redisBlocking)
        }
        if !theirs.isEmpty {
            let redis50 = median(theirs.map(\.p50)), redis99 = median(theirs.map(\.p99))
            figures["redis_ping_p50_us"] = redis50
            figures["redis_ping_p99_us"] = redis99
            figures["ipc_ping_p50_vs_redis"] = median(ours.map(\.ping50)) / redis50
            figures["ipc_ping_p99_vs_redis"] = median(ours.map(\.ping99)) / redis99
            figures["ipc_roundtrip_p50_vs_redis_ping"] = median(ours.map(\.say50)) / redis50
        }

        // The daemon as it runs by default: SQLite, one transaction per command.
        let sqlite = try Daemon(dir: dir + "/sqlite", store: "sqlite")
        let durable = try await BusClient.connect(sqlite.endpoint)
        try await durable.request("hello", ["agent": "bench"])
        try await durable.request("register")
        figures["ipc_roundtrip_sqlite_p50_us"] = try await roundTrips(durable, requests: 5_000, round: 0).say50
        await durable.close()
        sqlite.stop()

        // Fan-out: one publisher keeping batches in flight, ten subscribers counting the event lines they receive.
        let (fanout, lineBytes) = try await fanOut(memory, total: 100_000)
        figures["ipc_events_per_s_fanout_10"] = fanout
        if let peer, let redis = peer.fanout(subscribers: 10, total: 100_000, payload: lineBytes) {
            figures["redis_pubsub_per_s_fanout_10"] = redis
            figures["ipc_fanout_10_vs_redis_pubsub"] = fanout / redis
        }
        memory.stop()
        return figures
    }

    /// p50/p99 (µs) of `ping` and of `say` (a command that appends), each in a run of its own as
    /// redis-benchmark times PING; and the p50 of a ping sent right after a `say` (the figure this bench printed as
    /// `ipc_ping_p50_us` before 2026-12-03: it carried the daemon's work after each append's reply).
    static func roundTrips(_ client: BusClient, requests: Int, round: Int)
        async throws -> (ping50: Double, ping99: Double, say50: Double, say99: Double, pingAfterSay50: Double) {
        var say: [Double] = [], ping: [Double] = [], afterSay: [Double] = []
        try await withTaskExecutorPreference(client.taskExecutor) {
            for _ in 0..<500 { try await client.request("ping") }
            for _ in 0..<requests {
                let t0 = DispatchTime.now().uptimeNanoseconds
                try await client.request("ping")
                ping.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1_000)
            }
            for i in 0..<requests {
                let t0 = DispatchTime.now().uptimeNanoseconds
                try await client.request("say", ["text": "round trip \(round).\(i)"])
                say.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1_000)
            }
            for i in 0..<requests / 5 {
                try await client.request("say", ["text": "round trip \(round).after.\(i)"])
                let t0 = DispatchTime.now().uptimeNanoseconds
                try await client.request("ping")
                afterSay.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1_000)
            }
        }
        say.sort()
        ping.sort()
        return (ping[ping.count / 2], ping[ping.count * 99 / 100], say[say.count / 2], say[say.count * 99 / 100],
                median(afterSay))
    }

    /// `op` one request at a time for `seconds` (see main.swift: a loop to profile); its p50 in µs.
    static func loop(op: String, seconds: Double) async throws -> [String: Double] {
        let dir = NSTemporaryDirectory() + "b00t-bench-loop-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let daemon = try Daemon(dir: dir + "/memory", store: "memory")
        defer { daemon.stop() }
        let client = try await BusClient.connect(daemon.endpoint)
        try await client.request("hello", ["agent": "looper"])
        try await client.request("register")
        var samples: [Double] = []
        try await withTaskExecutorPreference(client.taskExecutor) {
            let end = ContinuousClock.now + .seconds(seconds)
            var n = 0
            while ContinuousClock.now < end {
                let t0 = DispatchTime.now().uptimeNanoseconds
                if op == "say" { try await client.request("say", ["text": "loop \(n)"]) } else { try await client.request(op) }
                samples.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1_000)
                n += 1
            }
        }
        await client.close()
        return ["loop_\(op)_p50_us": median(samples), "loop_\(op)_requests": Double(samples.count)]
    }

    /// PING from a blocking socket on a thread of its own: the daemon's share of a round trip.
    /// `request` is ours by default; Redis's RESP PING measures redis-server the same way, to the µs
    /// (redis-benchmark's histogram reports this range in steps of 8 µs: its p50 reads 23 or 31).
    static func blockingPingP50(path: String, requests: Int,
                                request: [UInt8] = Array("{\"v\":1,\"op\":\"ping\",\"id\":1}\n".utf8)) -> Double {
        let fd = ByteCounter.connect(path)
        defer { close(fd) }
        var samples: [Double] = []
        samples.reserveCapacity(requests)
        var buffer = [UInt8](repeating: 0, count: 4096)
        for _ in 0..<requests {
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 || buffer[n - 1] == 10 { break }
            }
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1_000)
        }
        samples.sort()
        return samples[samples.count / 2]
    }

    /// Events a second per subscriber for ten subscribers, and the size of one event line (for the peer).
    static func fanOut(_ daemon: Daemon, total: Int) async throws -> (Double, Int) {
        let client = try await BusClient.connect(daemon.endpoint)
        try await client.request("hello", ["agent": "publisher"])
        try await client.request("register")
        let base = try await client.request("say", ["text": "fan 0"]).events?.last?.seq ?? 0
        let subscribers = (0..<10).map { i in LineCounter(path: daemon.endpoint.socketPath, agent: "sub\(i)", after: base) }
        for s in subscribers { s.waitUntilSubscribed() }
        let began = DispatchTime.now().uptimeNanoseconds
        let batch = 1_000
        try await withThrowingTaskGroup(of: Void.self) { group in
            for b in 0..<(total / batch) {
                if b >= 4 { try await group.next() }
                group.addTask {
                    let cmds: [[String: Any]] = (0..<batch).map { ["op": "say", "text": "fan \(b * batch + $0)"] }
                    try await client.request("batch", ["cmds": cmds])
                }
            }
            try await group.waitForAll()
        }
        var slowest = 0.0
        for s in subscribers {
            let done = s.waitFor(events: total)
            slowest = max(slowest, Double(done - began) / 1e9)
        }
        let lineBytes = subscribers.first?.averageLineBytes ?? 160
        await client.close()
        return (Double(total) / slowest, lineBytes)
    }
}

/// `b00t bus serve` in a process of its own on a private socket, stopped with the benchmark.
final class Daemon {
    let endpoint: BusEndpoint
    let pid: pid_t

    init(dir: String, store: String, extra: [String] = []) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        chmod(dir, 0o700)
        endpoint = BusEndpoint(socketPath: dir + "/bus.sock")
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path + "/b00t"
        var argv = [binary, "bus", "serve", "--socket", endpoint.socketPath, "--store", store, "--rate", "0"]
        if store == "sqlite" { argv += ["--db", dir + "/bus.sqlite"] }
        argv += extra
        pid = try Spawn.start(["/usr/bin/env", "B00T_STATE_DIR=\(dir)"] + argv, options: .init(newSession: true, outputPath: dir + "/serve.log"))
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if HealthProbe.unix(endpoint.socketPath, timeoutMs: 100).healthy { return }
            usleep(10_000)
        }
        stop()
        throw BusClientError.cannotConnect(endpoint.socketPath, "the daemon did not start (see \(dir)/serve.log)")
    }

    private var stopped = false

    /// Once: after the wait the pid may be reused, and a second signal could hit another process.
    func stop() {
        guard !stopped else { return }
        stopped = true
        kill(pid, SIGTERM)
        _ = Spawn.wait(pid, timeout: .seconds(5))
    }

    deinit { stop() }
}

/// A subscriber on its own thread that counts event lines (what a forwarding consumer does) and notes
/// when it has seen a given number.
final class LineCounter: @unchecked Sendable {
    private let lock = NSCondition()
    private var count = 0
    private var eventBytes = 0
    private var subscribed = false
    private var reachedAt: [Int: UInt64] = [:]
    private var target = Int.max

    init(path: String, agent: String, after: UInt64) {
        Thread.detachNewThread { [self] in
            let fd = ByteCounter.connect(path)
            let hello = "{\"v\":1,\"op\":\"hello\",\"agent\":\"\(agent)\"}\n{\"v\":1,\"op\":\"subscribe\",\"from_seq\":\(after)}\n"
            _ = hello.withCString { send(fd, $0, strlen($0), 0) }
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            var atLineStart = true
            var lineIsEvent = false
            var prefix: [UInt8] = []
            let marker = Array("{\"v\":1,\"e".utf8)
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 { break }
                var events = 0, bytes = 0
                var sawAck = false
                for i in 0..<n {
                    let byte = buffer[i]
                    if atLineStart { prefix.removeAll(keepingCapacity: true); lineIsEvent = false; atLineStart = false }
                    if prefix.count < marker.count {
                        prefix.append(byte)
                        if prefix.count == marker.count { lineIsEvent = prefix == marker }
                    }
                    if lineIsEvent { bytes += 1 }
                    if byte == 10 {
                        if lineIsEvent { events += 1 } else { sawAck = true }
                        atLineStart = true
                    }
                }
                lock.lock()
                if sawAck { subscribed = true }
                count += events
                eventBytes += bytes
                if count >= target, reachedAt[target] == nil { reachedAt[target] = DispatchTime.now().uptimeNanoseconds }
                lock.broadcast()
                lock.unlock()
            }
            close(fd)
        }
    }

    func waitUntilSubscribed() {
        lock.lock()
        while !subscribed { lock.wait() }
        lock.unlock()
    }

    /// Mean size of an event line, newline included (the line's first bytes before the marker matched too).
    var averageLineBytes: Int {
        lock.lock()
        defer { lock.unlock() }
        return count == 0 ? 160 : eventBytes / count + 8
    }

    /// Blocks until `events` lines have arrived; returns when that happened.
    func waitFor(events: Int) -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        target = events
        if count >= events, reachedAt[events] == nil { reachedAt[events] = DispatchTime.now().uptimeNanoseconds }
        while true {
            if let at = reachedAt[events] { return at }
            lock.wait()
        }
    }
}
