import B00tTestSupport
import Foundation
import NIOCore
import NIOPosix
import Testing
@testable import B00tCore

/// The server's live tail: appends are delivered from memory, the store is read only behind the tail, and
/// what is held stays bounded.
@Suite struct EventLineCacheTests {
    /// Counts the reads that reach the store.
    final class CountingBackend: ForwardingBackend, @unchecked Sendable {
        private let lock = NSLock()
        private var readCalls = 0
        var reads: Int { lock.withLock { readCalls } }
        init() { super.init(label: "memory") }
        override func read(after seq: UInt64, limit: Int) async throws -> [BusEvent] {
            lock.withLock { readCalls += 1 }
            return try await super.read(after: seq, limit: limit)
        }
    }

    /// The seq of every event line in `buffers` (a buffer may hold several lines).
    func seqs(_ buffers: [ByteBuffer]) -> [UInt64] {
        buffers.flatMap { String(buffer: $0).split(separator: "\n") }.compactMap { text in
            guard let range = text.range(of: "\"seq\":") else { return nil }
            return UInt64(text[range.upperBound...].prefix { $0.isNumber })
        }
    }

    @Test func liveDeliveriesNeverReadTheStore() async throws {
        let backend = CountingBackend()
        let bus = try await MessageBus(backend: backend, snapshots: .never)
        try await bus.register(BusAgent(id: "a"))
        let cache = EventLineCache(backend: backend)
        try await cache.attach(to: bus)
        defer { cache.detach() }
        let readsBefore = backend.reads
        var cursor: UInt64 = 1
        for n in 0..<300 {
            try await bus.say(from: "a", "m\(n)")
            // Two subscribers each take the new line and then find nothing more.
            for _ in 0..<2 {
                let (lines, last) = try #require(try await cache.lines(after: cursor, limit: 1_000))
                #expect(seqs(lines) == [cursor + 1] && last == cursor + 1)
                #expect(try await cache.lines(after: last, limit: 1_000) == nil)
            }
            cursor += 1
        }
        #expect(backend.reads == readsBefore, "live tail served from memory")
        // A reader far behind gets pages from the store, in order.
        let (old, last) = try #require(try await cache.lines(after: 0, limit: 100))
        #expect(seqs(old) == Array(1...100) && last == 100)
    }

    @Test func heldEventsAndBytesStayBounded() async throws {
        let backend = MemoryBusBackend()
        let bus = try await MessageBus(backend: backend, snapshots: .never)
        try await bus.register(BusAgent(id: "a"))
        let cache = EventLineCache(backend: backend, capacity: 100, byteBudget: 64 * 1024)
        try await cache.attach(to: bus)
        defer { cache.detach() }
        var cursor: UInt64 = 1
        for batch in 0..<50 {
            try await bus.submit((0..<100).map { BusCommand.say(from: "a", crew: nil, to: nil, text: String(repeating: "x", count: 500) + "\(batch)-\($0)") })
            while let (lines, last) = try await cache.lines(after: cursor, limit: 1_000) {
                #expect(seqs(lines).first == cursor + 1)
                cursor = last
            }
            let held = cache.held
            #expect(held.events <= 100 && held.bytes <= 64 * 1024 + 1_000, "\(held)")
        }
        #expect(cursor == 5_001)
    }

    @Test func aWaitingSubscriberWakesOnAppendAndOnCancel() async throws {
        let backend = MemoryBusBackend()
        let bus = try await MessageBus(backend: backend, snapshots: .never)
        try await bus.register(BusAgent(id: "a"))
        let cache = EventLineCache(backend: backend)
        try await cache.attach(to: bus)
        defer { cache.detach() }
        let woke = Task { await cache.waitForNew(after: 1); return true }
        while cache.waiting == 0 { try await Task.sleep(for: .milliseconds(1)) }
        try await bus.say(from: "a", "wake up")
        #expect(await woke.value)
        let cancelled = Task { _ = await cache.waitForNew(after: 2) }
        while cache.waiting == 0 { try await Task.sleep(for: .milliseconds(1)) }
        cancelled.cancel()
        await cancelled.value
        #expect(cache.waiting == 0)
    }

    /// A socket that records what is written to it straight from the cache.
    final class RecordingSink: LiveSink, @unchecked Sendable {
        let loop: any EventLoop
        private let lock = NSLock()
        private var open = true
        private var written: [ByteBuffer] = []
        init(loop: any EventLoop) { self.loop = loop }
        var writable: Bool {
            get { lock.withLock { open } }
            set { lock.withLock { open = newValue } }
        }
        var writes: [ByteBuffer] { lock.withLock { written } }
        func canWriteNow() -> Bool {
            #expect(loop.inEventLoop)
            return writable
        }
        func writeNow(_ buffer: ByteBuffer) {
            #expect(loop.inEventLoop)
            lock.withLock { written.append(buffer) }
        }
    }

    static let loops = MultiThreadedEventLoopGroup(numberOfThreads: 2)

    /// A caught-up subscriber whose socket is on the loop the bus appends from is not woken for live events: they
    /// are written to it from the cache, and its task learns where the stream stands when it is woken at last
    /// (here: its socket stops taking writes, so it must write — and wait — itself).
    @Test func aSubscriberOnTheBussLoopIsWrittenToNotWoken() async throws {
        let loop = Self.loops.next()
        let backend = MemoryBusBackend()
        let bus = try await MessageBus(backend: backend, snapshots: .never, eventLoop: loop)
        try await bus.register(BusAgent(id: "a"))
        let cache = EventLineCache(backend: backend)
        try await cache.attach(to: bus)
        defer { cache.detach() }
        let sink = RecordingSink(loop: loop)
        let parked = Task { await cache.waitForNew(after: 1, sink: sink) }
        while cache.waiting == 0 { try await Task.sleep(for: .milliseconds(1)) }
        for i in 0..<5 { try await bus.say(from: "a", "live \(i)") }
        try await bus.submit((0..<3).map { BusCommand.say(from: "a", crew: nil, to: nil, text: "together \($0)") })
        let deadline = ContinuousClock.now + .seconds(5)
        while seqs(sink.writes).count < 8, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(1)) }
        #expect(seqs(sink.writes) == Array(2...9))
        #expect(cache.waiting == 1, "never woken while its socket took the writes")
        #expect(cache.deliveredDirectly == 8)
        sink.writable = false
        try await bus.say(from: "a", "not now")
        #expect(await parked.value == 9, "woken where the stream stood")
        #expect(seqs(sink.writes).count == 8)
        let rest = try #require(try await cache.lines(after: 9, limit: 10))
        #expect(seqs(rest.lines) == [10])
    }

    /// On another loop (or with the bus on none), a subscriber is woken as before.
    @Test func aSubscriberOnAnotherLoopIsWoken() async throws {
        let loops = Array(Self.loops.makeIterator())
        let backend = MemoryBusBackend()
        let bus = try await MessageBus(backend: backend, snapshots: .never, eventLoop: loops[0])
        try await bus.register(BusAgent(id: "a"))
        let cache = EventLineCache(backend: backend)
        try await cache.attach(to: bus)
        defer { cache.detach() }
        let sink = RecordingSink(loop: loops[1])
        let parked = Task { await cache.waitForNew(after: 1, sink: sink) }
        while cache.waiting == 0 { try await Task.sleep(for: .milliseconds(1)) }
        try await bus.say(from: "a", "wake")
        #expect(await parked.value == 1)
        #expect(sink.writes.isEmpty)
    }

    /// Another process appending to the same store: the watcher hands its events over, and a gap (events we
    /// never saw) is read from the store in order.
    @Test func appendsFromAnotherWriterReachSubscribers() async throws {
        let dir = TempDir("tail")
        let path = dir.path + "/bus.sqlite"
        let ours = try await MessageBus(backend: try SQLiteBusBackend(path: path), snapshots: .never)
        try await ours.register(BusAgent(id: "a"))
        let theirs = try await MessageBus(backend: try SQLiteBusBackend(path: path), snapshots: .never)
        let cache = EventLineCache(backend: try SQLiteBusBackend(path: path))
        try await cache.attach(to: ours)
        defer { cache.detach() }
        try await theirs.register(BusAgent(id: "b"))
        try await theirs.say(from: "b", "from elsewhere")
        try await ours.say(from: "a", "from here")
        var cursor: UInt64 = 1
        var seen: [UInt64] = []
        let deadline = ContinuousClock.now + .seconds(10)
        while seen.count < 3, ContinuousClock.now < deadline {
            guard let (lines, last) = try await cache.lines(after: cursor, limit: 1_000) else {
                await cache.waitForNew(after: cursor)
                continue
            }
            seen += seqs(lines)
            cursor = last
        }
        #expect(seen == [2, 3, 4])
    }
}
