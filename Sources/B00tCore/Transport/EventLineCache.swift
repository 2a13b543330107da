import Foundation
import NIOCore

/// The live tail of the log for every subscriber of one server: events the bus just appended (handed over in
/// memory, not read back from the store), each encoded into its JSON line once — lazily, by the first reader —
/// however many connections stream it; and the place subscribers wait for the next event.
///
/// Why: a subscriber used to find out about a new event by querying the store (the log's end, then the events),
/// and every live subscriber did so on every append — the daemon spent ~0.6 ms of CPU per delivered event and
/// kept up to 200,000 encoded lines. Now a live delivery is a memory read and one socket write; the store is
/// read only by a subscriber behind the tail (catching up from an old seq, streamed in pages and never kept)
/// and by one watcher that notices events other processes appended to a shared store.
///
/// Bounded: at most `capacity` events and `byteBudget` bytes of encoded lines; older ones are read back.
///
/// A caught-up subscriber on the bus's own event loop (the daemon's) is not even woken: its events are written
/// to its socket from here (`LiveSink`, `deliverDirect`).
final class EventLineCache: @unchecked Sendable {
    private let backend: any BusBackend
    private let lock = NSLock()
    private let capacity: Int
    private let byteBudget: Int
    private let allocator = ByteBufferAllocator()

    private struct Entry {
        var event: BusEvent
        var line: ByteBuffer?
    }
    /// Contiguous: `entries[i]` is event `firstSeq + i`.
    private var entries: [Entry] = []
    private var firstSeq: UInt64 = 1
    private var encodedBytes = 0
    /// The newest seq known to be in the log; meaningful once `live`.
    private var knownEnd: UInt64 = 0
    /// True once the bus hands over its appends (`attach`): only then may "nothing after `knownEnd`" be answered
    /// without asking the store.
    private var live = false
    /// A subscriber waiting for events after `after`. With a `sink` on the loop the bus appends from, it is
    /// not woken for them: they are written to its socket from here and `after` moves on (see `deliverDirect`).
    private final class Waiter {
        let id: Int
        var after: UInt64
        let continuation: CheckedContinuation<UInt64, Never>
        let sink: (any LiveSink)?
        init(id: Int, after: UInt64, continuation: CheckedContinuation<UInt64, Never>, sink: (any LiveSink)?) {
            self.id = id
            self.after = after
            self.continuation = continuation
            self.sink = sink
        }
        /// Wakes the subscriber's task, telling it where its stream now stands.
        func wake() { continuation.resume(returning: after) }
    }
    private var waiters: [Int: Waiter] = [:]
    private var nextWaiter = 0
    /// A `deliverDirect` job is queued on the loop: appends until it runs go out with it.
    private var deliveryQueued = false
    private var directDeliveries = 0
    private var watcher: Task<Void, Never>?

    init(backend: any BusBackend, capacity: Int = 8_192, byteBudget: Int = 8 << 20) {
        self.backend = backend
        self.capacity = max(16, capacity)
        self.byteBudget = max(64 * 1024, byteBudget)
    }

    /// Goes live on `bus`: its appends arrive here as they land, and a watcher picks up what other processes
    /// append to the same store (a shared SQLite file, a Redis log).
    func attach(to bus: MessageBus) async throws {
        let end = try await backend.lastSequence()
        lock.withLock {
            knownEnd = max(knownEnd, end)
            live = true
        }
        await bus.observeAppends { [weak self] events in self?.appended(events) }
        watcher = Task.detached(priority: .utility) { [weak self, backend] in
            let known: @Sendable () -> UInt64 = { [weak self] in self?.lock.withLock { self?.knownEnd } ?? .max }
            while !Task.isCancelled {
                guard self != nil else { return }
                // Our own appends are handed over by the bus; the store tells us only of what may be someone
                // else's (SQLite: a poll of data_version that our appends never wake).
                guard let end = await backend.waitForOthers(known: known, timeout: .seconds(1)), !Task.isCancelled else { continue }
                // Our own appends reach `appended` microseconds after the store has them: give them that long
                // before treating the store's new end as someone else's.
                try? await Task.sleep(for: .milliseconds(2))
                guard let current = self?.lock.withLock({ self?.knownEnd }), end > current else { continue }
                // Someone else appended: hand the newcomers over as if ours (in pages).
                var from = current
                while from < end, !Task.isCancelled {
                    guard let page = try? await backend.read(after: from, limit: 1_000), let last = page.last else { break }
                    self?.appended(page)
                    from = last.seq
                }
            }
        }
    }

    /// Stops the watcher and wakes every waiting subscriber (the server is shutting down).
    func detach() {
        watcher?.cancel()
        let woken = lock.withLock { () -> [Waiter] in
            live = false
            defer { waiters.removeAll() }
            return Array(waiters.values)
        }
        for waiter in woken { waiter.wake() }
    }

    /// Events that are now in the log, in order. Ones already known are skipped; a gap (events someone else
    /// appended that we have not seen) restarts the tail at these, and subscribers read the gap from the store.
    func appended(_ events: [BusEvent]) {
        var direct: (any EventLoop)?
        let woken = lock.withLock { () -> [Waiter] in
            let fresh = events.drop { $0.seq <= knownEnd }
            guard let first = fresh.first, let last = fresh.last else { return [] }
            if first.seq != knownEnd + 1 || entries.isEmpty || firstSeq + UInt64(entries.count) != first.seq {
                entries.removeAll(keepingCapacity: true)
                encodedBytes = 0
                firstSeq = first.seq
            }
            entries.append(contentsOf: fresh.map { Entry(event: $0, line: nil) })
            knownEnd = last.seq
            trim()
            var ready: [Waiter] = []
            for waiter in waiters.values where waiter.after < knownEnd {
                if let sink = waiter.sink, sink.loop.inEventLoop {
                    direct = sink.loop  // written from here, below
                    continue
                }
                ready.append(waiter)
            }
            for waiter in ready { waiters[waiter.id] = nil }
            if direct != nil {
                if deliveryQueued { direct = nil } else { deliveryQueued = true }
            }
            return ready
        }
        for waiter in woken { waiter.wake() }
        // One job for every append made in this turn of the loop (a read burst of pipelined says goes out as one
        // write per subscriber), run after it: after the pipeline's own replies, and never inside another
        // channel's handler.
        direct?.execute { self.deliverDirect() }
    }

    /// On the loop the bus appends from: every subscriber parked with a sink there gets the events it has not
    /// seen written straight to its socket — no task woken, no async writer — while the socket takes writes and
    /// nothing of its own is queued ahead. One that cannot (not writable, a write of its stream's pending,
    /// fallen behind the tail) is woken instead, and its task goes the usual way.
    ///
    /// Why: a live delivery was a task resumed on the loop, a page read from this cache, a copy into a new
    /// buffer, the watched writer and NIOAsyncWriter's state machine, then the task parked again — the soak put
    /// the daemon at 37 µs of CPU per delivered event (goal ≤ 20).
    private func deliverDirect() {
        var writes: [(sink: any LiveSink, lines: [ByteBuffer])] = []
        let woken = lock.withLock { () -> [Waiter] in
            deliveryQueued = false
            var ready: [Waiter] = []
            for waiter in waiters.values where waiter.after < knownEnd {
                guard let sink = waiter.sink, sink.loop.inEventLoop else { continue }
                guard knownEnd - waiter.after <= Self.directLimit, sink.canWriteNow(),
                      case .lines(let hit) = tail(after: waiter.after, limit: Int(Self.directLimit)) else {
                    ready.append(waiter)
                    continue
                }
                writes.append((sink, hit.lines))
                directDeliveries += hit.lines.count
                waiter.after = hit.last
            }
            for waiter in ready { waiters[waiter.id] = nil }
            return ready
        }
        for (sink, lines) in writes { sink.writeNow(Self.joined(lines)) }
        for waiter in woken { waiter.wake() }
    }

    /// Event lines as one buffer, for one write: a single line as it is (its storage shared, not copied).
    static func joined(_ lines: [ByteBuffer]) -> ByteBuffer {
        if lines.count == 1, let line = lines.first { return line }
        var out = ByteBuffer()
        out.reserveCapacity(lines.reduce(0) { $0 + $1.readableBytes })
        for var line in lines { out.writeBuffer(&line) }
        return out
    }

    /// At most this many events are written straight to a subscriber at once; further behind, its task reads them.
    static let directLimit: UInt64 = 1_000

    /// Up to `limit` lines for events after `seq`, with the seq of the last one; nil when there is none yet.
    func lines(after seq: UInt64, limit: Int) async throws -> (lines: [ByteBuffer], last: UInt64)? {
        switch lock.withLock({ tail(after: seq, limit: limit) }) {
        case .lines(let hit): return hit
        case .nothingNew: return nil
        case .ask: break
        }
        // Behind the tail (or not live): a page from the store, encoded for this reader and not kept.
        let events = try await backend.read(after: seq, limit: limit)
        guard let last = events.last?.seq else { return nil }
        return (events.map(encode), last)
    }

    /// Returns once an event after `seq` is known (at once if one is), or when the task is cancelled; not live,
    /// it waits on the store (at most a second). With a `sink`, events may be written to it meanwhile: the
    /// answer is the seq the stream has reached (`seq` itself when nothing was).
    @discardableResult
    func waitForNew(after seq: UInt64, sink: (any LiveSink)? = nil) async -> UInt64 {
        let id = lock.withLock { () -> Int? in
            guard live, knownEnd <= seq else { return nil }
            nextWaiter += 1
            return nextWaiter
        }
        guard let id else {
            if !lock.withLock({ live }) { await backend.waitForEvents(after: seq, timeout: .seconds(1)) }
            return seq
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<UInt64, Never>) in
                let now = lock.withLock { () -> Bool in
                    if Task.isCancelled || !live || knownEnd > seq { return true }
                    waiters[id] = Waiter(id: id, after: seq, continuation: continuation, sink: sink)
                    return false
                }
                if now { continuation.resume(returning: seq) }
            }
        } onCancel: {
            let waiter = lock.withLock { waiters.removeValue(forKey: id) }
            waiter?.wake()
        }
    }

    /// Events written straight to subscribers' sockets (tests, diagnostics).
    var deliveredDirectly: Int { lock.withLock { directDeliveries } }
    /// Subscribers waiting right now (tests).
    var waiting: Int { lock.withLock { waiters.count } }
    /// Events and encoded bytes held (tests, diagnostics).
    var held: (events: Int, bytes: Int) { lock.withLock { (entries.count, encodedBytes) } }

    private enum TailAnswer {
        case lines((lines: [ByteBuffer], last: UInt64))
        case nothingNew
        case ask
    }

    /// Under the lock.
    private func tail(after seq: UInt64, limit: Int) -> TailAnswer {
        if live, seq >= knownEnd { return .nothingNew }
        let end = firstSeq + UInt64(entries.count)  // one past the last held
        guard !entries.isEmpty, seq + 1 >= firstSeq, seq + 1 < end else { return .ask }
        let start = Int(seq + 1 - firstSeq)
        let stop = min(entries.count, start + max(1, limit))
        var out: [ByteBuffer] = []
        out.reserveCapacity(stop - start)
        for index in start..<stop {
            if let line = entries[index].line {
                out.append(line)
            } else {
                let line = encode(entries[index].event)
                entries[index].line = line
                encodedBytes += line.readableBytes
                out.append(line)
            }
        }
        let last = firstSeq + UInt64(stop) - 1
        trim()
        return .lines((out, last))
    }

    /// Under the lock: drops the oldest half when over either bound.
    private func trim() {
        guard entries.count > capacity || encodedBytes > byteBudget else { return }
        let drop = entries.count / 2
        for entry in entries[..<drop] { encodedBytes -= entry.line?.readableBytes ?? 0 }
        entries.removeFirst(drop)
        firstSeq += UInt64(drop)
    }

    private func encode(_ event: BusEvent) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 256)
        buffer.writeStaticString("{\"v\":1,\"event\":")
        buffer.writeBytes(EventJSON.encode(event))
        buffer.writeStaticString("}\n")
        return buffer
    }
}

/// A subscriber's connection that live events may be written to straight from the cache, on its event loop.
protocol LiveSink: AnyObject, Sendable {
    /// The loop its channel lives on; direct deliveries happen only when the bus appends on that same loop.
    var loop: any EventLoop { get }
    /// On `loop`: true when a write now goes out in order and unbuffered — the socket takes writes and none of
    /// the connection's own writes is waiting.
    func canWriteNow() -> Bool
    /// On `loop`: writes `buffer` and flushes.
    func writeNow(_ buffer: ByteBuffer)
}
