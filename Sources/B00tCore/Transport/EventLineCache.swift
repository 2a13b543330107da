import Foundation
import NIOCore

/// Encoded event lines shared by every subscriber: each event is turned into JSON once, however many
/// connections stream it. Keeps the most recent lines; older ones are read back from the backend.
final class EventLineCache: @unchecked Sendable {
    private let backend: any BusBackend
    private let lock = NSLock()
    private var firstSeq: UInt64 = 1
    private var lines: [ByteBuffer] = []
    private let capacity: Int
    private let allocator = ByteBufferAllocator()

    init(backend: any BusBackend, capacity: Int = 200_000) {
        self.backend = backend
        self.capacity = capacity
    }

    /// Up to `limit` lines for events after `seq`, with the seq of the last one.
    func lines(after seq: UInt64, limit: Int) async throws -> (lines: [ByteBuffer], last: UInt64)? {
        if let hit = cached(after: seq, limit: limit) { return hit }
        let events = try await backend.read(after: seq, limit: limit)
        guard let last = events.last?.seq else { return nil }
        var encoded: [ByteBuffer] = []
        encoded.reserveCapacity(events.count)
        for event in events {
            var buffer = allocator.buffer(capacity: 256)
            buffer.writeStaticString("{\"v\":1,\"event\":")
            buffer.writeBytes(EventJSON.encode(event))
            buffer.writeStaticString("}\n")
            encoded.append(buffer)
        }
        store(encoded, from: events[0].seq)
        return (encoded, last)
    }

    private func cached(after seq: UInt64, limit: Int) -> (lines: [ByteBuffer], last: UInt64)? {
        lock.withLock {
            let end = firstSeq + UInt64(lines.count)  // one past the last cached seq
            guard seq + 1 >= firstSeq, seq + 1 < end else { return nil }
            let start = Int(seq + 1 - firstSeq)
            let stop = min(lines.count, start + limit)
            return (Array(lines[start..<stop]), firstSeq + UInt64(stop) - 1)
        }
    }

    private func store(_ encoded: [ByteBuffer], from seq: UInt64) {
        lock.withLock {
            if lines.isEmpty {
                firstSeq = seq
            } else if seq != firstSeq + UInt64(lines.count) {
                return  // not contiguous with what we hold (a reader far behind): serve it, don't keep it
            }
            lines.append(contentsOf: encoded)
            if lines.count > capacity {
                let drop = lines.count - capacity / 2
                lines.removeFirst(drop)
                firstSeq += UInt64(drop)
            }
        }
    }
}
