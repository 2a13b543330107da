/// The crew stream's history: a bounded ring of lines (oldest dropped past `capacity`), a scroll position
/// measured from the bottom, and how many lines arrived below while the reader was scrolled up.
public struct Scrollback: Sendable {
    public let capacity: Int
    private var storage: [StyledText] = []
    private var head = 0  // index of the oldest line once the ring is full
    /// Lines above the bottom the view is scrolled (0 = following the newest).
    public private(set) var offset = 0
    /// Lines appended since the reader scrolled up.
    public private(set) var newBelow = 0
    public private(set) var totalAppended = 0

    public init(capacity: Int = 20_000) {
        self.capacity = max(1, capacity)
        storage.reserveCapacity(min(self.capacity, 4_096))
    }

    public var count: Int { storage.count }

    public mutating func append(_ line: StyledText) {
        totalAppended += 1
        if storage.count < capacity {
            storage.append(line)
        } else {
            storage[head] = line
            head = (head + 1) % capacity
        }
        if offset > 0 {
            newBelow += 1
            offset = min(offset + 1, max(0, storage.count - 1))
        }
    }

    public subscript(index: Int) -> StyledText { storage[(head + index) % storage.count] }

    /// The `height` lines the view shows (oldest first).
    public func visible(height: Int) -> [StyledText] {
        guard height > 0, !storage.isEmpty else { return [] }
        let end = storage.count - offset
        let start = max(0, end - height)
        return (start..<end).map { self[$0] }
    }

    public mutating func scroll(by lines: Int, height: Int) {
        let maxOffset = max(0, storage.count - height)
        offset = min(max(0, offset + lines), maxOffset)
        if offset == 0 { newBelow = 0 }
    }

    public mutating func scrollToBottom() {
        offset = 0
        newBelow = 0
    }

    public mutating func clear() {
        storage.removeAll(keepingCapacity: true)
        head = 0
        offset = 0
        newBelow = 0
    }
}
