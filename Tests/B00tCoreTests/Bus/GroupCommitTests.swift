import Foundation
import B00tTestSupport
import Testing
@testable import B00tCore

/// A memory log whose write lock the test holds: while closed every locked append answers `.busy`, as
/// SQLite does while another process writes.
final class GatedBackend: ForwardingInlineBackend, @unchecked Sendable {
    private let lock = NSLock()
    private var closed = false
    private(set) var attempts = 0
    init() { super.init(label: "gated") }
    func close() { lock.withLock { closed = true } }
    func open() { lock.withLock { closed = false } }

    override func appendLocked(after: UInt64, maxTail: Int, _ build: ([BusEvent]) throws -> [BusEvent]) throws -> LockedAppendOutcome {
        let busy = lock.withLock { () -> Bool in
            attempts += 1
            return closed
        }
        if busy { return .busy }
        return try super.appendLocked(after: after, maxTail: maxTail, build)
    }
}

/// A backend that cannot hold its lock for the bus (like Redis) and takes a while per append.
final class SlowBackend: ForwardingBackend, @unchecked Sendable {
    private let lock = NSLock()
    private(set) var appends = 0
    init() { super.init(label: "slow") }
    override func append(_ events: [BusEvent], expectedLastSeq: UInt64) async throws -> Bool {
        lock.withLock { appends += 1 }
        try await Task.sleep(for: .milliseconds(20))
        return try await super.append(events, expectedLastSeq: expectedLastSeq)
    }
}

/// A memory log that counts its transactions; `hold` (when set) runs inside the next one, as a slow commit.
final class CountingInlineBackend: ForwardingInlineBackend, @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    private var holdNext: (@Sendable () -> Void)?
    var transactions: Int { lock.withLock { count } }
    init() { super.init(label: "counting") }
    func hold(_ body: @escaping @Sendable () -> Void) { lock.withLock { holdNext = body } }
    override func appendLocked(after: UInt64, maxTail: Int, _ build: ([BusEvent]) throws -> [BusEvent]) throws -> LockedAppendOutcome {
        let hold = lock.withLock { () -> (@Sendable () -> Void)? in
            count += 1
            defer { holdNext = nil }
            return holdNext
        }
        hold?()
        return try super.appendLocked(after: after, maxTail: maxTail, build)
    }
}

@Suite struct GroupCommitTests {
    /// Regression (goal: 8 submitters ≥ 50k/s): on a backend that appends inline, every submit was its own
    /// transaction even with the other callers already waiting at the actor, so eight submitters went no faster
    /// than one. Callers that arrive while a transaction runs now wait for each other and go in one: here the
    /// first holds its transaction until the other seven are on their way, and they take one more between them,
    /// each with its own events, in the order they were taken.
    @Test func callersArrivingDuringATransactionShareTheNext() async throws {
        let backend = CountingInlineBackend()
        let bus = try await MessageBus(backend: backend)
        for i in 0..<8 { try await bus.register(BusAgent(id: "s\(i)")) }
        let before = backend.transactions
        backend.hold { [bus] in
            let deadline = ContinuousClock.now + .seconds(10)
            while bus.callersArriving < 7, ContinuousClock.now < deadline { usleep(200) }
        }
        let answers = try await withThrowingTaskGroup(of: (Int, [BusEvent]).self) { group in
            for i in 0..<8 {
                group.addTask { (i, try await bus.submit([.say(from: "s\(i)", crew: nil, to: nil, text: "m\(i)")])) }
            }
            return try await group.reduce(into: [Int: [BusEvent]]()) { $0[$1.0] = $1.1 }
        }
        #expect(backend.transactions - before == 2, "8 submits took \(backend.transactions - before) transactions")
        #expect(await bus.waitedTransactions == 1)
        for (i, events) in answers {
            #expect(events.count == 1 && events.first?.from == "s\(i)")
        }
        let log = try await bus.events()
        #expect(Set(log.suffix(8).map(\.from)).count == 8)
        #expect(BusState().applying(log) == (await bus.state))
        #expect(bus.callersArriving == 0)
    }

    /// One caller at a time is never held back: each submit is one transaction, inline.
    @Test func aLoneSubmitterCommitsInline() async throws {
        let backend = CountingInlineBackend()
        let bus = try await MessageBus(backend: backend)
        try await bus.register(BusAgent(id: "solo"))
        let before = backend.transactions
        for j in 0..<50 { try await bus.say(from: "solo", "m\(j)") }
        #expect(backend.transactions - before == 50)
        #expect(await bus.waitedTransactions == 0)
    }

    /// Submissions that queue while the lock is busy go in one transaction, validated in arrival order: each
    /// caller gets its own events or its own refusal, and a refused one leaves no trace.
    @Test func queuedSubmissionsCommitTogetherInArrivalOrder() async throws {
        let backend = GatedBackend()
        let bus = try await MessageBus(backend: backend)
        try await bus.submit([.register(agent: BusAgent(id: "captain")), .register(agent: BusAgent(id: "dev")),
                              .register(agent: BusAgent(id: "ops"))])
        let ahoy = try await bus.postAhoy(from: "captain", role: "job")
        try await bus.applyToAhoy(ahoy, from: "dev")
        try await bus.applyToAhoy(ahoy, from: "ops")
        let before = await bus.state.lastSeq
        backend.close()
        // In arrival order: a say, an award, a say from a stranger (refused), a second award of the same ahoy
        // (refused: the first one in this very group closed it), a say.
        let plan: [BusCommand] = [
            .say(from: "dev", crew: nil, to: nil, text: "one"),
            .award(from: "captain", ahoy: ahoy, winner: "dev"),
            .say(from: "ghost", crew: nil, to: nil, text: "who?"),
            .award(from: "captain", ahoy: ahoy, winner: "ops"),
            .say(from: "ops", crew: nil, to: nil, text: "two"),
        ]
        var tasks: [Task<[BusEvent], Error>] = []
        for (index, command) in plan.enumerated() {
            tasks.append(Task { try await bus.submit([command]) })
            while await bus.queuedSubmissions < index + 1 { await Task.yield() }
        }
        let waitedBefore = await bus.waitedTransactions
        backend.open()
        var results: [Result<[BusEvent], Error>] = []
        for task in tasks { results.append(await task.result) }

        let accepted = results.compactMap { try? $0.get() }.flatMap { $0 }
        // Arrival order is log order: the callers' events, taken in the order they called, number on from `before`.
        #expect(accepted.map(\.seq) == Array((before + 1)...(before + UInt64(accepted.count))))
        #expect(Array(Set(accepted.map(\.from))).sorted() == ["captain", "dev", "ops"])
        #expect(accepted.first?.from == "dev" && accepted.last?.from == "ops")
        guard case .failure(let stranger) = results[2], case .failure(let second) = results[3] else {
            Issue.record("expected refusals, got \(results)")
            return
        }
        #expect(stranger as? BusError == .unknownAgent("ghost"))
        #expect(second as? BusError == .closed("\(ahoy) was already awarded to dev"))
        #expect(await bus.waitedTransactions == waitedBefore + 1)  // one transaction for the whole group
        let log = try await bus.events()
        #expect(log.count == Int(before) + accepted.count)
        #expect(BusState().applying(log) == (await bus.state))
    }

    /// On a backend that cannot lock for us, submissions arriving while an append is in flight join the next.
    @Test func slowBackendGroupsConcurrentSubmitters() async throws {
        let backend = SlowBackend()
        let bus = try await MessageBus(backend: backend)
        for i in 0..<8 { try await bus.register(BusAgent(id: "a\(i)")) }
        let appendsBefore = backend.appends
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<8 {
                group.addTask { for j in 0..<10 { try await bus.say(from: "a\(i)", "m\(j)") } }
            }
            try await group.waitForAll()
        }
        let state = await bus.state
        #expect(state.messageCount == 80)
        #expect(backend.appends - appendsBefore < 40, "80 submits took \(backend.appends - appendsBefore) appends")
        #expect(BusState().applying(try await bus.events()) == state)
        // Each sender's messages are in the order it sent them.
        let log = try await bus.events()
        for i in 0..<8 {
            let texts = log.compactMap { event -> String? in
                guard event.from == "a\(i)", case .message(_, _, let text) = event.body else { return nil }
                return text
            }
            #expect(texts == (0..<10).map { "m\($0)" })
        }
    }

    /// Two buses on one SQLite file (two processes' worth), four submitters each: every append folds the
    /// other's events under the lock, so nothing conflicts, nothing is lost, and both fold to the same state.
    @Test func twoBusesOnOneFileBothProgress() async throws {
        let dir = TempDir("group-two")
        let path = dir.path + "/bus.sqlite"
        let a = try await MessageBus(backend: try SQLiteBusBackend(path: path))
        let b = try await MessageBus(backend: try SQLiteBusBackend(path: path))
        try await a.register(BusAgent(id: "x"))
        try await b.register(BusAgent(id: "y"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (bus, agent) in [(a, "x"), (b, "y")] {
                for t in 0..<4 {
                    group.addTask { for j in 0..<250 { try await bus.say(from: agent, "t\(t) m\(j)") } }
                }
            }
            try await group.waitForAll()
        }
        let stateA = try await a.currentState()
        let stateB = try await b.currentState()
        #expect(stateA == stateB)
        #expect(stateA.messageCount == 2_000)
        let log = try await a.events()
        #expect(log.map(\.seq) == Array(1...stateA.lastSeq))
        #expect(BusState().applying(log) == stateA)
    }
}

@Suite struct SQLiteCheckpointTests {
    /// Regression: background checkpoints on a connection that had never read the file did nothing (it did not
    /// know the file was in WAL mode), and PASSIVE ones never completed under steady appends — the WAL grew by
    /// 4 KB per event (85 MB per 20,000) and the database file stayed empty until the last connection closed.
    @Test func walIsCheckpointedWhileTheBusIsOpen() async throws {
        let dir = TempDir("checkpoint")
        let path = dir.path + "/bus.sqlite"
        let bus = try await MessageBus(backend: try SQLiteBusBackend(path: path))
        try await bus.register(BusAgent(id: "w"))
        for i in 0..<5_000 { try await bus.say(from: "w", "m\(i)") }
        func size(_ file: String) -> Int { ((try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? Int) ?? 0 }
        let deadline = ContinuousClock.now + .seconds(10)
        while size(path) < 200_000, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(size(path) >= 200_000, "database file \(size(path)) bytes, WAL \(size(path + "-wal")) bytes")
        #expect(size(path + "-wal") < 5_000 * 4_096, "WAL \(size(path + "-wal")) bytes after 5,000 events")
        #expect(await bus.state.messageCount == 5_000)
    }
}
