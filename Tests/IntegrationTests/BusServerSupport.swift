#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOPosix
import B00tTestSupport
@testable import B00tCore

/// An in-process `BusServer` on a private temporary socket, memory or SQLite backed.
final class TestBusServer: @unchecked Sendable {
    let dir = TempDir("b00t-srv")
    let server: BusServer
    var endpoint: BusEndpoint { server.endpoint }

    /// Loops for test servers' buses and connections (as `b00t bus serve` runs them on one), never shut down:
    /// a test may still look at a bus after stopping its server.
    static let loops = MultiThreadedEventLoopGroup(numberOfThreads: 2)

    /// With `busOnLoop: false` the bus is a plain actor and every command goes through the conversation.
    init(token: String? = nil, limits: BusServer.Limits = .init(), backend: (any BusBackend)? = nil,
         busOnLoop: Bool = true) async throws {
        let bus = try await MessageBus(backend: backend ?? MemoryBusBackend(), eventLoop: busOnLoop ? Self.loops.next() : nil)
        server = BusServer(bus: bus, endpoint: BusEndpoint(socketPath: dir.path + "/bus.sock", token: token), limits: limits)
        try await server.start()
    }

    func connect(_ agent: String) async throws -> RemoteBus { try await RemoteBus.connect(endpoint, agent: agent) }

    func stop() async { await server.shutdown() }
}

/// Reading a server's reply lines as plain JSON, independent of the decoders under test.
enum ReplyLine {
    static func field(_ line: String, _ key: String) -> Any? {
        ((try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any])?[key]
    }

    /// Each reply's `id` (-1 where it has none), to check the order replies came back in.
    static func ids(_ replies: [String]) -> [Int] { replies.map { (field($0, "id") as? Int) ?? -1 } }

    static func isOK(_ line: String) -> Bool { field(line, "ok") as? Bool == true }
}

/// A raw, blocking Unix-socket client: it can misbehave (send garbage, never read) in ways a proper client won't.
final class RawSocket: @unchecked Sendable {
    let fd: Int32

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() { raw[i] = b }
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else { throw SystemError.call("connect \(path)", errno) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }

    func send(_ line: String) { send(Array((line + "\n").utf8)) }

    /// Says hello as `agent` and registers it, and reads both answers (off the cooperative pool).
    func helloAndRegister(_ agent: String) async throws {
        send("{\"v\":1,\"op\":\"hello\",\"agent\":\"\(agent)\",\"id\":0}")
        send("{\"v\":1,\"op\":\"register\",\"id\":1}")
        _ = try await offPool { self.readLines(2) }
    }

    /// Sends `lines` pipelined in one write and reads as many replies back (off the cooperative pool).
    func pipeline(_ lines: [String]) async throws -> [String] {
        send(Array((lines.joined(separator: "\n") + "\n").utf8))
        let expected = lines.count
        return try await offPool { self.readLines(expected) }
    }

    /// Reads lines until `count` have arrived (or the peer closes / 5 s pass).
    func readLines(_ count: Int) -> [String] {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while data.filter({ $0 == 10 }).count < count {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n <= 0 { break }
            data += buffer[0..<n]
        }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// True once the server has closed the connection (reads return 0 or an error).
    func isClosedByPeer() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n == 0 { return true }
            if n < 0 { return errno == ECONNRESET || errno == EPIPE }
        }
    }
}
