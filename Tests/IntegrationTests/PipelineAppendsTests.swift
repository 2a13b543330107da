import B00tTestSupport
import Foundation
import Testing
@testable import B00tCore

/// With the bus on the server's event loop (as `b00t bus serve` runs it), a connection's command is appended
/// and answered in the pipeline (PipelineAppends) — but never ahead of an earlier request's reply, never past
/// the rate limit, and with the same answers the conversation gives. Blocking reads run off the cooperative
/// pool (`offPool`).
@Suite struct PipelineAppendsTests {
    static func field(_ line: String, _ key: String) -> Any? { ReplyLine.field(line, key) }

    static func line(_ fields: String, id: Int) -> String { "{\"v\":1,\(fields),\"id\":\(id)}" }

    /// Says, pings and requests only the conversation answers (state, events), pipelined in one write: every
    /// reply in request order, every say in the log in order, and the says answered in the pipeline.
    @Test(arguments: [true, false])
    func pipelinedCommandsKeepRequestOrder(busOnLoop: Bool) async throws {
        let server = try await TestBusServer(limits: .init(rate: 0, burst: 400), busOnLoop: busOnLoop)
        defer { Task { await server.stop() } }
        let socket = try RawSocket(path: server.endpoint.socketPath)
        var lines = [Self.line("\"op\":\"hello\",\"agent\":\"orderly\"", id: 0), Self.line("\"op\":\"register\"", id: 1)]
        for round in 0..<60 {
            let id = lines.count
            lines.append(Self.line("\"op\":\"say\",\"text\":\"r\(round)\"", id: id))
            switch round % 4 {
            case 0: lines.append(Self.line("\"op\":\"ping\"", id: id + 1))
            case 1: lines.append(Self.line("\"op\":\"state\"", id: id + 1))
            case 2: lines.append(Self.line("\"op\":\"events\",\"after\":0,\"limit\":5", id: id + 1))
            default: lines.append(Self.line("\"op\":\"say\",\"text\":\"r\(round)b\"", id: id + 1))
            }
        }
        let replies = try await socket.pipeline(lines)
        #expect(replies.count == lines.count)
        #expect(ReplyLine.ids(replies) == Array(0..<lines.count))
        #expect(replies.allSatisfy(ReplyLine.isOK), "\(replies.filter { !ReplyLine.isOK($0) })")
        let texts = try await server.server.bus.events().compactMap { event -> String? in
            if case .message(_, _, let text) = event.body { return text }
            return nil
        }
        let sent = (0..<60).flatMap { $0 % 4 == 3 ? ["r\($0)", "r\($0)b"] : ["r\($0)"] }
        #expect(texts == sent)
        // Pipelined, most go to the conversation (the hello before them is unanswered when they are read). One at
        // a time, as an agent sends them, each is answered in the pipeline when the bus is on the loop.
        let before = server.server.answeredInPipeline
        let single = try await offPool { () -> [String] in
            (0..<20).flatMap { i -> [String] in
                socket.send(Self.line("\"op\":\"say\",\"text\":\"one \(i)\"", id: 1_000 + i))
                return socket.readLines(1)
            }
        }
        #expect(ReplyLine.ids(single) == Array(1_000..<1_020))
        #expect(single.allSatisfy(ReplyLine.isOK))
        #expect(server.server.answeredInPipeline - before == (busOnLoop ? 20 : 0))
    }

    /// Refusals and bad commands get the conversation's answers, from the pipeline.
    @Test func refusalsAreTheConversationsAnswers() async throws {
        let server = try await TestBusServer(limits: .init(rate: 0, burst: 400))
        defer { Task { await server.stop() } }
        let socket = try RawSocket(path: server.endpoint.socketPath)
        let lines = [
            Self.line("\"op\":\"say\",\"text\":\"too early\"", id: 0),                       // no hello: conversation
            Self.line("\"op\":\"hello\",\"agent\":\"nobody\"", id: 1),
            Self.line("\"op\":\"say\",\"text\":\"unregistered\"", id: 2),                   // bus refusal
            Self.line("\"op\":\"say\"", id: 3),                                              // missing text
            Self.line("\"op\":\"frobnicate\"", id: 4),                                       // unknown op
            Self.line("\"op\":\"register\"", id: 5),
            Self.line("\"op\":\"vote\",\"from\":\"bob\",\"proposal\":\"p\",\"choice\":\"yes\"", id: 6),  // someone else
            Self.line("\"op\":\"apply\",\"ahoy\":\"ahoy-99\"", id: 7),                       // no such ahoy
            Self.line("\"op\":\"say\",\"text\":\"fine\"", id: 8),
        ]
        // One at a time, as an agent sends them, with a pause for the conversation to finish each of its own.
        let replies = try await offPool { lines.flatMap { line -> [String] in
            socket.send(line)
            defer { usleep(20_000) }
            return socket.readLines(1)
        } }
        #expect(ReplyLine.ids(replies) == Array(0..<lines.count))
        let codes = replies.map { Self.field($0, "code") as? String ?? (Self.field($0, "ok") as? Bool == true ? "ok" : "?") }
        #expect(codes == ["no_hello", "ok", "not_found", "invalid", "invalid", "ok", "forbidden", "not_found", "ok"])
        #expect(Self.field(replies[2], "bus_error") != nil)
        #expect(server.server.answeredInPipeline == 6)  // all but the no-hello, the hello and the register
        #expect(try await server.server.bus.currentState().messageCount == 1)
    }

    /// The pipeline takes from the same bucket as the conversation: a burst of 5 (hello and register take two)
    /// lets three says through, the rest are refused as rate-limited, in order.
    @Test func theRateLimitHolds() async throws {
        let server = try await TestBusServer(limits: .init(rate: 1, burst: 5))
        defer { Task { await server.stop() } }
        let socket = try RawSocket(path: server.endpoint.socketPath)
        var lines = [Self.line("\"op\":\"hello\",\"agent\":\"eager\"", id: 0), Self.line("\"op\":\"register\"", id: 1)]
        for i in 2..<22 { lines.append(Self.line("\"op\":\"say\",\"text\":\"m\(i)\"", id: i)) }
        let replies = try await socket.pipeline(lines)
        #expect(ReplyLine.ids(replies) == Array(0..<lines.count))
        let accepted = replies.dropFirst(2).filter { Self.field($0, "ok") as? Bool == true }.count
        let limited = replies.filter { Self.field($0, "code") as? String == "rate_limited" }.count
        #expect((3...4).contains(accepted), "3 says fit the burst (plus at most one refill): \(accepted) accepted")
        #expect(accepted + limited == 20)
        #expect(try await server.server.bus.currentState().messageCount == accepted)
    }

    /// A client that sends its last lines and shuts its write side (socat, nc) gets every answer, the pipeline's
    /// too (they are flushed once per read, and at the close).
    @Test func answersBeforeAHalfCloseAreFlushed() async throws {
        let server = try await TestBusServer(limits: .init(rate: 0, burst: 400))
        defer { Task { await server.stop() } }
        let socket = try RawSocket(path: server.endpoint.socketPath)
        try await socket.helloAndRegister("brief")
        usleep(20_000)
        let lines = (2..<7).map { Self.line("\"op\":\"say\",\"text\":\"last \($0)\"", id: $0) }
        socket.send(Array(lines.joined(separator: "\n").utf8))  // the last line without its newline
        shutdown(socket.fd, Int32(SHUT_WR))
        let replies = try await offPool { socket.readLines(5) }
        #expect(ReplyLine.ids(replies) == Array(2..<7), "\(replies)")
        #expect(replies.allSatisfy(ReplyLine.isOK))
    }

    /// A flood past the rate limit is refused where it is read (no task per line): the refusals come back in
    /// order, counted once in the metric, and most of them from the pipeline.
    @Test func aFloodIsRefusedInThePipeline() async throws {
        let server = try await TestBusServer(limits: .init(rate: 1, burst: 5))
        defer { Task { await server.stop() } }
        let socket = try RawSocket(path: server.endpoint.socketPath)
        try await socket.helloAndRegister("flood")
        usleep(20_000)  // the conversation's last answer counted
        let before = server.server.answeredInPipeline
        let lines = (2..<2_002).map { Self.line("\"op\":\"say\",\"text\":\"spam \($0)\"", id: $0) }
        let replies = try await socket.pipeline(lines)
        #expect(ReplyLine.ids(replies) == Array(2..<2_002))
        let limited = replies.filter { Self.field($0, "code") as? String == "rate_limited" }.count
        #expect(limited >= 1_990, "\(2_000 - limited) of 2,000 accepted with a burst of 5")
        #expect(replies.first { Self.field($0, "code") as? String == "rate_limited" }?.contains("rate limit: 1 messages/s (burst 5)") == true)
        #expect(server.server.answeredInPipeline - before == 2_000)
    }

    /// On SQLite, with another writer (a second bus on the same file, as another process would be) appending
    /// all along: the pipeline's appends fold the other's events under the lock or hand over when it holds
    /// it; nothing is lost, refused or reordered, and the file folds to the server's state.
    @Test func anotherWriterOnTheSameFile() async throws {
        let dir = TempDir("pipeline-sqlite")
        let path = dir.path + "/bus.sqlite"
        let server = try await TestBusServer(limits: .init(rate: 0, burst: 400), backend: try SQLiteBusBackend(path: path))
        defer { Task { await server.stop() } }
        let other = try await MessageBus(backend: try SQLiteBusBackend(path: path))
        try await other.register(BusAgent(id: "other"))
        let writer = Task { for i in 0..<300 { try await other.say(from: "other", "o\(i)") } }
        let socket = try RawSocket(path: server.endpoint.socketPath)
        var lines = [Self.line("\"op\":\"hello\",\"agent\":\"served\"", id: 0), Self.line("\"op\":\"register\"", id: 1)]
        for i in 2..<302 { lines.append(Self.line("\"op\":\"say\",\"text\":\"s\(i)\"", id: i)) }
        let replies = try await socket.pipeline(lines)
        try await writer.value
        #expect(ReplyLine.ids(replies) == Array(0..<lines.count))
        #expect(replies.allSatisfy(ReplyLine.isOK), "\(replies.filter { !ReplyLine.isOK($0) }.prefix(3))")
        let log = try await SQLiteBusBackend(path: path).read(after: 0, limit: 10_000)
        #expect(log.map(\.seq) == Array(1...UInt64(log.count)))
        let served = log.compactMap { event -> String? in
            guard event.from == "served", case .message(_, _, let text) = event.body else { return nil }
            return text
        }
        #expect(served == (2..<302).map { "s\($0)" })
        #expect(BusState().applying(log) == (try await server.server.bus.currentState()))
    }
}
