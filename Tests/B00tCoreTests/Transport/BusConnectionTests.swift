import Foundation
import NIOCore
import NIOEmbedded
import Testing
@testable import B00tCore

/// A connection's whole conversation, in memory: requests go in as an `AsyncStream`, replies are collected —
/// no socket, no event loop (the way hummingbird tests a router).
@Suite struct BusConnectionTests {
    /// Collects what the connection writes, line by line.
    final class MemoryOutput: ConnectionOutput, @unchecked Sendable {
        private let lock = NSLock()
        private var text = ""
        private(set) var closedByServer = false
        private let done = AsyncStream<Void>.makeStream()
        func write(_ buffer: ByteBuffer) async throws { lock.withLock { text += String(buffer: buffer) } }
        func close() {
            lock.withLock { closedByServer = true }
            done.continuation.finish()
        }
        func closed() async { for await _ in done.stream {} }
        var lines: [String] { lock.withLock { text.split(separator: "\n").map(String.init) } }
    }

    struct Harness {
        let bus: MessageBus
        let registry = AgentRegistry()
        let context: ConnectionContext
        init(limits: BusServer.Limits = .init(rate: 0, burst: 0), token: String? = nil) async throws {
            let backend = MemoryBusBackend()
            bus = try await MessageBus(backend: backend)
            context = ConnectionContext(bus: bus, registry: registry, presence: PresenceKeeper(bus: bus, registry: registry),
                                        lines: EventLineCache(backend: backend), limits: limits, token: token)
        }

        /// Runs one connection over `lines` (each a request line, or raw framing results) and returns its output.
        /// With `keepOpenUntil`, the connection stays open until its output satisfies it (or 10 s pass): a fixed
        /// sleep lost a late event when the machine was busy.
        func converse(_ items: [WireInbound], keepOpen: Duration? = nil,
                      keepOpenUntil: (@Sendable ([String]) -> Bool)? = nil) async -> MemoryOutput {
            let output = MemoryOutput()
            let (stream, continuation) = AsyncStream<WireInbound>.makeStream()
            for item in items { continuation.yield(item) }
            let connection = Task { await BusConnection(context: context).run(stream, output) }
            if let keepOpen { try? await Task.sleep(for: keepOpen) }
            if let keepOpenUntil {
                let deadline = ContinuousClock.now + .seconds(10)
                while !keepOpenUntil(output.lines), ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
                output.close()
            }
            continuation.finish()
            if keepOpen != nil { output.close() }
            await connection.value
            return output
        }
    }

    static func line(_ json: String) -> WireInbound {
        do { return .request(try WireProtocol.parse(Array(json.utf8))) } catch { return .malformed(error.description, id: error.id) }
    }

    @Test func helloRegisterAndCommands() async throws {
        let h = try await Harness()
        let out = await h.converse([
            Self.line(#"{"op":"ping","id":1}"#),
            Self.line(#"{"op":"say","text":"too early","id":2}"#),
            Self.line(#"{"op":"hello","agent":"alice","id":3}"#),
            Self.line(#"{"op":"register","skills":{"rust":0.8},"id":4}"#),
            Self.line(#"{"op":"say","text":"hi","id":5}"#),
            Self.line(#"{"op":"vote","from":"bob","proposal":"p","choice":"yes","id":6}"#),
            Self.line(#"{"op":"apply","ahoy":"ahoy-99","id":7}"#),
        ])
        let lines = out.lines
        #expect(lines.count == 7)
        #expect(lines[0].contains(#""op":"pong""#))
        #expect(lines[1].contains(#""code":"no_hello""#))
        #expect(lines[2].contains(#""agent":"alice""#))
        #expect(lines[3].contains(#""ok":true"#) && lines[3].contains("agentRegistered"))
        #expect(lines[4].contains(#""text":"hi""#))
        #expect(lines[5].contains(#""code":"forbidden""#))
        #expect(lines[6].contains(#""code":"not_found""#) && lines[6].contains(#""bus_error""#))
        // Replies are in request order: their ids are 1…7.
        #expect(lines.compactMap { $0.firstMatch(of: /"id":(\d+)/).map { Int($0.1) } } == [1, 2, 3, 4, 5, 6, 7])
        // The connection ended: alice's identity is free again.
        let next = BusConnection.Holder()
        #expect(h.registry.claim("alice", by: ObjectIdentifier(next)))
        withExtendedLifetime(next) {}
    }

    @Test func framingProblemsAndTokens() async throws {
        let h = try await Harness(token: "s3cret")
        let out = await h.converse([
            .tooLong(70_000), .malformed("malformed request: not JSON", id: .none),
            Self.line(#"{"op":"hello","agent":"eve","token":"wrong","id":1}"#),
            Self.line(#"{"op":"hello","agent":"bad id","token":"s3cret","id":2}"#),
            Self.line(#"{"op":"hello","agent":"eve","token":"s3cret","id":3}"#),
            // Walk-through: refused for its version or a missing op, a request's reply still carries its id.
            Self.line(#"{"v":2,"op":"ping","id":8}"#),
            Self.line(#"{"v":1,"id":"nine"}"#),
        ])
        let lines = out.lines
        #expect(lines[0].contains(#""code":"too_long""#) && lines[0].contains("70000"))
        #expect(lines[1].contains(#""code":"malformed""#))
        #expect(lines[2].contains(#""code":"unauthorized""#))
        #expect(lines[3].contains(#""code":"malformed""#))
        #expect(lines[4].contains(#""ok":true"#))
        #expect(lines[5].contains(#""id":8"#) && lines[5].contains("protocol version 2 is not supported"), "\(lines[5])")
        #expect(lines[6].contains(#""id":"nine""#) && lines[6].contains("missing"), "\(lines[6])")
    }

    @Test func rateLimitAndOversizedBatches() async throws {
        let h = try await Harness(limits: .init(rate: 1, burst: 3))
        var items = [Self.line(#"{"op":"hello","agent":"spam","id":0}"#)]
        for i in 1...5 { items.append(Self.line(#"{"op":"ping","id":\#(i)}"#)) }
        items.append(Self.line(#"{"op":"batch","cmds":[{"op":"say","text":"a"},{"op":"say","text":"b"},{"op":"say","text":"c"},{"op":"say","text":"d"}],"id":9}"#))
        let lines = await h.converse(items).lines
        #expect(lines.filter { $0.contains(#""code":"rate_limited""#) }.count == 3)  // hello + 2 pings fit the burst of 3
        #expect(lines.last?.contains(#""code":"too_large""#) == true)
    }

    @Test func subscribeAcksBeforeAnyEventAndStreams() async throws {
        let h = try await Harness()
        try await h.bus.register(BusAgent(id: "writer"))
        try await h.bus.say(from: "writer", "before")
        let writer = Task {
            try await Task.sleep(for: .milliseconds(100))
            try await h.bus.say(from: "writer", "after")
        }
        let out = await h.converse([
            Self.line(#"{"op":"hello","agent":"reader","id":1}"#),
            Self.line(#"{"op":"subscribe","from_seq":0,"id":2}"#),
        ], keepOpenUntil: { lines in lines.contains { $0.contains(#""text":"after""#) } })
        try await writer.value
        let lines = out.lines
        #expect(lines[1].contains(#""op":"subscribe""#))
        #expect(lines[2].contains(#""event""#) && lines[2].contains("agentRegistered"))
        #expect(lines.contains { $0.contains(#""text":"before""#) })
        #expect(lines.contains { $0.contains(#""text":"after""#) })
    }

    @Test func oneConnectionPerAgentAndRebinding() async throws {
        let h = try await Harness()
        let other = BusConnection.Holder()  // alive for the whole test: identifiers of freed objects get reused
        #expect(h.registry.claim("taken", by: ObjectIdentifier(other)))
        defer { withExtendedLifetime(other) {} }
        let out = await h.converse([
            Self.line(#"{"op":"hello","agent":"taken","id":1}"#),
            Self.line(#"{"op":"hello","agent":"alice","id":2}"#),
            Self.line(#"{"op":"register","id":3}"#),
            Self.line(#"{"op":"hello","agent":"bob","id":4}"#),
            Self.line(#"{"op":"register","id":5}"#),
        ])
        let lines = out.lines
        #expect(lines[0].contains(#""code":"conflict""#))
        #expect(lines[4].contains(#""id":"bob""#))
        let state = try await h.bus.currentState()
        #expect(state.agents["alice"] != nil && state.agents["bob"] != nil)
    }
}

/// The pipeline's framing on an embedded channel: lines, CRLF, an over-long line dropped up to its newline.
@Suite struct BoundedLineDecoderTests {
    @Test func framesLinesAndDropsOverlongOnes() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(BoundedLineDecoder(maximumLength: 8)))
        try channel.writeInbound(ByteBuffer(string: "one\r\ntwo\nthis line is far too long\nthree\npart"))
        var frames: [String] = []
        while let frame = try channel.readInbound(as: InboundFrame.self) {
            switch frame {
            case .line(let buffer): frames.append(String(buffer: buffer))
            case .tooLong(let n): frames.append("<\(n)>")
            }
        }
        #expect(frames == ["one", "two", "<25>", "three"])
        try channel.writeInbound(ByteBuffer(string: "ial\n"))
        if case .line(let buffer)? = try channel.readInbound(as: InboundFrame.self) { #expect(String(buffer: buffer) == "partial") }
        // A long line that arrives in pieces is dropped too, and the next one still frames.
        try channel.writeInbound(ByteBuffer(string: String(repeating: "x", count: 20)))
        try channel.writeInbound(ByteBuffer(string: String(repeating: "y", count: 20) + "\nok\n"))
        var after: [String] = []
        while let frame = try channel.readInbound(as: InboundFrame.self) {
            if case .line(let b) = frame { after.append(String(buffer: b)) } else if case .tooLong(let n) = frame { after.append("<\(n)>") }
        }
        #expect(after == ["<40>", "ok"])
        _ = try channel.finish()
    }
}

@Suite struct TokenBucketTests {
    @Test func burstThenRate() {
        var bucket = TokenBucket(rate: 10, burst: 5)
        let start = ContinuousClock.now
        var results: [Bool] = []
        for _ in 0..<5 { results.append(bucket.take(now: start)) }
        results.append(bucket.take(now: start))
        results.append(bucket.take(now: start + .milliseconds(100)))   // 1 token back after 100 ms at 10/s
        results.append(bucket.take(now: start + .milliseconds(100)))
        results.append(bucket.take(3, now: start + .milliseconds(400)))  // 3 more
        results.append(bucket.take(6, now: start + .seconds(10)))        // never more than the burst
        #expect(results == [true, true, true, true, true, false, true, false, true, false])
        var unlimited = TokenBucket(rate: 0, burst: 0)
        var granted = 0
        for _ in 0..<10_000 where unlimited.take() { granted += 1 }
        #expect(granted == 10_000)
    }
}
