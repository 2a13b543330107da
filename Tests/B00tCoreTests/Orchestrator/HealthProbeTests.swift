#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import B00tCore

/// A loopback server that answers every connection with bytes and never a newline (or nothing at all).
final class StreamingServer: @unchecked Sendable {
    let port: Int
    private let listener: Int32

    init(send: Bool) {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        port = Int(UInt16(bigEndian: address.sin_port))
        listen(listener, 8)
        self.listener = listener
        let fd = listener
        Thread.detachNewThread {
            while true {
                let client = accept(fd, nil, nil)
                guard client >= 0 else { return }
                Thread.detachNewThread {
                    let chunk = [UInt8](repeating: 0x41, count: 4096)
                    while send {
                        let n = chunk.withUnsafeBytes { Glibc.send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                        if n < 0 { break }
                    }
                    if !send { sleep(5) }
                    close(client)
                }
            }
        }
    }

    deinit {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }
}

@Suite struct HealthProbeTests {
    /// A health endpoint streaming bytes without a newline hung `up` and `ps` forever with growing memory.
    @Test func httpProbeEndsOnAStreamWithoutNewline() {
        let server = StreamingServer(send: true)
        let began = ContinuousClock.now
        let result = HealthProbe.http("http://127.0.0.1:\(server.port)/", expectedStatus: 200, timeoutMs: 5_000)
        #expect(!result.healthy)
        #expect(result.detail.contains("no HTTP status line in the first 8192 bytes"), "\(result)")
        #expect(ContinuousClock.now - began < .seconds(5))
    }

    @Test func httpProbeIsBoundedByWallClockTime() {
        let server = StreamingServer(send: false)
        let began = ContinuousClock.now
        let result = HealthProbe.http("http://127.0.0.1:\(server.port)/", expectedStatus: 200, timeoutMs: 300)
        #expect(!result.healthy)
        #expect(ContinuousClock.now - began < .seconds(2))
    }

    @Test func hugeTimeoutsAreClampedNotTrapped() {
        let result = HealthProbe.check(HealthCheck(tcp: "127.0.0.1:1", timeoutMs: Int.max))
        #expect(!result.healthy)
    }

    @Test func execProbeTimeoutKillsWhatItStarted() throws {
        let marker = "33.\(UInt32.random(in: 100_000...999_999))"
        let result = HealthProbe.exec(["sh", "-c", "sleep \(marker) & wait"], timeoutMs: 300)
        #expect(!result.healthy)
        #expect(result.detail.contains("timed out"))
        usleep(100_000)
        let left = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { Int32($0) }.filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: data, as: UTF8.self).contains("sleep\u{0}\(marker)")
        } ?? []
        #expect(left.isEmpty)
    }
}
