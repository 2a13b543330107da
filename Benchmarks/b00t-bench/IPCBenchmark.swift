#if canImport(Glibc)
import Glibc
#endif
import B00tCore
import Foundation

/// Socket figures against an in-process `BusServer` (memory store, no rate limit) on a private socket.
enum IPCBenchmark {
    static func run() async throws -> [String: Double] {
        let dir = NSTemporaryDirectory() + "b00t-bench-ipc-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bus = try await MessageBus(backend: MemoryBusBackend())
        let endpoint = BusEndpoint(socketPath: dir + "/bus.sock")
        let server = BusServer(bus: bus, endpoint: endpoint, limits: .init(rate: 0, burst: 0),
                               threads: ProcessInfo.processInfo.activeProcessorCount)
        try await server.start()
        defer { Task { await server.shutdown() } }
        var figures: [String: Double] = [:]

        // Round trips: one request at a time, as an interactive client does.
        let client = try await BusClient.connect(endpoint)
        try await client.request("hello", ["agent": "bench"])
        try await client.request("register")
        for _ in 0..<500 { try await client.request("say", ["text": "warm-up"]) }
        var say: [Double] = [], ping: [Double] = []
        for i in 0..<5_000 {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try await client.request("say", ["text": "round trip \(i)"])
            let t1 = DispatchTime.now().uptimeNanoseconds
            try await client.request("ping")
            let t2 = DispatchTime.now().uptimeNanoseconds
            say.append(Double(t1 - t0) / 1_000)
            ping.append(Double(t2 - t1) / 1_000)
        }
        say.sort()
        ping.sort()
        figures["ipc_roundtrip_p50_us"] = say[say.count / 2]
        figures["ipc_roundtrip_p99_us"] = say[say.count * 99 / 100]
        figures["ipc_ping_p50_us"] = ping[ping.count / 2]
        figures["ipc_ping_p99_us"] = ping[ping.count * 99 / 100]

        // Fan-out: one publisher, ten subscribers each counting the event lines it receives.
        let start = try await client.request("ping")
        _ = start
        let base = await bus.state.lastSeq
        let total = 100_000
        let subscribers = (0..<10).map { i in LineCounter(path: endpoint.socketPath, agent: "sub\(i)", after: base) }
        for s in subscribers { s.waitUntilSubscribed() }
        let began = DispatchTime.now().uptimeNanoseconds
        // The publisher keeps a few batches in flight, as a busy writer would.
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
        figures["ipc_events_per_s_fanout_10"] = Double(total) / slowest
        await client.close()
        return figures
    }
}

/// A subscriber on its own thread that counts event lines (what a forwarding consumer does) and notes
/// when it has seen a given number.
final class LineCounter: @unchecked Sendable {
    private let lock = NSCondition()
    private var count = 0
    private var subscribed = false
    private var reachedAt: [Int: UInt64] = [:]
    private var target = Int.max

    init(path: String, agent: String, after: UInt64) {
        Thread.detachNewThread { [self] in
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in path.utf8.enumerated() { raw[i] = b } }
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            let hello = "{\"v\":1,\"op\":\"hello\",\"agent\":\"\(agent)\"}\n{\"v\":1,\"op\":\"subscribe\",\"from_seq\":\(after)}\n"
            _ = hello.withCString { send(fd, $0, strlen($0), 0) }
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            var atLineStart = true
            var lineIsEvent = false
            var prefix: [UInt8] = []
            let marker = Array("{\"v\":1,\"e".utf8)
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
                if n <= 0 { break }
                var events = 0
                var sawAck = false
                for i in 0..<n {
                    let byte = buffer[i]
                    if atLineStart { prefix.removeAll(keepingCapacity: true); lineIsEvent = false; atLineStart = false }
                    if prefix.count < marker.count {
                        prefix.append(byte)
                        if prefix.count == marker.count { lineIsEvent = prefix == marker }
                    }
                    if byte == 10 {
                        if lineIsEvent { events += 1 } else { sawAck = true }
                        atLineStart = true
                    }
                }
                lock.lock()
                if sawAck { subscribed = true }
                count += events
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

    /// Blocks until `events` lines have arrived; returns when that happened.
    func waitFor(events: Int) -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        target = events
        if count >= events, reachedAt[events] == nil { reachedAt[events] = DispatchTime.now().uptimeNanoseconds }
        while reachedAt[events] == nil { lock.wait() }
        return reachedAt[events]!
    }
}
