import Foundation

/// The crew stream's history: a bounded ring of lines (oldest dropped past `capacity`), where the view is,
/// and how many lines arrived below while the reader was scrolled up.
///
/// Lines soft-wrap to the pane (`StreamLayout`), so the view moves by rows, not lines: its position is the
/// bottom row shown — a line and how many of that line's rows are hidden below the view. Every move wraps only
/// the lines it passes (PgUp wraps a pane's worth), never the whole history, so Home on 20,000 lines is as
/// cheap as End.
public struct Scrollback: Sendable {
    public let capacity: Int
    private var storage: [StyledText] = []
    private var head = 0  // index of the oldest line once the ring is full
    /// The bottom row shown when scrolled up: a line's absolute number and its rows hidden below; nil = following.
    private var anchor: (line: Int, hidden: Int)? = nil
    /// Lines appended since the reader scrolled up.
    public private(set) var newBelow = 0
    public private(set) var totalAppended = 0
    /// Wrapped lines already laid out, shared by copies of this value (a line's number names one line for ever).
    private let layouts = LayoutCache()
    /// Lines laid out (escaped and wrapped) so far (tests).
    var layoutsComputed: Int { layouts.computed }

    public init(capacity: Int = 20_000) {
        self.capacity = max(1, capacity)
        storage.reserveCapacity(min(self.capacity, 4_096))
    }

    public var count: Int { storage.count }

    /// The absolute number (1st line ever appended = 0) of the oldest line still kept.
    public var firstNumber: Int { totalAppended - storage.count }

    public mutating func append(_ line: StyledText) {
        totalAppended += 1
        if storage.count < capacity {
            storage.append(line)
        } else {
            storage[head] = line
            head = (head + 1) % capacity
        }
        if let position = anchor {
            newBelow += 1
            // The line under the view fell out of the ring: hold on to the oldest one kept.
            if position.line < firstNumber { anchor = (firstNumber, 0) }
        }
    }

    public subscript(index: Int) -> StyledText { storage[(head + index) % storage.count] }

    /// The line with absolute number `number`, if still kept.
    public func line(number: Int) -> StyledText? {
        let index = number - firstNumber
        return index >= 0 && index < storage.count ? self[index] : nil
    }

    public var isScrolled: Bool { anchor != nil }

    /// Whole lines below the view (0 when following the newest).
    public var offset: Int {
        guard let anchor, !storage.isEmpty else { return 0 }
        return totalAppended - 1 - anchor.line
    }

    /// One row on screen: the line (by absolute number) and which of its wrapped rows.
    public struct VisibleRow: Sendable {
        public var number: Int
        public var line: StyledText
        public var chars: [Character]
        public var row: StreamLayout.Row
    }

    /// The rows the view shows in a pane `width` columns wide, oldest first (at most `height`).
    public func visibleRows(height: Int, width: Int) -> [VisibleRow] {
        guard height > 0, !storage.isEmpty else { return [] }
        var (number, hidden) = anchor ?? (totalAppended - 1, 0)
        var collected: [VisibleRow] = []
        while collected.count < height, let line = line(number: number) {
            let (chars, rows) = layouts.layout(number: number, line: line, width: width)
            let shown = rows.prefix(max(0, rows.count - hidden))
            for row in shown.reversed() {
                collected.append(VisibleRow(number: number, line: line, chars: chars, row: row))
                if collected.count == height { break }
            }
            number -= 1
            hidden = 0
        }
        return collected.reversed()
    }

    /// The `height` lines the view shows when every line takes one row (oldest first).
    public func visible(height: Int) -> [StyledText] {
        var seen = Set<Int>()
        return visibleRows(height: height, width: Int.max / 4).filter { seen.insert($0.number).inserted }.map(\.line)
    }

    private func rowCount(_ number: Int, width: Int) -> Int {
        guard let line = line(number: number) else { return 1 }
        return layouts.layout(number: number, line: line, width: width).rows.count
    }

    /// The bottom row when the view's top row is the oldest row kept (nil: everything fits, nothing to scroll).
    private func topAnchor(height: Int, width: Int) -> (line: Int, hidden: Int)? {
        guard !storage.isEmpty else { return nil }
        var remaining = height
        var number = firstNumber
        while let line = line(number: number) {
            let rows = layouts.layout(number: number, line: line, width: width).rows.count
            if rows >= remaining { return (number, rows - remaining) }
            remaining -= rows
            number += 1
        }
        return nil
    }

    /// Moves the view `rows` rows up (positive) or down (negative) in a pane of `height` × `width`.
    public mutating func scroll(by rows: Int, height: Int, width: Int = Int.max / 4) {
        guard !storage.isEmpty, rows != 0 else { return }
        guard let top = topAnchor(height: height, width: width) else { return scrollToBottom() }
        var (number, hidden) = anchor ?? (totalAppended - 1, 0)
        func isAtOrAboveTop() -> Bool { number < top.line || (number == top.line && hidden >= top.hidden) }
        if rows > 0 {
            for _ in 0..<rows {
                if isAtOrAboveTop() { (number, hidden) = top; break }
                if hidden + 1 < rowCount(number, width: width) { hidden += 1 } else { number -= 1; hidden = 0 }
            }
            if isAtOrAboveTop() { (number, hidden) = top }
            anchor = (number, hidden)
        } else {
            for _ in 0..<(-rows) {
                if hidden > 0 {
                    hidden -= 1
                } else if number + 1 < totalAppended {
                    number += 1
                    hidden = rowCount(number, width: width) - 1
                } else {
                    return scrollToBottom()
                }
            }
            if number == totalAppended - 1 && hidden == 0 { return scrollToBottom() }
            anchor = (number, hidden)
        }
    }

    /// Home: the oldest line at the top of the view.
    public mutating func scrollToTop(height: Int, width: Int = Int.max / 4) {
        guard let top = topAnchor(height: height, width: width) else { return scrollToBottom() }
        anchor = top
    }

    public mutating func scrollToBottom() {
        anchor = nil
        newBelow = 0
    }

    /// Scrolls so line `number` shows near the top third of the view (a search match).
    public mutating func reveal(_ number: Int, height: Int, width: Int = Int.max / 4) {
        guard line(number: number) != nil else { return }
        let last = totalAppended - 1
        // Below the line: about two thirds of the view, rows counted from the line's first row.
        var below = max(0, height - max(1, height / 3))
        var target = (line: number, hidden: max(0, rowCount(number, width: width) - 1))
        let rows = rowCount(number, width: width)
        if rows - 1 >= below {
            target.hidden = rows - 1 - below
            below = 0
        } else {
            below -= rows - 1
            target.hidden = 0
            while below > 0 && target.line < last {
                target.line += 1
                let next = rowCount(target.line, width: width)
                if next >= below { target.hidden = next - below; below = 0 } else { below -= next }
            }
        }
        if target.line >= last && target.hidden == 0 { return scrollToBottom() }
        anchor = target
        // Never above the top.
        if let top = topAnchor(height: height, width: width), target.line < top.line || (target.line == top.line && target.hidden > top.hidden) {
            anchor = top
        }
    }

    /// Lines containing `query` (ignoring case), by absolute number, oldest first; `from`: only lines numbered
    /// from there on (the ones that arrived since the last look).
    public func search(_ query: String, from number: Int = 0) -> [Int] {
        guard !query.isEmpty else { return [] }
        let needle = query.lowercased()
        let start = max(0, number - firstNumber)
        guard start < storage.count else { return [] }
        return (start..<storage.count).compactMap { index in
            let line = self[index]
            return line.text.lowercased().contains(needle) ? firstNumber + index : nil
        }
    }

    public mutating func clear() {
        storage.removeAll(keepingCapacity: true)
        head = 0
        anchor = nil
        newBelow = 0
    }
}

/// The layouts (escaped characters and wrapped rows) of lines recently drawn, by line number and pane width.
///
/// Why: every redraw escaped, split into characters and wrapped each visible line again; with one 65,000-character
/// message on screen (any agent may send one) k0mmand3r used a third of a core doing nothing and typing lagged
/// seven-fold (walk-through, perf: StreamLayout.rows → TerminalText.escape on every draw).
final class LayoutCache: @unchecked Sendable {
    private struct Key: Hashable {
        let number: Int
        let width: Int
        /// A copy of the scrollback that diverged could hold another line under the same number: its size tells.
        let bytes: Int
    }
    private let lock = NSLock()
    private var entries: [Key: (chars: [Character], rows: [StreamLayout.Row])] = [:]
    private var misses = 0
    /// Lines laid out so far (tests).
    var computed: Int { lock.withLock { misses } }
    /// Entries kept before starting afresh (a pane's worth of lines is a few dozen; a resize makes new keys).
    static let limit = 1_024

    func layout(number: Int, line: StyledText, width: Int) -> (chars: [Character], rows: [StreamLayout.Row]) {
        let key = Key(number: number, width: width, bytes: line.text.utf8.count)
        if let hit = lock.withLock({ entries[key] }) { return hit }
        let chars = StreamLayout.shown(line)
        let laid = (chars: chars, rows: StreamLayout.rows(of: chars, indent: line.indent, hang: line.hang, width: width))
        lock.withLock {
            misses += 1
            if entries.count >= Self.limit { entries.removeAll(keepingCapacity: true) }
            entries[key] = laid
        }
        return laid
    }
}
