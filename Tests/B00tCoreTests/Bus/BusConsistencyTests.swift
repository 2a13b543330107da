import Foundation
import B00tTestSupport
import GRDB
import Testing
@testable import B00tCore

/// Decision 6: a refusal is a final answer, so it is only given against the log's current end; and a reader is
/// never handed an event newer than the state it can look at (fold-then-deliver). Two `MessageBus` handles on one
/// store stand for two processes.
@Suite struct BusConsistencyTests {
    /// Walk-through: ^C on a handshake in line mode reported "alpha did not answer hs-… within 10 s" after a
    /// second. A cancelled wait ends with CancellationError (and still closes the handshake on the bus).
    @Test func aCancelledHandshakeIsNotATimeout() async throws {
        let bus = try await MessageBus(backend: MemoryBusBackend())
        try await bus.register(BusAgent(id: "asker"))
        try await bus.register(BusAgent(id: "silent", autoAcceptHandshakes: false))
        let waiting = Task { try await bus.handshake(from: "asker", to: "silent", proposal: "there?", timeout: .seconds(10)) }
        try await Task.sleep(for: .milliseconds(200))
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        let open = try await bus.currentState().handshakes.values.filter(\.isOpen)
        #expect(open.isEmpty, "the handshake was closed on the bus")
    }

    @Test(arguments: BackendKind.allCases) func aStaleWriterIsNotRefusedForWhatItHasNotFolded(kind: BackendKind) async throws {
        let store = try kind.make()
        let tui = try await MessageBus(backend: store.backend)
        let daemon = try await MessageBus(backend: try store.reopen())
        try await tui.register(BusAgent(id: "human", role: "human"))
        // Another process registers dev3; the TUI has not folded it.
        try await daemon.register(BusAgent(id: "dev3", skills: ["rust": 0.8], autoAcceptHandshakes: false))
        #expect(await tui.state.agents["dev3"] == nil)
        // Before: "unknown agent 'dev3'". Now the refusal is checked against the log's end and the command goes through.
        let events = try await tui.submit(.handshake(from: "human", to: "dev3", proposal: "hi"))
        guard case .handshakeRequested(let id, _, _, _)? = events.first?.body else { Issue.record("no handshake"); return }
        // And the other way: the daemon validates dev3's reply against a log that now holds the TUI's request.
        try await daemon.submit(.replyHandshake(from: "dev3", handshake: id, accept: true, reason: nil))
        #expect(try await tui.currentState().handshakes[id]?.accepted == true)
        // A real refusal is still a refusal (and is final).
        await #expect(throws: BusError.unknownAgent("nobody")) {
            try await tui.submit(.handshake(from: "human", to: "nobody", proposal: ""))
        }
    }

    @Test(arguments: BackendKind.allCases) func stalePipelinedBatchesAreRevalidated(kind: BackendKind) async throws {
        let store = try kind.make()
        let a = try await MessageBus(backend: store.backend)
        let b = try await MessageBus(backend: try store.reopen())
        try await a.register(BusAgent(id: "poster"))
        let events = try await b.submitPipelined([[.postAhoy(from: "poster", role: "dev", description: "", requiredSkills: [], budget: 1, replyBy: nil)]])
        #expect(events.count == 1)
    }

    @Test(arguments: BackendKind.allCases) func eventsAreFoldedBeforeTheyAreDelivered(kind: BackendKind) async throws {
        let store = try kind.make()
        let writer = try await MessageBus(backend: store.backend)
        let reader = try await MessageBus(backend: try store.reopen())
        try await writer.register(BusAgent(id: "captain"))
        let watcher = Task { () -> Bool in
            for try await event in reader.subscribe(after: 0) {
                if case .ahoyPosted(let id, _, _, _, _, _) = event.body {
                    // What the agent runner does on Redis: look the ahoy up in the process's folded state.
                    return await reader.state.ahoys[id] != nil
                }
            }
            return false
        }
        try await Task.sleep(for: .milliseconds(50))
        try await writer.postAhoy(from: "captain", role: "dev", requiredSkills: ["rust"], budget: 10)
        #expect(try await watcher.value)
    }
}

/// A store that loses events under a running process (Redis restarted empty, a deleted SQLite WAL) must be
/// detected and reported — never spun on (the daemon once livelocked at ~170k EVALSHA+XRANGE in 30 s) and never
/// written over with reused sequence numbers.
@Suite struct BusRewindTests {
    @Test func anEmptiedRedisIsReportedNotSpunOn() async throws {
        guard RedisTestServer.available else { return }
        let url = RedisTestServer.url()
        let backend = try RedisBusBackend(url)
        let bus = try await MessageBus(backend: backend)
        try await bus.register(BusAgent(id: "alpha"))
        try await bus.say(from: "alpha", "one")
        // What a restart without persistence leaves: no log, no sequence key.
        let parsed = try RedisURL(parsing: url)
        let connection = try RedisConnection(parsed)
        _ = try connection.command(["DEL", "b00t:{\(parsed.bus)}:log", "b00t:{\(parsed.bus)}:seq"])
        let started = ContinuousClock.now
        await #expect(throws: BusError.logRewound(store: backend.label, seen: 2, now: 0)) {
            try await bus.say(from: "alpha", "two")
        }
        #expect(ContinuousClock.now - started < .seconds(5))  // not a livelock
        // And it stays refused (nothing is numbered 1 or 2 again), with the reason.
        await #expect(throws: BusError.logRewound(store: backend.label, seen: 2, now: 0)) {
            try await bus.say(from: "alpha", "three")
        }
        #expect(try await backend.lastSequence() == 0)
    }

    /// Emptied and then grown past what this process saw by someone else: numbers alone cannot tell, the
    /// log's epoch does — neither a reader nor a writer mixes the two histories.
    @Test func aRedisLogReplacedAndGrownIsNotMixedIn() async throws {
        guard RedisTestServer.available else { return }
        let url = RedisTestServer.url()
        let old = try await MessageBus(backend: try RedisBusBackend(url))
        try await old.register(BusAgent(id: "fl2"))
        try await old.say(from: "fl2", "one")
        let seen = await old.state.lastSeq
        let parsed = try RedisURL(parsing: url)
        _ = try RedisConnection(parsed).command(["DEL", "b00t:{\(parsed.bus)}:log", "b00t:{\(parsed.bus)}:seq", "b00t:{\(parsed.bus)}:epoch"])
        let newcomer = try await MessageBus(backend: try RedisBusBackend(url))
        try await newcomer.register(BusAgent(id: "other"))
        for i in 0..<6 { try await newcomer.say(from: "other", "new \(i)") }
        #expect(try await RedisBusBackend(url).lastSequence() > seen)
        let store = RedisURL.init(host: parsed.host, port: parsed.port, db: parsed.db, password: parsed.password, bus: parsed.bus).description
        await #expect(throws: BusError.logReplaced(store: store)) { try await old.say(from: "fl2", "two") }
        await #expect(throws: BusError.logReplaced(store: store)) { _ = try await old.backend.read(after: seen, limit: 10) }
        // The newcomer's log is untouched by the old writer.
        #expect(try await newcomer.currentState().agents["fl2"] == nil)
    }

    @Test func twoWritersOpeningOneEmptyRedisLogAgreeOnItsEpoch() async throws {
        guard RedisTestServer.available else { return }
        let url = RedisTestServer.url()
        let a = try await MessageBus(backend: try RedisBusBackend(url))
        let b = try await MessageBus(backend: try RedisBusBackend(url))
        try await a.register(BusAgent(id: "a"))
        try await b.register(BusAgent(id: "b"))  // b folds a's event, adopts the epoch a created, and appends
        try await a.say(from: "a", "hi")
        #expect(try await b.currentState().messageCount == 1)
    }

    @Test func aSQLiteLogThatLostEventsIsReported() async throws {
        let dir = TempDir("bus", keep: true)
        let path = dir.path + "/bus.sqlite"
        let bus = try await MessageBus(backend: try SQLiteBusBackend(path: path))
        try await bus.register(BusAgent(id: "alpha"))
        for i in 0..<5 { try await bus.say(from: "alpha", "m\(i)") }
        // Another hand removes acknowledged events (what a deleted WAL does to the file's end).
        let other = try DatabaseQueue(path: path)
        try await other.write { db in try db.execute(sql: "DELETE FROM events WHERE seq > 3") }
        await #expect(throws: BusError.logRewound(store: "sqlite:\(path)", seen: 6, now: 3)) {
            try await bus.say(from: "alpha", "after")
        }
        let reader = try await MessageBus(backend: try SQLiteBusBackend(path: path))
        #expect(await reader.state.lastSeq == 3)  // nothing was written at 4 again
    }

    @Test func aSubscriberParkedPastTheEndIsTold() async throws {
        guard RedisTestServer.available else { return }
        let url = RedisTestServer.url()
        let bus = try await MessageBus(backend: try RedisBusBackend(url))
        try await bus.register(BusAgent(id: "alpha"))
        let parsed = try RedisURL(parsing: url)
        let watcher = Task { () -> BusError? in
            do {
                for try await _ in bus.subscribe(after: 1) {}
            } catch let error as BusError {
                return error
            }
            return nil
        }
        try await Task.sleep(for: .milliseconds(100))
        _ = try RedisConnection(parsed).command(["DEL", "b00t:{\(parsed.bus)}:log", "b00t:{\(parsed.bus)}:seq"])
        let error = try await watcher.value
        guard case .logRewound(_, 1, 0)? = error else { Issue.record("expected logRewound, got \(String(describing: error))"); return }
    }
}

/// Redis answering with an error (a key of the wrong type, an entry someone corrupted) is reported at once and
/// plainly — once it took 8.6 s of retries per append and came back as Lua internals.
@Suite struct RedisErrorReplyTests {
    @Test func aKeyOfTheWrongTypeIsAClearFastError() async throws {
        guard RedisTestServer.available else { return }
        let url = RedisTestServer.url()
        let parsed = try RedisURL(parsing: url)
        _ = try RedisConnection(parsed).command(["SET", "b00t:{\(parsed.bus)}:log", "not a stream"])
        let backend = try RedisBusBackend(url)
        let started = ContinuousClock.now
        do {
            let bus = try await MessageBus(backend: backend)
            try await bus.register(BusAgent(id: "alpha"))
            Issue.record("opening or appending should fail")
        } catch let error as BusError {
            #expect(error.description.contains("hold another kind of value"), "\(error)")
            #expect(!error.description.contains("user_script"), "\(error)")
        }
        #expect(ContinuousClock.now - started < .seconds(5))  // it once took 8.6 s of retries
    }

    @Test func aCorruptEntryNamesItsSequenceNumber() async throws {
        guard RedisTestServer.available else { return }
        let url = RedisTestServer.url()
        let parsed = try RedisURL(parsing: url)
        let bus = try await MessageBus(backend: try RedisBusBackend(url))
        try await bus.register(BusAgent(id: "alpha"))
        let connection = try RedisConnection(parsed)
        _ = try connection.command(["XADD", "b00t:{\(parsed.bus)}:log", "2-0", "kind", "message", "event", "{broken"])
        _ = try connection.command(["SET", "b00t:{\(parsed.bus)}:seq", "2"])
        let started = ContinuousClock.now
        await #expect(throws: BusError.corruptLog(seq: 2, detail: "event is not valid JSON")) {
            _ = try await MessageBus(backend: try RedisBusBackend(url))
        }
        #expect(ContinuousClock.now - started < .seconds(5))  // it once took 8.6 s of retries
    }
}
