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
    /// Returns the log's end once it may hold events past `known()` that this process did not hand over itself
    /// (another process appended), or nil at `timeout`. `known` is asked at each look: this process's own
    /// appends move it, and they alone need not end the wait. The live tail's watcher parks here.
    func waitForOthers(known: @Sendable () -> UInt64, timeout: Duration) async -> UInt64?
    /// `memory`, `sqlite:/path`, `redis://host:port/db`: shown in status bars and `bus tail`.
    var label: String { get }
    /// Several appends in order, each expecting the one before it to have landed. A networked backend sends
    /// them without waiting for each reply, so the writer prepares the next batch while the server stores the
    /// last. Once one conflicts, every later one conflicts too.
    func appendPipelined(_ batches: [(events: [BusEvent], expectedLastSeq: UInt64)]) async throws -> [Bool]
}

extension BusBackend {
    /// On the store's own wait, which local appends wake too: after a wake for nothing but those, it pauses
    /// `ownAppendsPause` before the next look, so a busy bus does not wake the watcher on every append.
    public func waitForOthers(known: @Sendable () -> UInt64, timeout: Duration) async -> UInt64? {
        let cursor = known()
        await waitForEvents(after: cursor, timeout: timeout)
        guard !Task.isCancelled, let end = try? await lastSequence(), end > cursor else { return nil }
        if end > known() { return end }
        try? await Task.sleep(for: ownAppendsPause)
        return nil
    }
    public func appendPipelined(_ batches: [(events: [BusEvent], expectedLastSeq: UInt64)]) async throws -> [Bool] {
        var results: [Bool] = []
        for batch in batches {
            let ok = results.last == false ? false : try await append(batch.events, expectedLastSeq: batch.expectedLastSeq)
            results.append(ok)
        }
        return results
    }
}

/// How long the default `waitForOthers` pauses after waking for nothing but this process's own appends.
let ownAppendsPause: Duration = .milliseconds(10)

/// What a locked append did.
public enum LockedAppendOutcome: Sendable, Equatable {
    /// `build` ran on the log's true end and what it returned (possibly nothing) is in the store.
    case done
    /// Another writer holds the store's write lock; nothing ran. Try again shortly.
    case busy
    /// Other writers appended more than `maxTail` events since `after`: fold them first, then try again.
    case behind
}

/// A backend whose append is cheap enough to run on the caller's executor (memory; SQLite in WAL without fsync)
/// and that can hold its write lock while the caller decides what to write. That makes a submission pessimistic
/// under contention: the caller folds what others appended (`tail`) and validates on the log's real end, all
/// under the lock, so it never loses a race and retries — two processes hammering one file both make progress.
public protocol InlineAppendingBackend: BusBackend {
    /// Takes the write lock without waiting (`.busy` if another writer has it), reads the events after `after`
    /// (at most `maxTail`, else `.behind`), hands them to `build` and appends what it returns. If `build` throws,
    /// nothing is written and the error is rethrown. Throws `BusError.logRewound` if the store ends before `after`.
    func appendLocked(after: UInt64, maxTail: Int, _ build: ([BusEvent]) throws -> [BusEvent]) throws -> LockedAppendOutcome
}

/// Pauses between attempts to take a busy write lock: short at first (a commit holds it for microseconds),
/// longer later, and a clear error after `limit` rather than waiting forever.
struct LockBackoff {
    var pause: Duration = .microseconds(20)
    var waited: Duration = .zero
    let limit: Duration

    init(limit: Duration = .seconds(30)) { self.limit = limit }

    /// Sleeps before the next attempt; throws once the total wait passes the limit.
    mutating func wait(for store: String) async throws {
        guard waited < limit else {
            throw BusError.storage("\(store) stayed locked by another writer for \(limit.seconds) s; is a process stuck holding it?")
        }
        try await Task.sleep(for: pause)
        waited += pause
        pause = min(pause * 2, .milliseconds(2))
    }
}
