import B00tTestSupport
import Foundation
import Testing
@testable import B00tCore

/// Live events reach subscribers over the socket in log order, each once — written straight from the event
/// line cache when the bus runs on the server's loop (as `b00t bus serve` runs it), by each subscriber's task
/// otherwise. Blocking reads run off the cooperative pool (`offPool`).
@Suite struct LiveDeliveryTests {
    /// The seqs of the event lines among `lines` (replies are skipped).
    static func eventSeqs(_ lines: [String]) -> [UInt64] {
        lines.compactMap { line -> UInt64? in
            guard let event = ReplyLine.field(line, "event") as? [String: Any] else { return nil }
            return (event["seq"] as? NSNumber)?.uint64Value
        }
    }

    @Test(arguments: [true, false])
    func everySubscriberSeesEveryEventOnceInOrder(busOnLoop: Bool) async throws {
        let server = try await TestBusServer(limits: .init(rate: 0, burst: 400), busOnLoop: busOnLoop)
        defer { Task { await server.stop() } }
        let writer = try await server.connect("writer")
        try await writer.register(BusAgent(id: "writer"))
        let from = try await server.server.bus.currentState().lastSeq
        var watchers: [RawSocket] = []
        for i in 0..<2 {
            let socket = try RawSocket(path: server.endpoint.socketPath)
            socket.send("{\"v\":1,\"op\":\"hello\",\"agent\":\"watch\(i)\",\"id\":1}")
            socket.send("{\"v\":1,\"op\":\"subscribe\",\"from_seq\":\(from),\"id\":2}")
            _ = try await offPool { socket.readLines(2) }
            watchers.append(socket)
        }
        // One at a time (as an agent talks), in groups (one append of several events), and from a second writer
        // at the same time.
        let other = try await server.connect("other")
        try await other.register(BusAgent(id: "other"))
        let chatter = Task { for i in 0..<100 { try await other.say(from: "other", "o\(i)") } }
        for i in 0..<150 { try await writer.say(from: "writer", "w\(i)") }
        for g in 0..<10 {
            try await writer.submit((0..<15).map { BusCommand.say(from: "writer", crew: nil, to: nil, text: "g\(g)-\($0)") })
        }
        try await chatter.value
        let last = try await server.server.bus.currentState().lastSeq
        let expected = Int(last - from)
        #expect(expected >= 402)
        for socket in watchers {
            let lines = try await offPool { socket.readLines(expected) }
            #expect(Self.eventSeqs(lines) == Array((from + 1)...last))
        }
        // A latecomer from the start catches up from the store, then follows live.
        let late = try RawSocket(path: server.endpoint.socketPath)
        late.send("{\"v\":1,\"op\":\"hello\",\"agent\":\"late\",\"id\":1}")
        late.send("{\"v\":1,\"op\":\"subscribe\",\"from_seq\":0,\"id\":2}")
        try await writer.say(from: "writer", "for the latecomer")
        let lateLines = try await offPool { late.readLines(2 + Int(last) + 1) }
        #expect(Self.eventSeqs(lateLines) == Array(1...(last + 1)))
        // Written from the cache whenever the append ran on the subscribers' loop: always with the bus on it,
        // and without, when the command came from a connection's task (a default actor runs on its caller's
        // task executor, the loop).
        let direct = server.server.lines.deliveredDirectly
        if busOnLoop { #expect(direct > expected, "most live deliveries are written from the cache: \(direct)") }
        await writer.close()
        await other.close()
    }
}
