import B00tCore

/// How one line of the crew stream (or the notice line) wraps into rows of a pane: soft-wrapped at spaces
/// (a word longer than the row is cut), real line breaks kept (a pasted message's lines), continuation rows
/// under the text with a hanging indent past the time and speaker. Pure, so wrapping is tested without a screen.
public enum StreamLayout {
    /// One row of a wrapped line: which characters (offsets into the line's text as shown) and how far in it
    /// starts.
    public struct Row: Equatable, Sendable {
        public var start: Int
        public var end: Int
        public var indent: Int
    }

    /// The text as the screen shows it: control characters escaped, line breaks kept.
    public static func shown(_ line: StyledText) -> [Character] {
        Array(line.text.contains("\n") ? TerminalText.block(line.text) : TerminalText.line(line.text))
    }

    /// The rows `line` takes in `width` columns. Never empty.
    public static func rows(of line: StyledText, width: Int) -> [Row] {
        rows(of: shown(line), indent: line.indent, hang: line.hang, width: width)
    }

    public static func rows(of chars: [Character], indent rawIndent: Int, hang rawHang: Int, width: Int) -> [Row] {
        let indent = min(max(0, rawIndent), 8, max(0, width - 1))
        var hang = max(0, rawHang)
        // A hanging indent never leaves continuation rows narrower than half the pane (or 10 columns).
        if width - indent - hang < max(10, width / 2) { hang = max(0, min(hang, width - indent - max(10, width / 2))) }
        var rows: [Row] = []
        var start = 0
        var first = true
        while true {
            let rowIndent = first ? indent : indent + hang
            let room = max(1, width - rowIndent)
            var used = 0
            var i = start
            var lastBreak: Int? = nil  // index after the last space that fits
            var meter = TextWidth.Meter()
            var hardBreak = false
            while i < chars.count {
                let c = chars[i]
                if c == "\n" { hardBreak = true; break }
                let w = c == "\t" ? 1 : meter.width(of: c)
                if used + w > room && i > start { break }
                used += w
                i += 1
                if c == " " { lastBreak = i }
            }
            var end = i
            if !hardBreak, i < chars.count, let at = lastBreak, at > start { end = at }
            rows.append(Row(start: start, end: end, indent: rowIndent))
            if hardBreak {
                start = end + 1  // past the line break
            } else {
                start = end
                // A soft-wrapped row never starts with the spaces it broke at.
                while start < chars.count && chars[start] == " " { start += 1 }
            }
            first = false
            if start >= chars.count { break }
        }
        return rows
    }

    /// The row's characters as spans: the line's role, its marks, and `highlights` (character ranges, such as
    /// search matches) in `highlightRole` on top.
    public static func spans(of line: StyledText, chars: [Character], row: Row, highlights: [Range<Int>] = [],
                             highlightRole: String = "match") -> [StyledText] {
        guard row.start < row.end else { return [] }
        var roles = Array(repeating: line.role, count: row.end - row.start)
        func paint(_ range: Range<Int>, _ role: String) {
            let clipped = range.clamped(to: row.start..<row.end)
            for i in clipped { roles[i - row.start] = role }
        }
        for mark in line.marks where mark.count > 0 { paint(mark.start..<(mark.start + mark.count), mark.role) }
        for range in highlights { paint(range, highlightRole) }
        var spans: [StyledText] = []
        var text = ""
        var role = roles[0]
        for (offset, c) in chars[row.start..<row.end].enumerated() {
            if roles[offset] != role {
                spans.append(StyledText(text, role: role))
                text = ""
                role = roles[offset]
            }
            text.append(c == "\t" ? " " : c)
        }
        spans.append(StyledText(text, role: role))
        return spans
    }

    /// Where `query` occurs in `chars`, ignoring case.
    public static func matches(of query: String, in chars: [Character]) -> [Range<Int>] {
        let needle = query.map { $0.lowercased() }
        guard !needle.isEmpty, chars.count >= needle.count else { return [] }
        let hay = chars.map { $0.lowercased() }
        var found: [Range<Int>] = []
        var i = 0
        while i + needle.count <= hay.count {
            if hay[i] == needle[0] && Array(hay[i..<(i + needle.count)]) == needle {
                found.append(i..<(i + needle.count))
                i += needle.count
            } else {
                i += 1
            }
        }
        return found
    }
}
