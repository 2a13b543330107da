import Foundation
@testable import B00tCore

/// A memory log that a test double wraps to watch or slow one part of the protocol: everything is forwarded to
/// `inner` unless a subclass overrides it, so each double states only what it changes. It cannot hold its
/// lock for the bus (the bus sees a plain `BusBackend`, as with Redis); `ForwardingInlineBackend` can.
class ForwardingBackend: BusBackend, @unchecked Sendable {
    let inner = MemoryBusBackend()
    let label: String

    init(label: String) { self.label = label }

    func append(_ events: [BusEvent], expectedLastSeq: UInt64) async throws -> Bool {
        try await inner.append(events, expectedLastSeq: expectedLastSeq)
    }
    func read(after seq: UInt64, limit: Int) async throws -> [BusEvent] { try await inner.read(after: seq, limit: limit) }
    func lastSequence() async throws -> UInt64 { try await inner.lastSequence() }
    func waitForEvents(after seq: UInt64, timeout: Duration) async { await inner.waitForEvents(after: seq, timeout: timeout) }
}

/// `ForwardingBackend` that appends under its lock inline, as SQLite and the memory log do.
class ForwardingInlineBackend: ForwardingBackend, InlineAppendingBackend, @unchecked Sendable {
    func appendLocked(after: UInt64, maxTail: Int, _ build: ([BusEvent]) throws -> [BusEvent]) throws -> LockedAppendOutcome {
        try inner.appendLocked(after: after, maxTail: maxTail, build)
    }
}
