/// Unified diffs of datum files: made with a line diff (Myers), carried on the bus as the exact change a crew
/// votes on, and applied strictly — every context and removed line must match the file at the stated line, no
/// fuzz, no offsets — so what is applied is what was voted on or nothing. File names in the header are for
/// people; applying never reads them (the file is found by datum name on the applying side).
public enum UnifiedDiff {
    /// A diff larger than this is refused: datums are small, and a proposal travels on one 64 KiB bus line
    /// (where JSON may double it: quotes and backslashes are escaped).
    public static let maximumBytes = 24 * 1024
    static let context = 3
    /// Past this many differing lines the diff is one hunk replacing everything (still exact, just larger).
    static let maximumEditDistance = 1_000

    // MARK: - Making

    public static func make(old: [UInt8], new: [UInt8], name: String) -> String {
        let a = lines(old), b = lines(new)
        let ops = script(a, b)
        var out = "--- a/\(name)\n+++ b/\(name)\n"
        var index = 0
        while index < ops.count {
            guard let firstChange = ops[index...].firstIndex(where: { $0.kind != .same }) else { break }
            var start = max(index, firstChange - context)
            if start < index { start = index }
            // Extend while the next change is within two contexts.
            var end = firstChange
            var cursor = firstChange
            while cursor < ops.count {
                if ops[cursor].kind != .same { end = cursor; cursor += 1; continue }
                let nextChange = ops[cursor...].firstIndex { $0.kind != .same }
                guard let next = nextChange, next - end - 1 <= 2 * context else { break }
                cursor = next
            }
            let stop = min(ops.count, end + 1 + context)
            let hunk = ops[start..<stop]
            let oldCount = hunk.filter { $0.kind != .insert }.count
            let newCount = hunk.filter { $0.kind != .delete }.count
            let oldStart = hunk.first.map { $0.oldLine } ?? 0
            let newStart = hunk.first.map { $0.newLine } ?? 0
            out += "@@ -\(oldCount == 0 ? oldStart : oldStart + 1),\(oldCount) +\(newCount == 0 ? newStart : newStart + 1),\(newCount) @@\n"
            for op in hunk {
                let line: [UInt8]
                switch op.kind {
                case .same: out += " "; line = a[op.oldLine]
                case .delete: out += "-"; line = a[op.oldLine]
                case .insert: out += "+"; line = b[op.newLine]
                }
                if line.last == 0x0A {
                    out += String(decoding: line, as: UTF8.self)
                } else {
                    out += String(decoding: line, as: UTF8.self) + "\n\\ No newline at end of file\n"
                }
            }
            index = stop
        }
        return out
    }

    /// Lines with their newline (the last may have none).
    static func lines(_ bytes: [UInt8]) -> [[UInt8]] {
        var result: [[UInt8]] = []
        var start = 0
        for (i, b) in bytes.enumerated() where b == 0x0A {
            result.append(Array(bytes[start...i]))
            start = i + 1
        }
        if start < bytes.count { result.append(Array(bytes[start...])) }
        return result
    }

    struct Op {
        enum Kind { case same, delete, insert }
        var kind: Kind
        /// Index in the old lines (for same/delete), or where the insertion sits.
        var oldLine: Int
        var newLine: Int
    }

    /// The shortest edit script from `a` to `b` (Myers' O(ND) greedy algorithm), common prefix and suffix
    /// taken off first.
    static func script(_ a: [[UInt8]], _ b: [[UInt8]]) -> [Op] {
        var prefix = 0
        while prefix < a.count, prefix < b.count, a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix, suffix < b.count - prefix, a[a.count - 1 - suffix] == b[b.count - 1 - suffix] { suffix += 1 }
        var ops: [Op] = (0..<prefix).map { Op(kind: .same, oldLine: $0, newLine: $0) }
        let midA = Array(a[prefix..<(a.count - suffix)]), midB = Array(b[prefix..<(b.count - suffix)])
        let middle = myers(midA, midB) ?? (midA.indices.map { Op(kind: .delete, oldLine: $0, newLine: 0) }
                                           + midB.indices.map { Op(kind: .insert, oldLine: midA.count, newLine: $0) })
        ops += middle.map { Op(kind: $0.kind, oldLine: $0.oldLine + prefix, newLine: $0.newLine + prefix) }
        // Positions for inserts/deletes are filled in a pass that walks both sides.
        var i = 0, j = 0
        for n in ops.indices {
            ops[n].oldLine = i
            ops[n].newLine = j
            switch ops[n].kind {
            case .same: i += 1; j += 1
            case .delete: i += 1
            case .insert: j += 1
            }
        }
        ops += (0..<suffix).map { Op(kind: .same, oldLine: a.count - suffix + $0, newLine: b.count - suffix + $0) }
        return ops
    }

    /// nil when the edit distance passes `maximumEditDistance`.
    static func myers(_ a: [[UInt8]], _ b: [[UInt8]]) -> [Op]? {
        let n = a.count, m = b.count
        if n == 0 { return (0..<m).map { Op(kind: .insert, oldLine: 0, newLine: $0) } }
        if m == 0 { return (0..<n).map { Op(kind: .delete, oldLine: $0, newLine: 0) } }
        let limit = min(n + m, maximumEditDistance)
        let offset = limit + 1
        var v = [Int](repeating: 0, count: 2 * limit + 3)
        var trace: [[Int]] = []
        var found = false
        outer: for d in 0...limit {
            trace.append(v)
            for k in stride(from: -d, through: d, by: 2) {
                var x: Int
                if k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1]) {
                    x = v[offset + k + 1]
                } else {
                    x = v[offset + k - 1] + 1
                }
                var y = x - k
                while x < n, y < m, a[x] == b[y] { x += 1; y += 1 }
                v[offset + k] = x
                if x >= n, y >= m { found = true; break outer }
            }
        }
        guard found else { return nil }
        // Walk back through the saved frontiers.
        var ops: [Op] = []
        var x = n, y = m
        for d in stride(from: trace.count - 1, through: 0, by: -1) {
            let vd = trace[d]
            let k = x - y
            let prevK = (k == -d || (k != d && vd[offset + k - 1] < vd[offset + k + 1])) ? k + 1 : k - 1
            let prevX = vd[offset + prevK]
            let prevY = prevX - prevK
            while x > prevX, y > prevY {
                x -= 1; y -= 1
                ops.append(Op(kind: .same, oldLine: x, newLine: y))
            }
            if d > 0 {
                if x == prevX { ops.append(Op(kind: .insert, oldLine: x, newLine: prevY)) } else { ops.append(Op(kind: .delete, oldLine: prevX, newLine: y)) }
            }
            x = prevX
            y = prevY
        }
        return ops.reversed()
    }

    // MARK: - Reading and applying

    public struct Hunk: Equatable, Sendable {
        public enum Line: Equatable, Sendable {
            case same(String), remove(String), add(String)
        }
        public var oldStart: Int
        public var oldCount: Int
        public var newStart: Int
        public var newCount: Int
        /// Lines with their newline (a line without one ended the file).
        public var lines: [Line]
    }

    /// The hunks of `diff`, or why it is not a well-formed unified diff.
    public static func parse(_ diff: String) throws(MutationError) -> [Hunk] {
        guard diff.utf8.count <= maximumBytes else {
            throw MutationError(.tooLarge, "the diff is \(diff.utf8.count) bytes; a mutation carries at most \(maximumBytes)")
        }
        // Rows split on the newline byte: a "\r\n" is one Character to Swift, and a combining mark after the
        // marker would join it, so the diff is read as bytes.
        var rows = Array(diff.utf8).split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
        if rows.last == [] { rows.removeLast() }
        guard rows.count >= 2, rows[0].starts(with: Array("--- ".utf8)), rows[1].starts(with: Array("+++ ".utf8)) else {
            throw MutationError(.invalid, "not a unified diff: it must start with '--- ' and '+++ ' lines")
        }
        var hunks: [Hunk] = []
        var i = 2
        while i < rows.count {
            let header = String(decoding: rows[i], as: UTF8.self)
            guard let hunk = hunkHeader(header) else {
                throw MutationError(.invalid, "diff line \(i + 1): expected a hunk header '@@ -a,b +c,d @@', found '\(TerminalText.line(String(header.prefix(60))))'")
            }
            var current = hunk
            var oldSeen = 0, newSeen = 0
            i += 1
            while i < rows.count, oldSeen < hunk.oldCount || newSeen < hunk.newCount || rows[i].first == 0x5C {
                let row = rows[i]
                guard let marker = row.first else { throw MutationError(.invalid, "diff line \(i + 1) is empty; context lines start with a space") }
                if marker == 0x5C {
                    // "\ No newline at end of file": the line before has no newline.
                    guard let last = current.lines.popLast() else { throw MutationError(.invalid, "diff line \(i + 1): a '\\' line must follow a line") }
                    current.lines.append(strippingNewline(last))
                    i += 1
                    continue
                }
                let text = String(decoding: row.dropFirst(), as: UTF8.self) + "\n"
                switch marker {
                case 0x20: current.lines.append(.same(text)); oldSeen += 1; newSeen += 1
                case 0x2D: current.lines.append(.remove(text)); oldSeen += 1
                case 0x2B: current.lines.append(.add(text)); newSeen += 1
                default:
                    throw MutationError(.invalid, "diff line \(i + 1) starts with byte 0x\(String(marker, radix: 16)); expected ' ', '-', '+' or '\\'")
                }
                i += 1
            }
            guard oldSeen == hunk.oldCount, newSeen == hunk.newCount else {
                throw MutationError(.invalid, "a hunk of the diff ends early: it announced \(hunk.oldCount) old and \(hunk.newCount) new lines")
            }
            hunks.append(current)
        }
        guard !hunks.isEmpty else { throw MutationError(.invalid, "the diff changes nothing") }
        return hunks
    }

    private static func strippingNewline(_ line: Hunk.Line) -> Hunk.Line {
        func strip(_ s: String) -> String { s.hasSuffix("\n") ? String(s.dropLast()) : s }
        switch line {
        case .same(let s): return .same(strip(s))
        case .remove(let s): return .remove(strip(s))
        case .add(let s): return .add(strip(s))
        }
    }

    static func hunkHeader(_ line: String) -> Hunk? {
        let parts = line.split(separator: " ")
        guard parts.count >= 4, parts[0] == "@@", parts[3] == "@@", parts[1].hasPrefix("-"), parts[2].hasPrefix("+") else { return nil }
        func range(_ text: Substring) -> (Int, Int)? {
            let fields = text.dropFirst().split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == 1 || fields.count == 2, let start = Int(fields[0]), start >= 0 else { return nil }
            let count = fields.count == 2 ? Int(fields[1]) : 1
            guard let count, count >= 0, count <= 1_000_000 else { return nil }
            return (start, count)
        }
        guard let old = range(parts[1]), let new = range(parts[2]) else { return nil }
        return Hunk(oldStart: old.0, oldCount: old.1, newStart: new.0, newCount: new.1, lines: [])
    }

    /// `old` with `diff` applied, exactly: every hunk at its stated line, every context and removed line equal
    /// to the file's, or an error saying where it differs.
    public static func apply(_ diff: String, to old: [UInt8]) throws(MutationError) -> [UInt8] {
        let hunks = try parse(diff)
        let source = lines(old)
        var out: [UInt8] = []
        var next = 0  // the next old line not yet copied
        var delta = 0
        for (number, hunk) in hunks.enumerated() {
            let start = hunk.oldCount == 0 ? hunk.oldStart : hunk.oldStart - 1
            guard start >= next, start <= source.count else {
                throw MutationError(.invalid, "hunk \(number + 1) of the diff starts at line \(hunk.oldStart), which is not after the previous hunk or past the end of the file")
            }
            let newStart = hunk.newCount == 0 ? hunk.newStart : hunk.newStart - 1
            guard newStart == start + delta else {
                throw MutationError(.invalid, "hunk \(number + 1) of the diff gives new line \(hunk.newStart), which does not follow from the lines before it")
            }
            for line in source[next..<start] { out += line }
            var cursor = start
            for line in hunk.lines {
                switch line {
                case .same(let text), .remove(let text):
                    guard cursor < source.count, source[cursor] == Array(text.utf8) else {
                        throw MutationError(.stale, "the diff does not match the file at line \(cursor + 1)")
                    }
                    if case .same = line { out += source[cursor] }
                    cursor += 1
                case .add(let text):
                    out += Array(text.utf8)
                }
            }
            delta += hunk.newCount - hunk.oldCount
            next = cursor
        }
        for line in source[next...] { out += line }
        return out
    }
}
