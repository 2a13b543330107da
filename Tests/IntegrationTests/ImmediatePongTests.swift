import Foundation
import B00tTestSupport
import Testing
@testable import B00tCore

/// Blocking reads run off the cooperative pool (`offPool`): on 2 cores, a blocked pool thread starves the
/// server's accept loop. The daemon's pipeline answers a ping where it reads it (ConnectionShared) — but never ahead of an earlier
/// request's reply, never past the rate limit, and with the agent the connection said hello as.
@Suite struct ImmediatePongTests {
    static func field(_ line: String, _ key: String) -> Any? { ReplyLine.field(line, key) }

    @Test func pipelinedRequestsAreAnsweredInTheOrderTheyCame() async throws {
        let server = try await TestBusServer(limits: .init(rate: 0, burst: 400))
        defer { Task { await server.stop() } }
        let socket = try RawSocket(path: server.endpoint.socketPath)
        // One write: pings around a hello, a register and commands that go through the bus. Every reply must come
        // back in request order, whichever side of the connection answered it.
        var lines = ["{\"v\":1,\"op\":\"ping\",\"id\":0}", "{\"v\":1,\"op\":\"hello\",\"agent\":\"orderly\",\"id\":1}",
                     "{\"v\":1,\"op\":\"ping\",\"id\":2}", "{\"v\":1,\"op\":\"register\",\"id\":3}"]
        var id = 4
        for round in 0..<50 {
            lines.append("{\"v\":1,\"op\":\"say\",\"text\":\"r\(round)\",\"id\":\(id)}")
            lines.append("{\"v\":1,\"op\":\"ping\",\"id\":\(id + 1)}")
            lines.append("{\"v\":1,\"op\":\"ping\",\"id\":\(id + 2)}")
            id += 3
        }
        let replies = try await socket.pipeline(lines)
        #expect(replies.count == lines.count)
        #expect(ReplyLine.ids(replies) == Array(0..<lines.count))
        #expect(replies.allSatisfy(ReplyLine.isOK), "\(replies.filter { !ReplyLine.isOK($0) })")
        // Before the hello a pong names nobody; after it, the agent.
        #expect(Self.field(replies[0], "agent") is NSNull)
        #expect(Self.field(replies[2], "agent") as? String == "orderly")
        #expect(Self.field(replies[5], "op") as? String == "pong" && Self.field(replies[5], "agent") as? String == "orderly")
    }

    @Test func pingsCountAgainstTheRateLimit() async throws {
        let server = try await TestBusServer(limits: .init(rate: 1, burst: 5))
        defer { Task { await server.stop() } }
        let socket = try RawSocket(path: server.endpoint.socketPath)
        let pings = (0..<20).map { "{\"v\":1,\"op\":\"ping\",\"id\":\($0)}" }
        let replies = try await socket.pipeline(pings)
        #expect(replies.count == 20)
        let limited = replies.filter { Self.field($0, "code") as? String == "rate_limited" }
        #expect((14...15).contains(limited.count), "5 of 20 fit the burst (plus at most one refill): \(limited.count) refused")
        #expect(ReplyLine.ids(replies) == Array(0..<20))
    }

    /// A client that sends pings (or says, which the pipeline appends) and never reads: the daemon stops reading
    /// it once the socket is full instead of queueing replies without bound, and cuts it off as a slow consumer.
    @Test(arguments: ["ping", "say"])
    func aFloodThatIsNeverReadIsCutOff(op: String) async throws {
        let server = try await TestBusServer(limits: .init(rate: 0, burst: 400, slowConsumerTimeout: .milliseconds(500)))
        defer { Task { await server.stop() } }
        let socket = try RawSocket(path: server.endpoint.socketPath)
        if op == "say" {
            try await socket.helloAndRegister("flood")
        }
        var flags = fcntl(socket.fd, F_GETFL)
        flags |= O_NONBLOCK
        _ = fcntl(socket.fd, F_SETFL, flags)
        let line = op == "say" ? "{\"v\":1,\"op\":\"say\",\"text\":\"flood\",\"id\":3}\n" : "{\"v\":1,\"op\":\"ping\",\"id\":1}\n"
        let block = Array([[UInt8]](repeating: Array(line.utf8), count: 1_000).joined())
        let (sent, closed) = try await offPool { () -> (Int, Bool) in
            var sent = 0
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline {
                let n = block.withUnsafeBytes { send(socket.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n > 0 { sent += n; continue }
                if errno == EPIPE || errno == ECONNRESET { return (sent, true) }
                usleep(50_000)
            }
            return (sent, false)
        }
        #expect(closed, "after \(sent) bytes of \(op)s the connection is still open")
        #expect(sent < 64 << 20, "the daemon read \(sent) bytes of \(op)s it could not answer")
    }
}
