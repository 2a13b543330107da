#if canImport(Glibc)
import Glibc
#endif
import Foundation
@testable import B00tCore

/// A real redis-server on a free loopback port, started on first use and stopped when the test process exits.
enum RedisTestServer {
    static let executable = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static var available: Bool { executable != nil }

    nonisolated(unsafe) private static var pid: pid_t = 0

    /// The shared server's URL (each test uses its own bus name on it).
    static let port: Int = {
        guard let executable else { return 0 }
        let port = freeLoopbackPort()
        let dir = NSTemporaryDirectory() + "b00t-redis-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        pid = (try? Spawn.start([executable, "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                 "--dir", dir], options: .init(newSession: true, outputPath: dir + "/redis.log"))) ?? 0
        atexit {
            if RedisTestServer.pid > 0 { kill(RedisTestServer.pid, SIGTERM) }
        }
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline, !HealthProbe.tcp(HostPort(host: "127.0.0.1", port: port), timeoutMs: 100).healthy {
            usleep(10_000)
        }
        return port
    }()

    static func url(bus: String = "t\(UUID().uuidString.prefix(8))") -> String { "redis://127.0.0.1:\(port)/0?bus=\(bus)" }
}

func freeLoopbackPort() -> Int { LoopbackPort.free() }
