import CoreMetrics
import Foundation
import NIOCore
import Synchronization

/// The crew bus: validates commands against the folded state and appends the resulting events to a
/// backend. Every method is a thin name over `submit`, so the REPL, the socket server and agents share one
/// set of rules.
public actor MessageBus: CrewBus {
    public let backend: any BusBackend
    /// The event loop this bus runs on, when it shares one with a socket server (`init(…eventLoop:)`); else
    /// nil, and it runs as any actor does (on the executor of `donor`, a default actor).
    public nonisolated let eventLoop: (any EventLoop)?
    private nonisolated let executor: UnownedSerialExecutor
    private nonisolated let donor: ExecutorDonor?
    /// `backend` as the two capabilities the append path asks about, cast once: a dynamic cast per submit
    /// was ~1.5% of the daemon's CPU on a `say` (perf, 2026-12-03).
    let inlineBackend: (any InlineAppendingBackend)?
    let snapshotStore: (any SnapshotStoringBackend)?
    public internal(set) var state: BusState
    private let now: @Sendable () -> Date
    /// Set once the store is found to end before what we folded: every later write is refused with it.
    public private(set) var rewound: BusError?
    /// Submissions waiting for a group transaction, and whether one is under way.
    private var queue: [Submission] = []
    private var committing = false
    /// Callers of `submit` on their way into this actor: counted before the hop, uncounted on entry. A caller
    /// that finds others behind it waits for them, and the last to arrive commits the whole group in one
    /// transaction (see `submit`). An actor cannot see its own mailbox; this is how it learns of a crowd.
    private nonisolated let arriving = Atomic<Int>(0)
    /// Callers counted in `arriving` right now (tests wait for a crowd to form).
    nonisolated var callersArriving: Int { arriving.load(ordering: .relaxed) }
    /// The most submissions one group transaction takes, so a steady crowd still commits as it goes.
    static let maxGroup = 256
    /// Transactions that went the waiting (group-commit) way rather than inline, for tests and diagnostics.
    public private(set) var waitedTransactions = 0
    /// Transactions of one caller's command, appended inline (the bench divides events by both counts).
    public private(set) var inlineTransactions = 0
    /// Submissions queued for the next group transaction (tests watch it fill).
    var queuedSubmissions: Int { queue.count }
    /// When to store snapshots in the backend (see `MessageBus+Snapshots.swift`).
    let snapshotPolicy: SnapshotPolicy
    /// The newest snapshot this bus stored or started from, and the one being written.
    var lastSnapshotSeq: UInt64 = 0
    var lastSnapshotBytes: UInt64 = 0
    var snapshotTask: Task<Void, Never>?
    /// The last snapshot that could not be stored, for diagnostics (`nil` once one is stored again).
    public internal(set) var snapshotError: String?
    /// How this bus reached its state when it opened.
    public internal(set) var recovery = BusRecovery()
    /// Appends by kind, append latency, refusals by code, snapshot age (no-ops unless the process enabled a
    /// metrics backend before opening the bus).
    var metrics: BusMetrics
    /// Told about every append this bus makes, right after it lands (the socket server's live tail).
    private var appendObservers: [@Sendable ([BusEvent]) -> Void] = []

    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor }

    /// Opens a bus over `backend`, folding its log: after `snapshot` when given, else after the newest usable
    /// snapshot the backend stores (a damaged one is skipped and reported in `recovery`).
    ///
    /// With `eventLoop`, the bus runs on that loop (its serial executor): a socket server on the same loop
    /// can then append a connection's command synchronously where it reads it (`submitNow`). The loop must
    /// outlive the bus.
    public init(backend: any BusBackend = MemoryBusBackend(), snapshot: BusState? = nil,
                snapshots: SnapshotPolicy = .standard, clock: @escaping @Sendable () -> Date = { Date() },
                metrics factory: (any MetricsFactory)? = nil, eventLoop: (any EventLoop)? = nil) async throws {
        self.eventLoop = eventLoop
        if let eventLoop {
            self.donor = nil
            self.executor = eventLoop.executor.asUnownedSerialExecutor()
        } else {
            let donor = ExecutorDonor()
            self.donor = donor
            self.executor = donor.unownedExecutor
        }
        self.backend = backend
        self.inlineBackend = backend as? any InlineAppendingBackend
        self.snapshotStore = backend as? any SnapshotStoringBackend
        self.metrics = BusMetrics(backendLabel: backend.label, factory: factory ?? MetricsSystem.factory)
        self.state = snapshot ?? BusState()
        self.now = clock
        self.snapshotPolicy = snapshots
        let started = ContinuousClock.now
        let last = try await backend.lastSequence()
        if last < state.lastSeq {
            throw BusError.storage("the snapshot ends at event \(state.lastSeq) but \(backend.label) holds only \(last)")
        }
        if snapshot == nil, snapshots.load, let store = snapshotStore {
            await startFromStoredSnapshot(store, logEnd: last)
        } else if snapshot != nil {
            recovery.snapshotSeq = state.lastSeq
        }
        let base = state.lastSeq
        lastSnapshotSeq = base
        try await catchUp()
        recovery.tailEvents = state.lastSeq - base
        recovery.milliseconds = (ContinuousClock.now - started).milliseconds
        // A long fold (or a damaged snapshot) is paid once: the next open starts from here.
        if recovery.tailEvents >= snapshots.every || !recovery.rejected.isEmpty { snapshotIfDue(force: true) }
    }

    /// Folds events other writers appended since we last looked.
    public func catchUp() async throws {
        while true {
            let events = try await backend.read(after: state.lastSeq, limit: 10_000)
            if events.isEmpty { return }
            for event in events {
                // Another call on this actor may have folded it while we were suspended in `read`.
                if event.seq <= state.lastSeq { continue }
                guard event.seq == state.lastSeq + 1 else {
                    throw BusError.corruptLog(seq: event.seq, detail: "expected event \(state.lastSeq + 1) next; the log has a gap")
                }
                state.apply(event)
            }
        }
    }

    public nonisolated var label: String { backend.label }

    /// The state folded up to the log's current end (other processes' appends included).
    public func currentState() async throws -> BusState {
        try await catchUp()
        return state
    }

    /// Folds `events` (read from the backend by a subscriber) before they are delivered, so whoever handles an
    /// event sees a state at least that new (fold-then-deliver). Catches up through the backend on a gap.
    func fold(_ events: [BusEvent]) async throws {
        guard let last = events.last, last.seq > state.lastSeq else { return }
        for event in events where event.seq > state.lastSeq {
            guard event.seq == state.lastSeq + 1 else { break }
            state.apply(event)
        }
        if state.lastSeq < last.seq { try await catchUp() }
    }

    /// Validates commands in order against the evolving state and appends all their events at once, or none
    /// (the first refusal throws and nothing is written). Batching is how bulk writers reach high rates.
    ///
    /// Consistency rule: a refusal is a final answer, so it is only given against the log's current end. When
    /// validation refuses, the bus checks whether another writer appended meanwhile (a cheap read of the last
    /// sequence number); if so it folds their events and validates again. An accepted command validated on a
    /// stale state cannot slip through either: the append only lands if the log still ends where it was validated.
    ///
    /// Speed: on a backend that can append inline (memory, SQLite) a command is folded, validated and appended
    /// under the store's write lock without leaving this actor — one transaction, no hop — and since it sees the
    /// log's true end it never conflicts. When the lock is busy (another process) or the backend must wait (a
    /// network), submissions that arrive meanwhile queue up and the next transaction takes all of them (group
    /// commit): each caller still gets its own events or its own refusal, validated in arrival order.
    @discardableResult
    public nonisolated func submit(_ commands: [BusCommand]) async throws -> [BusEvent] {
        arriving.add(1, ordering: .relaxed)
        return try await submitArrived(commands)
    }

    /// `submit` once inside the actor; `others` is how many callers are still on their way in behind it.
    private func submitArrived(_ commands: [BusCommand]) async throws -> [BusEvent] {
        let others = arriving.subtract(1, ordering: .relaxed).newValue
        do {
            return try await submitCounted(commands, others: others)
        } catch {
            metrics.refused(error)
            throw error
        }
    }

    /// `submit` itself; appends are counted where they land, refusals by the caller above.
    ///
    /// Alone (nobody queued, nobody arriving), a command is appended inline: one transaction, no hop, the
    /// latency a single agent sees. In a crowd (others counted in `arriving`), it queues, and the last caller
    /// to arrive commits the queue as one group: one BEGIN/COMMIT for all of them instead of one each, which is
    /// what lets several submitters together go faster than one (each still gets its own answer, validated in
    /// arrival order).
    private func submitCounted(_ commands: [BusCommand], others: Int) async throws -> [BusEvent] {
        if let rewound { throw rewound }
        if !committing, let inline = inlineBackend {
            if queue.isEmpty, others == 0, let events = try await appendInline(commands, on: inline) {
                return events
            }
            if !committing {
                return try await withCheckedThrowingContinuation { continuation in
                    queue.append(Submission(commands: commands, continuation: continuation))
                    if others == 0 || queue.count >= Self.maxGroup { commitGroup(on: inline) }
                }
            }
        }
        return try await withCheckedThrowingContinuation { continuation in
            queue.append(Submission(commands: commands, continuation: continuation))
            if !committing {
                committing = true
                Task { await self.drain() }
            }
        }
    }

    /// One command appended under the store's lock without leaving the actor; `nil` when it must queue
    /// instead (the lock is held elsewhere, or others queued while this one caught up).
    private func appendInline(_ commands: [BusCommand], on inline: any InlineAppendingBackend) async throws -> [BusEvent]? {
        while true {
            let (outcome, events) = try appendOnce(commands, on: inline)
            switch outcome {
            case .done: return events
            case .behind: try await catchUp()
            case .busy: return nil
            }
            if committing || !queue.isEmpty { return nil }
        }
    }

    /// One attempt at appending `commands` in a transaction of their own: validated under the store's lock
    /// against the log's true end, so a refusal it throws is final.
    private func appendOnce(_ commands: [BusCommand], on inline: any InlineAppendingBackend) throws -> (LockedAppendOutcome, [BusEvent]) {
        var events: [BusEvent] = []
        let outcome = try appendUnderLock(on: inline) { after, timestamp in
            events = try Self.number(commands, on: &after, at: timestamp)
            return events
        }
        guard outcome == .done else { return (outcome, []) }
        inlineTransactions += 1
        return (.done, events)
    }

    /// The one way an inline backend is written: under the store's lock, the tail other writers left is folded
    /// first, then `validating` turns the commands into events on a copy of the state at one timestamp; the
    /// copy becomes the state, and observers and snapshots hear of it, only once the events are in the store.
    private func appendUnderLock(
        on inline: any InlineAppendingBackend,
        validating: (inout BusState, Date) throws -> [BusEvent]
    ) throws -> LockedAppendOutcome {
        var appended: [BusEvent] = []
        var after = state
        let began = ContinuousClock.now
        let outcome = try noting {
            try inline.appendLocked(after: state.lastSeq, maxTail: Self.tailUnderLock) { tail in
                try foldTail(tail)
                after = state
                appended = try validating(&after, BusTime.quantize(now()))
                return appended
            }
        }
        guard outcome == .done else { return outcome }
        state = after
        didAppend(appended, took: ContinuousClock.now - began)
        snapshotIfDue()
        return .done
    }

    /// For the socket server's pipeline, which calls it on this bus's event loop (`assumeIsolated`) right where
    /// it read the request: `commands` appended now in a transaction of their own, or refused (final, as
    /// `appendOnce` says); `nil` when they must go the usual way — something queued or under way, other
    /// callers arriving, the store locked elsewhere or moved on, a failure to report from there.
    ///
    /// Why: a command handed to a connection's task crosses NIOAsyncChannel's inbound sequence, a task job,
    /// two actor hops and the outbound writer: perf put the daemon at 98 µs of CPU per `say` against 26 per
    /// ping (2026-12-03); answered here, a `say` costs what a ping costs plus the bus's own work.
    func submitNow(_ commands: [BusCommand]) -> Result<[BusEvent], BusError>? {
        guard rewound == nil, !committing, queue.isEmpty, arriving.load(ordering: .relaxed) == 0,
              let inline = inlineBackend else { return nil }
        do {
            let (outcome, events) = try appendOnce(commands, on: inline)
            return outcome == .done ? .success(events) : nil
        } catch let error as BusError {
            if case .storage = error { return nil }
            if case .logRewound = error { return nil }
            metrics.refused(error)
            return .failure(error)
        } catch {
            return nil
        }
    }

    /// Commits the queued group now, on this actor; when the store is not ready (locked elsewhere, behind,
    /// failing) the draining task takes over, with its back-off.
    private func commitGroup(on inline: any InlineAppendingBackend) {
        let group = queue
        if let outcome = try? commitLocked(group, on: inline), outcome == .done {
            queue.removeFirst(group.count)
            return
        }
        committing = true
        Task { await self.drain() }
    }

    /// Hands events this bus just appended to whoever watches (`observeAppends`), in log order, from inside
    /// the actor — so observers see appends in the order they landed.
    public func observeAppends(_ observer: @escaping @Sendable ([BusEvent]) -> Void) {
        appendObservers.append(observer)
    }

    private func didAppend(_ events: [BusEvent], took duration: Duration?) {
        metrics.appended(events, took: duration)
        for observer in appendObservers { observer(events) }
    }

    /// How many of other writers' events a locked append folds itself; more, and it catches up outside the lock.
    static let tailUnderLock = 1_000

    /// Folds events read under the write lock. `state` may be ahead of them (a subscriber folded newer ones
    /// while we were suspended earlier); they must continue it without a gap.
    private func foldTail(_ tail: [BusEvent]) throws {
        for event in tail where event.seq > state.lastSeq {
            guard event.seq == state.lastSeq + 1 else {
                throw BusError.corruptLog(seq: event.seq, detail: "expected event \(state.lastSeq + 1) next; the log has a gap")
            }
            state.apply(event)
        }
    }

    /// Runs `body`; a rewound store it reports is remembered, so every later write is refused with it.
    private func noting<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as BusError {
            if case .logRewound = error { rewound = error }
            throw error
        }
    }

    /// A submission waiting for the next group transaction.
    private struct Submission {
        var commands: [BusCommand]
        var continuation: CheckedContinuation<[BusEvent], Error>
    }

    /// Commits queued submissions, a group at a time, until none are left. A group is whatever has queued when
    /// the store is ready: submissions that arrive while it waits for a lock join it.
    private func drain() async {
        var backoff = LockBackoff()
        while !queue.isEmpty {
            let group = queue
            if let inline = inlineBackend {
                do {
                    switch try commitLocked(group, on: inline) {
                    case .done:
                        queue.removeFirst(group.count)
                        backoff = LockBackoff()
                    case .behind:
                        try await catchUp()
                    case .busy:
                        try await backoff.wait(for: backend.label)
                    }
                } catch {
                    queue.removeFirst(group.count)
                    for submission in group { submission.continuation.resume(throwing: error) }
                }
            } else {
                queue.removeFirst(group.count)
                await commit(group)
            }
        }
        committing = false
    }

    /// Validates every submission of `group` in order on the evolving state (a refused one gets its refusal and
    /// leaves no trace) and appends all accepted events in one transaction.
    private static func validate(_ group: [Submission], on state: inout BusState, at timestamp: Date)
        -> (events: [BusEvent], answers: [Result<[BusEvent], Error>]) {
        var all: [BusEvent] = []
        var answers: [Result<[BusEvent], Error>] = []
        for submission in group {
            var trial = state
            do {
                let events = try number(submission.commands, on: &trial, at: timestamp)
                state = trial
                all += events
                answers.append(.success(events))
            } catch {
                answers.append(.failure(error))
            }
        }
        return (all, answers)
    }

    /// One group under the store's write lock; answers its callers when it lands.
    private func commitLocked(_ group: [Submission], on inline: any InlineAppendingBackend) throws -> LockedAppendOutcome {
        if let rewound { throw rewound }
        var answers: [Result<[BusEvent], Error>] = []
        let outcome = try appendUnderLock(on: inline) { after, timestamp in
            let validated = Self.validate(group, on: &after, at: timestamp)
            answers = validated.answers
            return validated.events
        }
        if outcome == .done {
            waitedTransactions += 1
            for (submission, answer) in zip(group, answers) { submission.continuation.resume(with: answer) }
        }
        return outcome
    }

    /// One group on a backend that cannot hold its lock for us (Redis): validated on our state, appended only if
    /// the log still ends there; on a conflict, fold the newcomers and validate again. A refusal is only final
    /// once we know the log has not moved.
    private func commit(_ group: [Submission]) async {
        waitedTransactions += 1
        while true {
            if let rewound {
                for submission in group { submission.continuation.resume(throwing: rewound) }
                return
            }
            let expected = state.lastSeq
            var scratch = state
            let (all, answers) = Self.validate(group, on: &scratch, at: BusTime.quantize(now()))
            let refused = answers.contains { if case .failure = $0 { true } else { false } }
            do {
                if refused, try await isBehind(expected) { continue }
                if !all.isEmpty {
                    let began = ContinuousClock.now
                    guard try await backend.append(all, expectedLastSeq: expected) else {
                        try await checkNotRewound(seen: state.lastSeq)
                        try await catchUp()
                        continue
                    }
                    didAppend(all, took: ContinuousClock.now - began)
                    if state.lastSeq == expected { state = scratch } else { try await catchUp() }
                    snapshotIfDue()
                }
                for (submission, answer) in zip(group, answers) { submission.continuation.resume(with: answer) }
            } catch {
                for submission in group { submission.continuation.resume(throwing: error) }
            }
            return
        }
    }

    /// A conflict normally means someone appended; if instead the store ends before what we folded, retrying
    /// would spin forever (an emptied Redis, a deleted SQLite WAL): stop writing and say what happened.
    ///
    /// `seen` must be taken before the store is read: another call on this actor may fold newer events while we
    /// wait for the answer, and comparing the answer with that newer state would cry wolf.
    private func checkNotRewound(seen: UInt64, end known: UInt64? = nil) async throws {
        let end: UInt64
        if let known { end = known } else { end = try await backend.lastSequence() }
        guard end < seen else { return }
        let error = BusError.logRewound(store: backend.label, seen: seen, now: end)
        rewound = error
        throw error
    }

    /// True (after folding the newcomers) when the log or our state moved past `seq` since we validated on it.
    private func isBehind(_ seq: UInt64) async throws -> Bool {
        let seen = state.lastSeq
        let end = try await backend.lastSequence()
        try await checkNotRewound(seen: seen, end: end)
        guard end > seq || state.lastSeq != seq else { return false }
        try await catchUp()
        return true
    }

    /// For subscribers parked at `cursor` with nothing new: a store that now ends before it has rewound.
    func checkStore(at cursor: UInt64) async throws {
        let end = try await backend.lastSequence()
        if end < cursor {
            let error = BusError.logRewound(store: backend.label, seen: max(cursor, state.lastSeq), now: end)
            rewound = error
            throw error
        }
    }

    /// Validates `commands` in order on `scratch` and numbers the events they become (one shared timestamp).
    static func number(_ commands: [BusCommand], on scratch: inout BusState, at timestamp: Date) throws(BusError) -> [BusEvent] {
        var events: [BusEvent] = []
        events.reserveCapacity(commands.count)
        for command in commands {
            for draft in try scratch.validate(command, now: timestamp) {
                let seq = scratch.lastSeq + 1
                let event = BusEvent(seq: seq, timestamp: timestamp, from: draft.from,
                                     conversationID: draft.conversationID ?? "evt-\(seq)", replyTo: draft.replyTo,
                                     body: draft.body)
                scratch.apply(event)
                events.append(event)
            }
        }
        return events
    }

    /// Bulk writers (importers, load tools): validates every batch against the state the previous ones leave and
    /// hands them to the backend pipelined. Each batch is still all-or-nothing; if one conflicts with another
    /// writer, the bus folds what landed and submits the rest again one by one (re-validated).
    @discardableResult
    public func submitPipelined(_ batches: [[BusCommand]]) async throws -> [BusEvent] {
        if let rewound { throw rewound }
        let expected = state.lastSeq
        var scratch = state
        var prepared: [(events: [BusEvent], expectedLastSeq: UInt64)] = []
        let timestamp = BusTime.quantize(now())
        do {
            for commands in batches {
                let before = scratch.lastSeq
                let events = try Self.number(commands, on: &scratch, at: timestamp)
                if !events.isEmpty { prepared.append((events, before)) }
            }
        } catch {
            if try await isBehind(expected) { return try await submitPipelined(batches) }
            throw error
        }
        let began = ContinuousClock.now
        let results = try await backend.appendPipelined(prepared)
        let took = ContinuousClock.now - began
        for (index, ok) in results.enumerated() where ok && index < prepared.count {
            didAppend(prepared[index].events, took: index == 0 ? took : nil)
        }
        if results.allSatisfy({ $0 }) {
            if state.lastSeq == expected { state = scratch } else { try await catchUp() }
            snapshotIfDue()
            return prepared.flatMap(\.events)
        }
        try await checkNotRewound(seen: state.lastSeq)
        try await catchUp()
        var all: [BusEvent] = []
        for (index, ok) in results.enumerated() {
            if ok { all += prepared[index].events } else { all += try await submit(batches[index]) }
        }
        return all
    }

    /// Events with `seq > after` from the store (not just this process's).
    public func events(after seq: UInt64, limit: Int) async throws -> [BusEvent] {
        var result: [BusEvent] = []
        var cursor = seq
        while result.count < limit {
            let batch = try await backend.read(after: cursor, limit: min(10_000, limit - result.count))
            if batch.isEmpty { break }
            result += batch
            cursor = batch.last!.seq
        }
        return result
    }

    /// Every event after `seq`, then new ones as they are appended, until the consumer stops. A consumer
    /// that remembers the last seq it handled and resubscribes from it misses nothing. Each batch is folded into
    /// `state` before it is delivered, so a consumer that looks at the state for an event it was handed finds it.
    public nonisolated func subscribe(after seq: UInt64) -> AsyncThrowingStream<BusEvent, Error> {
        let backend = self.backend
        return AsyncThrowingStream { continuation in
            let task = Task {
                var cursor = seq
                var checked = ContinuousClock.now
                do {
                    while !Task.isCancelled {
                        let batch = try await backend.read(after: cursor, limit: 1_000)
                        if batch.isEmpty {
                            // Idle: at most once a second, make sure the store has not gone backwards under us.
                            if ContinuousClock.now - checked >= .seconds(1) {
                                checked = .now
                                try await self.checkStore(at: cursor)
                            }
                            await backend.waitForEvents(after: cursor, timeout: .seconds(1))
                            continue
                        }
                        try await self.fold(batch)
                        for event in batch {
                            if case .terminated = continuation.yield(event) { return }
                        }
                        cursor = batch.last!.seq
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    // MARK: Snapshots

    /// Writes the folded state as a versioned JSON snapshot: temp file, fsync, rename (never half a file).
    public func saveState(to path: String) throws {
        try BusSnapshot(state: state).write(to: path)
    }

    /// A bus restored from a snapshot, continuing on `backend` (by default a fresh in-memory log that numbers
    /// on from the snapshot). Recovery = snapshot + the log after it.
    public static func loadFrom(_ path: String, backend: (any BusBackend)? = nil) async throws -> MessageBus {
        let snapshot = try BusSnapshot.read(from: path)
        return try await MessageBus(backend: backend ?? MemoryBusBackend(startingAfter: snapshot.state.lastSeq),
                                    snapshot: snapshot.state)
    }
}

/// A default actor lending its executor to a bus that has no event loop of its own: `MessageBus` names its
/// executor (so that it can run on a server's loop instead), and an actor that names one is no longer a default
/// actor — this gives it back a default actor's executor, with the runtime's cheap switching onto it (SE-0392).
private actor ExecutorDonor {}
