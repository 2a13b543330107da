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
}
