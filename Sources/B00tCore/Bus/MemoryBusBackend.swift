import Foundation

/// The log in an array: for tests, benchmarks and throwaway buses. `startingAfter` lets a bus restored from a
/// snapshot continue numbering where the snapshot ended.
public final class MemoryBusBackend: InlineAppendingBackend, SnapshotStoringBackend, @unchecked Sendable {
    private let lock = NSLock()
    private var events: [BusEvent] = []
    /// Newest first.
    private var snapshots: [StoredSnapshot] = []
    private let base: UInt64
    private let signal = ChangeSignal()
    let leases = LeaseTable()

    public init(startingAfter base: UInt64 = 0) { self.base = base }

    public var label: String { "memory" }

    public func appendLocked(after: UInt64, maxTail: Int, _ build: ([BusEvent]) throws -> [BusEvent]) throws -> LockedAppendOutcome {
        let outcome = try lock.withLock { () throws -> (LockedAppendOutcome, Bool) in
            let end = base + UInt64(events.count)
            guard end >= after else { throw BusError.logRewound(store: label, seen: after, now: end) }
            guard end - after <= UInt64(max(0, maxTail)) else { return (.behind, false) }
            let tail = Array(events[Int(max(after, base) - base)...])
            let new = try build(tail)
            events.append(contentsOf: new)
            return (.done, !new.isEmpty)
        }
        if outcome.1 { signal.fire() }
        return outcome.0
    }

    public func append(_ new: [BusEvent], expectedLastSeq: UInt64) async throws -> Bool {
        let appended = lock.withLock { () -> Bool in
            guard base + UInt64(events.count) == expectedLastSeq else { return false }
            events.append(contentsOf: new)
            return true
        }
        if appended { signal.fire() }
        return appended
    }

    public func read(after seq: UInt64, limit: Int) async throws -> [BusEvent] {
        lock.withLock {
            let start = Int(max(seq, base) - base)
            guard start < events.count else { return [] }
            return Array(events[start..<min(events.count, start + limit)])
        }
    }

    public func lastSequence() async throws -> UInt64 { lock.withLock { base + UInt64(events.count) } }

    public func storedSnapshots(limit: Int) async throws -> [StoredSnapshot] {
        lock.withLock { Array(snapshots.prefix(max(0, limit))) }
    }

    public func storeSnapshot(_ snapshot: StoredSnapshot, keep: Int) async throws {
        lock.withLock {
            snapshots.removeAll { $0.seq == snapshot.seq }
            snapshots.append(snapshot)
            snapshots.sort { $0.seq > $1.seq }
            snapshots = Array(snapshots.prefix(max(1, keep)))
        }
    }

    public func waitForEvents(after seq: UInt64, timeout: Duration) async {
        await signal.wait(timeout: timeout) { [self] in lock.withLock { base + UInt64(events.count) } > seq }
    }
}

/// Wakes parked subscribers when the log grows. Checks its condition under the same lock it is fired
/// under, so a wake-up between "nothing new" and "park" is never lost.
final class ChangeSignal: @unchecked Sendable {
    private let lock = NSLock()
    /// Keyed by a counter, not a UUID: Foundation's UUID() opens /dev/urandom, once per wait — a syscall pair
    /// for every look an idle poller took.
    private var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    private var nextID = 0

    func fire() {
        let woken = lock.withLock { () -> [CheckedContinuation<Void, Never>] in
            let all = Array(waiters.values)
            waiters.removeAll()
            return all
        }
        for waiter in woken { waiter.resume() }
    }

    func wait(timeout: Duration, unless ready: @escaping @Sendable () -> Bool) async {
        let id = lock.withLock { () -> Int in
            nextID += 1
            return nextID
        }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            self.resume(id)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = lock.withLock { () -> Bool in
                    if ready() || Task.isCancelled { return true }
                    waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            self.resume(id)
        }
        timer.cancel()
    }

    private func resume(_ id: Int) {
        let waiter = lock.withLock { waiters.removeValue(forKey: id) }
        waiter?.resume()
    }
}
