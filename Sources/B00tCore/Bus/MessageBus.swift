import Foundation

/// The crew bus: validates commands against the folded state and appends the resulting events to a
/// backend. Every method is a thin name over `submit`, so the REPL, the socket server and agents share one
/// set of rules.
public actor MessageBus: CrewBus {
    public let backend: any BusBackend
    public private(set) var state: BusState
    private let now: @Sendable () -> Date

    /// Opens a bus over `backend`, folding its log (after `snapshot`, when given).
    public init(backend: any BusBackend = MemoryBusBackend(), snapshot: BusState? = nil,
                clock: @escaping @Sendable () -> Date = { Date() }) async throws {
        self.backend = backend
        self.state = snapshot ?? BusState()
        self.now = clock
        let last = try await backend.lastSequence()
        if last < state.lastSeq {
            throw BusError.storage("the snapshot ends at event \(state.lastSeq) but \(backend.label) holds only \(last)")
        }
        try await catchUp()
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

    /// Validates commands in order against the evolving state and appends all their events at once, or none
    /// (the first refusal throws and nothing is written). Batching is how bulk writers reach high rates.
    @discardableResult
    public func submit(_ commands: [BusCommand]) async throws -> [BusEvent] {
        while true {
            let expected = state.lastSeq
            var scratch = state
            var events: [BusEvent] = []
            events.reserveCapacity(commands.count)
            let timestamp = BusTime.quantize(now())
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
            if events.isEmpty { return [] }
            if try await backend.append(events, expectedLastSeq: expected) {
                if state.lastSeq == expected { state = scratch } else { try await catchUp() }
                return events
            }
            try await catchUp()
        }
    }

    /// Bulk writers (importers, load tools): validates every batch against the state the previous ones leave and
    /// hands them to the backend pipelined. Each batch is still all-or-nothing; if one conflicts with another
    /// writer, the bus folds what landed and submits the rest again one by one (re-validated).
    @discardableResult
    public func submitPipelined(_ batches: [[BusCommand]]) async throws -> [BusEvent] {
        let expected = state.lastSeq
        var scratch = state
        var prepared: [(events: [BusEvent], expectedLastSeq: UInt64)] = []
        let timestamp = BusTime.quantize(now())
        for commands in batches {
            let before = scratch.lastSeq
            var events: [BusEvent] = []
            for command in commands {
                for draft in try scratch.validate(command, now: timestamp) {
                    let seq = scratch.lastSeq + 1
                    let event = BusEvent(seq: seq, timestamp: timestamp, from: draft.from,
                                         conversationID: draft.conversationID ?? "evt-\(seq)", replyTo: draft.replyTo, body: draft.body)
                    scratch.apply(event)
                    events.append(event)
                }
            }
            if !events.isEmpty { prepared.append((events, before)) }
        }
        let results = try await backend.appendPipelined(prepared)
        if results.allSatisfy({ $0 }) {
            if state.lastSeq == expected { state = scratch } else { try await catchUp() }
            return prepared.flatMap(\.events)
        }
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
    /// that remembers the last seq it handled and resubscribes from it misses nothing.
    public nonisolated func subscribe(after seq: UInt64) -> AsyncThrowingStream<BusEvent, Error> {
        let backend = self.backend
        return AsyncThrowingStream { continuation in
            let task = Task {
                var cursor = seq
                do {
                    while !Task.isCancelled {
                        let batch = try await backend.read(after: cursor, limit: 1_000)
                        if batch.isEmpty {
                            await backend.waitForEvents(after: cursor, timeout: .seconds(1))
                            continue
                        }
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
