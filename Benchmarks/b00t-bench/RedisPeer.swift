#if canImport(Glibc)
import Glibc
#endif
import B00tCore
import Foundation

/// A private redis-server on a Unix socket, the peer for the bus daemon's round trips and fan-out: PING with
/// redis-benchmark (a C client, one connection, one request at a time — `-c 1`), and PUBLISH to ten raw
/// subscribers, each measured in the same run as ours.
final class RedisPeer {
    let socket: String
    private let pid: pid_t
    private let dir: String

    /// nil where redis-server or redis-benchmark is not installed.
    init?() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/redis-server"),
              FileManager.default.isExecutableFile(atPath: "/usr/bin/redis-benchmark") else { return nil }
        dir = NSTemporaryDirectory() + "b00t-bench-redis-peer-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        socket = dir + "/redis.sock"
        pid = try Spawn.start(["redis-server", "--port", "0", "--unixsocket", socket, "--unixsocketperm", "700", "--save", "",
                               "--appendonly", "no", "--dir", dir], options: .init(newSession: true, outputPath: dir + "/redis.log"))
        let deadline = ContinuousClock.now + .seconds(10)
        while !FileManager.default.fileExists(atPath: socket), ContinuousClock.now < deadline { usleep(5_000) }
    }

    deinit {
        kill(pid, SIGTERM)
        _ = Spawn.wait(pid, timeout: .seconds(5))
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// PING (the RESP "multi-bulk" form, what client libraries send) one at a time: p50 and p99 in µs.
    func pingLatency(requests: Int = 20_000) -> (p50: Double, p99: Double)? {
        let out = dir + "/ping.csv"
        guard let bench = try? Spawn.start(["redis-benchmark", "-s", socket, "-c", "1", "-n", String(requests), "-t", "ping", "--csv"],
                                           options: .init(outputPath: out)) else { return nil }
        _ = Spawn.wait(bench, timeout: .seconds(120))
        // "PING_MBULK","72992.70","0.013","0.008","0.015","0.015","0.023","0.879"  (test, rps, avg, min, p50, p95, p99, max; ms)
        let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        guard let row = text.split(separator: "\n").first(where: { $0.hasPrefix("\"PING_MBULK\"") }) else { return nil }
        let cells = row.split(separator: ",").map { Double($0.trimmingCharacters(in: CharacterSet(charactersIn: "\""))) }
        guard cells.count >= 7, let p50 = cells[4], let p99 = cells[6] else { return nil }
        return (p50 * 1_000, p99 * 1_000)
    }

    /// Messages a second each of `subscribers` raw subscribers receives while redis-benchmark publishes `total`
    /// messages of `payload` bytes, 16 in flight (pipelined, as our publisher keeps batches in flight).
    func fanout(subscribers: Int = 10, total: Int = 100_000, payload: Int) -> Double? {
        let body = String(repeating: "x", count: payload)
        // *3\r\n$7\r\nmessage\r\n$2\r\nfo\r\n$N\r\n<payload>\r\n
        let frame = "*3\r\n$7\r\nmessage\r\n$2\r\nfo\r\n$\(payload)\r\n\(body)\r\n".utf8.count
        let counters = (0..<subscribers).map { _ in ByteCounter(path: socket, request: "SUBSCRIBE fo\r\n", preamble: "*3\r\n$9\r\nsubscribe\r\n$2\r\nfo\r\n:1\r\n".utf8.count) }
        for counter in counters { counter.waitUntilReady() }
        let began = DispatchTime.now().uptimeNanoseconds
        guard let publisher = try? Spawn.start(["redis-benchmark", "-s", socket, "-c", "1", "-P", "16", "-n", String(total), "-q",
                                                "PUBLISH", "fo", body]) else { return nil }
        var slowest = 0.0
        for counter in counters {
            guard let done = counter.waitFor(bytes: total * frame, timeout: .seconds(120)) else { return nil }
            slowest = max(slowest, Double(done - began) / 1e9)
        }
        _ = Spawn.wait(publisher, timeout: .seconds(60))
        for counter in counters { counter.stop() }
        return Double(total) / slowest
    }
}

/// A subscriber on its own thread that counts the bytes it receives after a known preamble (Redis frames of
/// one fixed size, so bytes say how many messages arrived) and notes when a target was reached.
final class ByteCounter: @unchecked Sendable {
    private let lock = NSCondition()
    private var received = 0
    private var ready = false
    private var reachedAt: UInt64?
    private var target = Int.max
    private let fd: Int32

    init(path: String, request: String, preamble: Int) {
        fd = Self.connect(path)
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            var skipped = 0
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 { break }
                var payload = n
                if skipped < preamble {
                    let skip = min(preamble - skipped, n)
                    skipped += skip
                    payload -= skip
                }
                lock.lock()
                if skipped >= preamble { ready = true }
                received += payload
                if received >= target, reachedAt == nil { reachedAt = DispatchTime.now().uptimeNanoseconds }
                lock.broadcast()
                lock.unlock()
            }
            close(fd)
        }
    }

    static func connect(_ path: String) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in path.utf8.prefix(raw.count - 1).enumerated() { raw[i] = b } }
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        return fd
    }

    func waitUntilReady() {
        lock.lock()
        while !ready { lock.wait() }
        lock.unlock()
    }

    func waitFor(bytes: Int, timeout: Duration) -> UInt64? {
        let deadline = Date().addingTimeInterval(timeout.seconds)
        lock.lock()
        defer { lock.unlock() }
        target = bytes
        if received >= bytes, reachedAt == nil { reachedAt = DispatchTime.now().uptimeNanoseconds }
        while reachedAt == nil { if !lock.wait(until: deadline) { return nil } }
        return reachedAt
    }

    func stop() { shutdown(fd, Int32(SHUT_RDWR)) }
}
