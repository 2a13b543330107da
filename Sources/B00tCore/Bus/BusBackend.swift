/// Where the log lives. Backends only store and return events in order; all rules live in `BusState`, so
/// in-memory, SQLite and Redis buses behave the same.
public protocol BusBackend: Sendable {
    /// Appends `events` (numbered `expectedLastSeq + 1…`) only if the log still ends at `expectedLastSeq`:
    /// validation and append are atomic across writers. Returns false on a conflict (someone appended first);
    /// the caller folds the new events, validates again and retries.
    func append(_ events: [BusEvent], expectedLastSeq: UInt64) async throws -> Bool
    /// Up to `limit` events with `seq > after`, in order.
    func read(after seq: UInt64, limit: Int) async throws -> [BusEvent]
    func lastSequence() async throws -> UInt64
    /// Returns once events after `seq` may exist, or after `timeout`: subscribers park here when idle.
    func waitForEvents(after seq: UInt64, timeout: Duration) async
    /// `memory`, `sqlite:/path`, `redis://host:port/db`: shown in status bars and `bus tail`.
    var label: String { get }
    /// Several appends in order, each expecting the one before it to have landed. A networked backend sends
    /// them without waiting for each reply, so the writer prepares the next batch while the server stores the
    /// last. Once one conflicts, every later one conflicts too.
    func appendPipelined(_ batches: [(events: [BusEvent], expectedLastSeq: UInt64)]) async throws -> [Bool]
}

extension BusBackend {
    public func appendPipelined(_ batches: [(events: [BusEvent], expectedLastSeq: UInt64)]) async throws -> [Bool] {
        var results: [Bool] = []
        for batch in batches {
            let ok = results.last == false ? false : try await append(batch.events, expectedLastSeq: batch.expectedLastSeq)
            results.append(ok)
        }
        return results
    }
}

/// A backend whose append is cheap enough to run on the caller's executor (memory; SQLite in WAL without fsync):
/// the bus appends inline, without a hop, and falls back to `append` only when this answers nil (it would have
/// to wait, e.g. for another process's write lock).
public protocol InlineAppendingBackend: BusBackend {
    func appendInline(_ events: [BusEvent], expectedLastSeq: UInt64) throws -> Bool?
}
